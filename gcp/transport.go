package gcp

import (
	"net/http"
	"strings"

	"golang.org/x/oauth2"
)

// headerTransport adds the headers every fedctl request carries: the
// User-Agent (prepended to the library's own, so both stay visible) and, in
// production with a user ADC that names one, the quota project.
//
// option.WithUserAgent / WithQuotaProject act in the transport the library
// builds, which option.WithHTTPClient replaces; hence this.
type headerTransport struct {
	base         http.RoundTripper
	userAgent    string
	quotaProject string
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.userAgent == "" && t.quotaProject == "" {
		return t.base.RoundTrip(req)
	}
	req = req.Clone(req.Context())
	if t.userAgent != "" {
		ua := t.userAgent
		if lib := req.Header.Get("User-Agent"); lib != "" && !strings.HasPrefix(lib, ua) {
			ua += " " + lib
		}
		req.Header.Set("User-Agent", ua)
	}
	if t.quotaProject != "" && req.Header.Get("X-Goog-User-Project") == "" {
		req.Header.Set("X-Goog-User-Project", t.quotaProject)
	}
	return t.base.RoundTrip(req)
}

// authClient is an HTTP client that sends requests through the Client's base
// transport authorized by ts, or unauthenticated when ts is nil (override
// mode without FEDCTL_ACCESS_TOKEN: no Authorization header at all).
func (c *Client) authClient(ts oauth2.TokenSource) *http.Client {
	if ts == nil {
		return &http.Client{Transport: c.base}
	}
	return &http.Client{Transport: &oauth2.Transport{Source: oauth2.ReuseTokenSource(nil, ts), Base: c.base}}
}
