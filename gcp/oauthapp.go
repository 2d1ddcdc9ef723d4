package gcp

import "net/http"

// Google's OAuth 2.0 endpoints for an OAuth client's users (the oauth
// mode's consent flow; developers.google.com/identity/protocols/oauth2/native-app).
const (
	oauthAuthURL     = "https://accounts.google.com/o/oauth2/v2/auth"
	oauthRevokeURL   = "https://oauth2.googleapis.com/revoke"
	oauthUserinfoURL = "https://openidconnect.googleapis.com/v1/userinfo"
)

// OAuthEndpoints are the authorization, token, revocation and userinfo
// URLs, production Google's or, in override mode, ENDPOINT/accounts/…,
// ENDPOINT/oauth2/token, ENDPOINT/oauth2/revoke and
// ENDPOINT/openidconnect/v1/userinfo (SPEC §4).
type OAuthEndpoints struct {
	AuthURL, TokenURL, RevokeURL, UserinfoURL string
}

// OAuthEndpoints returns the OAuth endpoints of c's Google.
func (c *Client) OAuthEndpoints() OAuthEndpoints {
	return OAuthEndpoints{AuthURL: c.ServiceURL(oauthAuthURL), TokenURL: c.ServiceURL(oauth2TokenURL),
		RevokeURL: c.ServiceURL(oauthRevokeURL), UserinfoURL: c.ServiceURL(oauthUserinfoURL)}
}

// PlainHTTPClient has c's trace (secrets masked) and headers but no
// Authorization: for OAuth endpoints, where the client authenticates
// itself (client_id/client_secret) or the user's token is set per request.
func (c *Client) PlainHTTPClient() *http.Client { return &http.Client{Transport: c.base} }
