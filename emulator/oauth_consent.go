package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fedctl/fedctl/wif"
)

// Google's sign-in for OAuth clients (the gcp_oauth mode, SPEC §7.5): the
// authorization endpoint accounts.google.com/o/oauth2/v2/auth, served at
// ENDPOINT/accounts/o/oauth2/v2/auth as a consent page; the token endpoint's
// authorization_code (with PKCE) and refresh_token grants; revoke; userinfo;
// and ID tokens signed by the sandbox's "accounts-google" key (published at
// ENDPOINT/oauth2/v3/certs, Google's www.googleapis.com/oauth2/v3/certs).
//
// Error bodies are Google's, as reported from production:
//   - unknown client: 401 {"error":"invalid_client","error_description":"The OAuth client was not found."}
//     (github.com/erebusnz/gapi-google-analytics-php-interface/issues/149,
//     simonrob/email-oauth2-proxy#362); on the authorization endpoint an HTML
//     "Error 401: invalid_client" page (astrada/google-drive-ocamlfuse#484).
//   - a redirect URI the client does not list: an HTML "Error 400:
//     redirect_uri_mismatch" page, not a redirect (googleapis/google-api-php-client#2559,
//     kartoza/prj.app#434); at the token endpoint 400 redirect_uri_mismatch "Bad Request".
//   - a bad, used or expired code: 400 invalid_grant "Bad Request"
//     (googleapis/google-api-nodejs-client#2938); PKCE: "Missing code verifier."
//     (googleapis/google-api-php-client#2669) and "Invalid code verifier."
//     (googleapis/google-api-java-client#1479).
//   - a revoked refresh token: 400 invalid_grant "Token has been expired or revoked."
//     (GeneralTask/task-manager#2169, twentyhq/twenty#18159).
//   - revoking an unknown token: 400 invalid_token "Token expired or revoked"
//     (developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke:
//     "an HTTP status code 400 is returned along with an error code").

const (
	oauthFeature = "oauth.clients"
	// googleIssuer is the iss of Google's ID tokens.
	googleIssuer = "https://accounts.google.com"
	// idTokenIssuerKey names the sandbox key that signs ID tokens.
	idTokenIssuerKey = "accounts-google"
	codeLifetime     = 10 * time.Minute
	consentFormTTL   = time.Hour
)

// OAuthClient is an OAuth client ("APIs & Services → Credentials → OAuth
// client ID") registered in the sandbox.
type OAuthClient struct {
	ID     string `json:"id"`
	Secret string `json:"secret"`
	// Name is the app name the consent page shows.
	Name string `json:"name"`
	// Type is "installed" (Desktop app: any loopback redirect) or "web"
	// (only the registered redirect URIs).
	Type         string    `json:"type"`
	RedirectURIs []string  `json:"redirectUris,omitempty"`
	Project      string    `json:"project"`
	CreatedAt    time.Time `json:"createdAt"`
}

type authCode struct {
	Client      string   `json:"client"`
	RedirectURI string   `json:"redirectUri"`
	Challenge   string   `json:"challenge,omitempty"`
	Method      string   `json:"method,omitempty"`
	Email       string   `json:"email"`
	Scopes      []string `json:"scopes"`
	Offline     bool     `json:"offline,omitempty"`
	Nonce       string   `json:"nonce,omitempty"`
	Expiry      int64    `json:"expiry"`
}

// oauthGrant is one user's consent to one client: what a refresh token and
// the access tokens minted from it stand for; revoking any token of the
// user for the client revokes them all.
type oauthGrant struct {
	Client       string   `json:"client"`
	Email        string   `json:"email"`
	Scopes       []string `json:"scopes"`
	RefreshToken string   `json:"refreshToken,omitempty"`
	Revoked      bool     `json:"revoked,omitempty"`
	Created      int64    `json:"created"`
}

type oauthState struct {
	Clients map[string]*OAuthClient `json:"clients,omitempty"`
	Codes   map[string]*authCode    `json:"codes,omitempty"`
	Grants  map[string]*oauthGrant  `json:"grants,omitempty"`
}

func loadOAuth(st *State) (*oauthState, error) {
	var os oauthState
	if err := st.GetExt(oauthFeature, &os); err != nil {
		return nil, err
	}
	if os.Clients == nil {
		os.Clients = map[string]*OAuthClient{}
	}
	if os.Codes == nil {
		os.Codes = map[string]*authCode{}
	}
	if os.Grants == nil {
		os.Grants = map[string]*oauthGrant{}
	}
	return &os, nil
}

func init() {
	registerAPI(func(s *Server) {
		for _, p := range []string{`^/o/oauth2/v2/auth$`, `^/o/oauth2/auth$`} {
			s.handle(&route{Service: "accounts", Method: "GET", Pattern: p, Name: "accounts.oauth2.auth", NoAuth: true, Handler: oauthAuthPage})
			s.handle(&route{Service: "accounts", Method: "POST", Pattern: p, Name: "accounts.oauth2.approve", NoAuth: true, Mutates: true, Handler: oauthApprove})
		}
		s.handle(&route{Service: "accounts", Method: "GET", Pattern: `^/\.well-known/openid-configuration$`, Name: "accounts.discovery", NoAuth: true, Handler: oauthDiscovery})
		s.handle(&route{Service: "oauth2", Method: "GET", Pattern: `^/v3/certs$`, Name: "oauth2.certs", NoAuth: true, Handler: oauthCerts})
		s.handle(&route{Service: "oauth2", Method: "POST", Pattern: `^/revoke$`, Name: "oauth2.revoke", NoAuth: true, Mutates: true, Handler: oauthRevoke})
		for _, m := range []string{"GET", "POST"} {
			s.handle(&route{Service: "openidconnect", Method: m, Pattern: `^/v1/userinfo$`, Name: "openidconnect.userinfo", NoAuth: true, Handler: oauthUserinfo})
			s.handle(&route{Service: "oauth2", Method: m, Pattern: `^/v3/userinfo$`, Name: "oauth2.userinfo", NoAuth: true, Handler: oauthUserinfo})
		}
	})
}

// OAuthClientSpec describes a client to register (sandbox oauth-client).
type OAuthClientSpec struct {
	Name         string
	Type         string // "installed" (default) or "web"
	RedirectURIs []string
}

// CreateOAuthClient registers an OAuth client in the seed project, as
// creating one in the Console does, and returns it with its secret.
func (s *Server) CreateOAuthClient(spec OAuthClientSpec) (*OAuthClient, error) {
	if spec.Type == "" {
		spec.Type = "installed"
	}
	if spec.Type != "installed" && spec.Type != "web" {
		return nil, fmt.Errorf("OAuth client type %q: use installed or web", spec.Type)
	}
	if spec.Name == "" {
		spec.Name = "fedctl sandbox app"
	}
	for _, u := range spec.RedirectURIs {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
			return nil, fmt.Errorf("redirect URI %q: want an absolute http(s) URL", u)
		}
	}
	var out *OAuthClient
	err := s.WithState(func(st *State) error {
		os, err := loadOAuth(st)
		if err != nil {
			return err
		}
		var project, number string
		for _, p := range st.Projects {
			project, number = p.ID, p.Number
			break
		}
		if number == "" {
			number = "123456789012"
		}
		// Google's shapes: NUMBER-32 lowercase chars.apps.googleusercontent.com
		// and a GOCSPX- secret.
		id := number + "-" + strings.ToLower(base32ish(randomBytes(20))) + ".apps.googleusercontent.com"
		out = &OAuthClient{ID: id, Secret: "GOCSPX-" + base64.RawURLEncoding.EncodeToString(randomBytes(21)),
			Name: spec.Name, Type: spec.Type, RedirectURIs: slices.Clone(spec.RedirectURIs), Project: project, CreatedAt: s.opts.Now()}
		os.Clients[id] = out
		return st.PutExt(oauthFeature, os)
	})
	return out, err
}

func base32ish(b []byte) string {
	const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
	out := make([]byte, 32)
	for i := range out {
		out[i] = alpha[int(b[i%len(b)]+byte(i*7))%len(alpha)]
	}
	return string(out)
}

// redirectAllowed: a web client's redirect URI must be registered exactly;
// an installed (Desktop) client may use any loopback port
// (developers.google.com/identity/protocols/oauth2/native-app#redirect-uri_loopback).
func (cl *OAuthClient) redirectAllowed(uri string) bool {
	if slices.Contains(cl.RedirectURIs, uri) {
		return true
	}
	if cl.Type != "installed" {
		return false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	return h == "localhost" || net.ParseIP(h).IsLoopback()
}

// authRequest is the authorization request as the page and its form carry it.
type authRequest struct {
	ClientID, RedirectURI, ResponseType, Scope, State string
	Challenge, Method, AccessType, Nonce, LoginHint   string
}

func authRequestFrom(v url.Values) authRequest {
	return authRequest{ClientID: v.Get("client_id"), RedirectURI: v.Get("redirect_uri"), ResponseType: v.Get("response_type"),
		Scope: v.Get("scope"), State: v.Get("state"), Challenge: v.Get("code_challenge"), Method: v.Get("code_challenge_method"),
		AccessType: v.Get("access_type"), Nonce: v.Get("nonce"), LoginHint: v.Get("login_hint")}
}

// errorPage is Google's HTML error page of the authorization endpoint.
func (c *call) errorPage(status int, code, msg string, ar authRequest) {
	var b strings.Builder
	fmt.Fprintf(&b, "<!DOCTYPE html>\n<html lang=en><meta charset=utf-8><title>Error %d: %s</title>\n", status, code)
	fmt.Fprintf(&b, "<h1>Access blocked: authorization error</h1>\n<p id=error><b>Error %d: %s</b></p>\n<p>%s</p>\n", status, html.EscapeString(code), html.EscapeString(msg))
	fmt.Fprintf(&b, "<p>Request details: redirect_uri=%s client_id=%s</p>\n", html.EscapeString(ar.RedirectURI), html.EscapeString(ar.ClientID))
	c.reply(status, "text/html; charset=utf-8", []byte(b.String()))
}

// checkAuthRequest validates what Google validates before showing consent;
// ok=false means an error page was written.
func (c *call) checkAuthRequest(os *oauthState, ar authRequest) (*OAuthClient, bool) {
	cl := os.Clients[ar.ClientID]
	if cl == nil {
		c.errorPage(401, "invalid_client", "The OAuth client was not found.", ar)
		return nil, false
	}
	if ar.RedirectURI == "" {
		c.errorPage(400, "invalid_request", "Missing required parameter: redirect_uri", ar)
		return nil, false
	}
	if !cl.redirectAllowed(ar.RedirectURI) {
		c.errorPage(400, "redirect_uri_mismatch", fmt.Sprintf("You can't sign in to this app because it doesn't comply with Google's OAuth 2.0 policy. The redirect URI in the request, %s, does not match the ones authorized for the OAuth client. Register it in the Cloud Console (APIs & Services → Credentials → %s).", ar.RedirectURI, cl.Name), ar)
		return nil, false
	}
	switch {
	case ar.ResponseType != "code":
		c.errorPage(400, "unsupported_response_type", "Invalid response_type: "+ar.ResponseType, ar)
		return nil, false
	case strings.TrimSpace(ar.Scope) == "":
		c.errorPage(400, "invalid_request", "Missing required parameter: scope", ar)
		return nil, false
	case ar.Challenge != "" && ar.Method != "S256" && ar.Method != "plain" && ar.Method != "":
		c.errorPage(400, "invalid_request", "Invalid code_challenge_method value.", ar)
		return nil, false
	}
	return cl, true
}

// scopeTitles are the consent screen's words for common scopes.
var scopeTitles = map[string]string{
	"openid": "Associate you with your personal info on Google",
	"email":  "See your primary Google Account email address",
	"https://www.googleapis.com/auth/userinfo.email": "See your primary Google Account email address",
	"profile": "See your personal info",
	"https://www.googleapis.com/auth/cloud-platform": "See, edit, configure, and delete your Google Cloud data",
	"https://www.googleapis.com/auth/bigquery":       "View and manage your data in Google BigQuery",
}

// consentPage writes the consent page. It escapes by hand rather than with
// html/template: text/template's reflection-based field lookup would stop
// the linker dropping unused methods from the release binary (see
// internal/release's TestLinkerCanDropUnusedMethods).
func consentPage(app, action, email, problem string, scopes []string, hidden map[string]string) *strings.Builder {
	e := html.EscapeString
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=en>\n<meta charset=utf-8>\n<title>Sign in - Google Accounts (fedctl sandbox)</title>\n<h1>Sign in with Google</h1>\n")
	fmt.Fprintf(&b, "<p id=app><b>%s</b> wants to access your Google Account</p>\n", e(app))
	fmt.Fprintf(&b, "<form method=POST action=\"%s\" id=consent>\n", e(action))
	fmt.Fprintf(&b, "<p><label for=email>Account</label> <input type=email id=email name=email value=\"%s\" required></p>\n", e(email))
	if problem != "" {
		fmt.Fprintf(&b, "<p id=problem>%s</p>\n", e(problem))
	}
	fmt.Fprintf(&b, "<p>This will allow <b>%s</b> to:</p>\n<ul id=scopes>", e(app))
	for _, s := range scopes {
		fmt.Fprintf(&b, "<li>%s</li>", e(s))
	}
	b.WriteString("</ul>\n")
	keys := make([]string, 0, len(hidden))
	for k := range hidden {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "<input type=hidden name=\"%s\" value=\"%s\">\n", e(k), e(hidden[k]))
	}
	b.WriteString("<button type=submit name=action value=deny id=deny>Deny</button>\n<button type=submit name=action value=allow id=allow>Allow</button>\n</form>\n")
	return &b
}

func (c *call) renderConsent(cl *OAuthClient, ar authRequest, email, problem string) {
	var scopes []string
	for _, s := range strings.Fields(ar.Scope) {
		if t, ok := scopeTitles[s]; ok {
			s = t + " (" + s + ")"
		}
		scopes = append(scopes, s)
	}
	hidden := map[string]string{"client_id": ar.ClientID, "redirect_uri": ar.RedirectURI, "response_type": ar.ResponseType,
		"scope": ar.Scope, "state": ar.State, "code_challenge": ar.Challenge, "code_challenge_method": ar.Method,
		"access_type": ar.AccessType, "nonce": ar.Nonce}
	hidden["form_token"] = c.formToken(ar, c.now.Unix())
	b := consentPage(cl.Name, c.r.URL.Path, email, problem, scopes, hidden)
	c.w.Header().Set("X-Frame-Options", "DENY")
	c.reply(200, "text/html; charset=utf-8", []byte(b.String()))
}

// formToken binds the consent form to the request the page was shown for:
// consent is given by submitting the page, not by crafting a URL.
func (c *call) formToken(ar authRequest, iat int64) string {
	m := hmac.New(sha256.New, c.st.Secret)
	fmt.Fprintf(m, "consent|%s|%s|%s|%s|%s|%s|%d", ar.ClientID, ar.RedirectURI, ar.Scope, ar.State, ar.Challenge, ar.Method, iat)
	return strconv.FormatInt(iat, 10) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (c *call) formTokenValid(ar authRequest, tok string) bool {
	ts, _, ok := strings.Cut(tok, ".")
	iat, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || c.now.Unix()-iat > int64(consentFormTTL/time.Second) {
		return false
	}
	return hmac.Equal([]byte(tok), []byte(c.formToken(ar, iat)))
}

func oauthAuthPage(c *call) (any, error) {
	os, err := loadOAuth(c.st)
	if err != nil {
		return nil, err
	}
	ar := authRequestFrom(c.r.URL.Query())
	cl, ok := c.checkAuthRequest(os, ar)
	if !ok {
		return nil, nil
	}
	c.renderConsent(cl, ar, ar.LoginHint, "")
	return nil, nil
}

// oauthApprove handles the consent form: Deny redirects with
// error=access_denied, Allow with a one-time code (RFC 6749 §4.1.2).
func oauthApprove(c *call) (any, error) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return nil, errInvalid("Invalid form body.")
	}
	os, err := loadOAuth(c.st)
	if err != nil {
		return nil, err
	}
	ar := authRequestFrom(form)
	cl, ok := c.checkAuthRequest(os, ar)
	if !ok {
		return nil, nil
	}
	if !c.formTokenValid(ar, form.Get("form_token")) {
		c.errorPage(400, "invalid_request", "The sign-in page expired or was not shown for this request. Start again from the app.", ar)
		return nil, nil
	}
	back, _ := url.Parse(ar.RedirectURI)
	q := back.Query()
	if ar.State != "" {
		q.Set("state", ar.State)
	}
	switch form.Get("action") {
	case "deny":
		q.Set("error", "access_denied")
	case "allow":
		email := strings.ToLower(strings.TrimSpace(form.Get("email")))
		if at := strings.LastIndexByte(email, '@'); at <= 0 || at == len(email)-1 || strings.ContainsAny(email, " <>\"") {
			c.renderConsent(cl, ar, form.Get("email"), "Enter a valid email address.")
			return nil, nil
		}
		code := "4/0A" + base64.RawURLEncoding.EncodeToString(randomBytes(30))
		os.Codes[code] = &authCode{Client: cl.ID, RedirectURI: ar.RedirectURI, Challenge: ar.Challenge, Method: ar.Method,
			Email: email, Scopes: strings.Fields(ar.Scope), Offline: ar.AccessType == "offline" || cl.Type == "installed",
			Nonce: ar.Nonce, Expiry: c.now.Add(codeLifetime).Unix()}
		for k, v := range os.Codes { // drop expired codes
			if v.Expiry < c.now.Unix() {
				delete(os.Codes, k)
			}
		}
		if err := c.st.PutExt(oauthFeature, os); err != nil {
			return nil, err
		}
		q.Set("code", code)
		q.Set("scope", ar.Scope)
	default:
		c.errorPage(400, "invalid_request", "Choose Allow or Deny.", ar)
		return nil, nil
	}
	back.RawQuery = q.Encode()
	c.w.Header().Set("Location", back.String())
	c.reply(http.StatusFound, "text/html; charset=utf-8", []byte("<a href=\""+html.EscapeString(back.String())+"\">Continue</a>"))
	return nil, nil
}

// oauthClientAuth loads the OAuth state and authenticates the client of a
// token request: HTTP Basic or client_id/client_secret in the form
// (RFC 6749 §2.3.1).
func (c *call) oauthClientAuth(form url.Values) (*oauthState, *OAuthClient, error) {
	os, err := loadOAuth(c.st)
	if err != nil {
		return nil, nil, err
	}
	id, secret, basic := c.r.BasicAuth()
	if basic {
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = form.Get("client_id"), form.Get("client_secret")
	}
	cl := os.Clients[id]
	if cl == nil {
		return nil, nil, &apiError{HTTP: 401, OAuth: "invalid_client", Message: "The OAuth client was not found."}
	}
	if !hmac.Equal([]byte(secret), []byte(cl.Secret)) {
		return nil, nil, &apiError{HTTP: 401, OAuth: "invalid_client", Message: "Unauthorized"}
	}
	return os, cl, nil
}

// oauthCodeGrant is grant_type=authorization_code.
func oauthCodeGrant(c *call, form url.Values) (any, error) {
	os, cl, err := c.oauthClientAuth(form)
	if err != nil {
		return nil, err
	}
	badRequest := oauthErr("invalid_grant", "Bad Request")
	code := form.Get("code")
	ac := os.Codes[code]
	if ac == nil || ac.Client != cl.ID {
		return nil, badRequest
	}
	// A code is used once, whatever happens next (RFC 6749 §4.1.2).
	delete(os.Codes, code)
	c.dirty = true
	if err := c.st.PutExt(oauthFeature, os); err != nil {
		return nil, err
	}
	if ac.Expiry < c.now.Unix() {
		return nil, badRequest
	}
	if form.Get("redirect_uri") != ac.RedirectURI {
		return nil, oauthErr("redirect_uri_mismatch", "Bad Request")
	}
	if ac.Challenge != "" {
		v := form.Get("code_verifier")
		if v == "" {
			return nil, oauthErr("invalid_grant", "Missing code verifier.")
		}
		want := v
		if ac.Method == "S256" {
			sum := sha256.Sum256([]byte(v))
			want = base64.RawURLEncoding.EncodeToString(sum[:])
		}
		if !hmac.Equal([]byte(want), []byte(ac.Challenge)) {
			return nil, oauthErr("invalid_grant", "Invalid code verifier.")
		}
	}
	gid := hex.EncodeToString(randomBytes(8))
	g := &oauthGrant{Client: cl.ID, Email: ac.Email, Scopes: ac.Scopes, Created: c.now.Unix()}
	if ac.Offline {
		g.RefreshToken = "1//0" + base64.RawURLEncoding.EncodeToString(randomBytes(48))
	}
	os.Grants[gid] = g
	if err := c.st.PutExt(oauthFeature, os); err != nil {
		return nil, err
	}
	return c.grantTokens(gid, g, ac.Nonce, g.RefreshToken)
}

// oauthRefreshGrant is grant_type=refresh_token.
func oauthRefreshGrant(c *call, form url.Values) (any, error) {
	os, cl, err := c.oauthClientAuth(form)
	if err != nil {
		return nil, err
	}
	rt := form.Get("refresh_token")
	for gid, g := range os.Grants {
		if rt == "" || g.RefreshToken != rt {
			continue
		}
		if g.Client != cl.ID {
			return nil, oauthErr("unauthorized_client", "Unauthorized")
		}
		if g.Revoked {
			break
		}
		return c.grantTokens(gid, g, "", "")
	}
	return nil, oauthErr("invalid_grant", "Token has been expired or revoked.")
}

// grantTokens is the token response of a grant: an access token for
// user:EMAIL, and an ID token when openid was granted.
func (c *call) grantTokens(gid string, g *oauthGrant, nonce, refresh string) (any, error) {
	id := &Identity{Principal: "user:" + g.Email, Scopes: g.Scopes, Expiry: c.now.Add(time.Hour).Unix(), Grant: gid}
	out := map[string]any{"access_token": mintToken(c.st.Secret, id), "expires_in": 3599, "token_type": "Bearer",
		"scope": strings.Join(g.Scopes, " ")}
	if refresh != "" {
		out["refresh_token"] = refresh
	}
	if slices.Contains(g.Scopes, "openid") {
		key, kid, created, err := issuerKey(c.st, idTokenIssuerKey, c.now)
		if err != nil {
			return nil, err
		}
		if created {
			c.dirty = true
		}
		claims := map[string]any{"iss": googleIssuer, "azp": g.Client, "aud": g.Client, "sub": googleSubject(g.Email),
			"iat": c.now.Unix(), "exp": c.now.Add(time.Hour).Unix()}
		if slices.Contains(g.Scopes, "email") || slices.Contains(g.Scopes, "https://www.googleapis.com/auth/userinfo.email") {
			claims["email"], claims["email_verified"] = g.Email, true
		}
		if nonce != "" {
			claims["nonce"] = nonce
		}
		tok, err := wif.SignRS256(key, kid, claims)
		if err != nil {
			return nil, err
		}
		out["id_token"] = tok
	}
	return out, nil
}

// googleSubject is a stable 21-digit account ID for an email, like
// Google's sub.
func googleSubject(email string) string {
	sum := sha256.Sum256([]byte("sub|" + email))
	return "1" + fmt.Sprintf("%020d", binary.BigEndian.Uint64(sum[:8]))
}

// grantActive reports whether the consent behind an access token still
// stands (revoking a token revokes its grant).
func grantActive(st *State, gid string) bool {
	os, err := loadOAuth(st)
	if err != nil {
		return false
	}
	g := os.Grants[gid]
	return g != nil && !g.Revoked
}

// oauthRevoke revokes an access or refresh token and with it the grant
// (developers.google.com/identity/protocols/oauth2/native-app#tokenrevoke).
func oauthRevoke(c *call) (any, error) {
	tok := c.query("token")
	if form, err := url.ParseQuery(string(c.body)); err == nil && form.Get("token") != "" {
		tok = form.Get("token")
	}
	invalid := oauthErr("invalid_token", "Token expired or revoked")
	os, err := loadOAuth(c.st)
	if err != nil {
		return nil, err
	}
	gid := ""
	if id, ok := parseToken(c.st.Secret, tok, c.now); ok {
		gid = id.Grant
	} else if tok != "" {
		for k, g := range os.Grants {
			if g.RefreshToken == tok {
				gid = k
			}
		}
	}
	g := os.Grants[gid]
	if gid == "" || g == nil || g.Revoked {
		return nil, invalid
	}
	// Revocation removes the app's access to the account (as at
	// myaccount.google.com/permissions): every grant of this user to this
	// client goes, not only the one the token came from.
	for _, o := range os.Grants {
		if o.Client == g.Client && o.Email == g.Email {
			o.Revoked = true
		}
	}
	if err := c.st.PutExt(oauthFeature, os); err != nil {
		return nil, err
	}
	return struct{}{}, nil
}

// oauthUserinfo is the OpenID Connect userinfo endpoint for a user token.
func oauthUserinfo(c *call) (any, error) {
	id, err := c.caller()
	if err != nil {
		return nil, err
	}
	email, ok := strings.CutPrefix(id.Principal, "user:")
	if !ok {
		email = id.Email()
	}
	out := map[string]any{"sub": googleSubject(email)}
	if email != "" {
		out["email"], out["email_verified"] = email, true
	}
	return out, nil
}

func oauthCerts(c *call) (any, error) {
	set, created, err := demoJWKS(c.st, idTokenIssuerKey, c.now)
	if err != nil {
		return nil, err
	}
	c.dirty = c.dirty || created
	return set, nil
}

// oauthDiscovery is accounts.google.com/.well-known/openid-configuration
// with the sandbox's endpoints.
func oauthDiscovery(c *call) (any, error) {
	base := c.s.URL()
	if base == "" {
		base = "http://" + c.r.Host + "/"
	}
	return map[string]any{
		"issuer":                                googleIssuer,
		"authorization_endpoint":                base + "accounts/o/oauth2/v2/auth",
		"token_endpoint":                        base + "oauth2/token",
		"userinfo_endpoint":                     base + "openidconnect/v1/userinfo",
		"revocation_endpoint":                   base + "oauth2/revoke",
		"jwks_uri":                              base + "oauth2/v3/certs",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
		"code_challenge_methods_supported":      []string{"plain", "S256"},
		"grant_types_supported":                 []string{"authorization_code", "refresh_token", jwtBearerGrant},
	}, nil
}
