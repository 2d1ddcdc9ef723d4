package gcp

import (
	"fmt"
	"net/url"
	"strings"
)

// Production base URLs of the APIs fedctl calls. In override mode each is
// rewritten through ServiceURL, which yields the SPEC §4 layout
// (ENDPOINT/SERVICE/PATH); BigQuery keeps its "bigquery/v2/" base path, so its
// override is ENDPOINT/bigquery/bigquery/v2/.
const (
	serviceUsageBase   = "https://serviceusage.googleapis.com/"
	crmBase            = "https://cloudresourcemanager.googleapis.com/"
	iamBase            = "https://iam.googleapis.com/"
	iamCredentialsBase = "https://iamcredentials.googleapis.com/"
	stsBase            = "https://sts.googleapis.com/"
	loggingBase        = "https://logging.googleapis.com/"
	bigQueryBase       = "https://bigquery.googleapis.com/bigquery/v2/"

	// oauth2TokenURL is where service-account key files get their tokens.
	oauth2TokenURL = "https://oauth2.googleapis.com/token"
)

// legacyTokenURLs are token endpoints older key files name; they are the same
// service as oauth2.googleapis.com/token, so the override maps them there.
var legacyTokenURLs = map[string]bool{
	"accounts.google.com/o/oauth2/token":    true,
	"www.googleapis.com/oauth2/v4/token":    true,
	"oauth2.googleapis.com/oauth2/v4/token": true,
}

// normaliseEndpoint validates an override root and gives it the trailing
// slash the generated clients need: without it RFC 3986 resolution drops the
// last path segment (gcp-wire §1.2).
func normaliseEndpoint(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("invalid API endpoint %q: want a full http:// or https:// URL such as http://127.0.0.1:8086/", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid API endpoint %q: no query or fragment allowed", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	return u.String(), nil
}

// ServiceURL maps a production URL (https://SERVICE.googleapis.com/PATH) to
// where this Client sends it: cfg.Endpoint + "SERVICE/PATH" when overridden,
// unchanged otherwise (and unchanged for hosts outside googleapis.com). Used
// for the API clients' base paths, key files' token_uri and credential
// configs.
func (c *Client) ServiceURL(prodURL string) string {
	return serviceURL(c.endpoint, prodURL)
}

func serviceURL(endpoint, prodURL string) string {
	if endpoint == "" {
		return prodURL
	}
	u, err := url.Parse(prodURL)
	if err != nil || u.Host == "" {
		return prodURL
	}
	host := strings.ToLower(u.Hostname())
	if legacyTokenURLs[host+u.Path] {
		return endpoint + "oauth2/token"
	}
	if host == "accounts.google.com" {
		// Google's sign-in (the OAuth authorization endpoint) is not a
		// googleapis.com service: ENDPOINT/accounts/PATH.
		return endpoint + "accounts/" + strings.TrimPrefix(u.EscapedPath(), "/")
	}
	service, ok := strings.CutSuffix(host, ".googleapis.com")
	if !ok || service == "" || strings.Contains(service, ".") {
		return prodURL
	}
	out := endpoint + service + "/" + strings.TrimPrefix(u.EscapedPath(), "/")
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

// apiEndpoint is the option.WithEndpoint value for an API whose production
// base is prodBase, or "" in production mode (keep the client's default).
func (c *Client) apiEndpoint(prodBase string) string {
	if c.endpoint == "" {
		return ""
	}
	return c.ServiceURL(prodBase)
}
