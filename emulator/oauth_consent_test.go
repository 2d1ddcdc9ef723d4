package emulator

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/wif"
)

// consentForm fetches the consent page and returns its form fields, as a
// browser would submit them (the hidden inputs and the email field).
func consentForm(t *testing.T, hc *http.Client, authURL string) (string, url.Values, int, string) {
	t.Helper()
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	page := string(b)
	if resp.StatusCode != 200 {
		return "", nil, resp.StatusCode, page
	}
	action := regexp.MustCompile(`<form method=POST action="([^"]+)"`).FindStringSubmatch(page)
	if action == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	v := url.Values{}
	for _, m := range regexp.MustCompile(`<input type=(?:hidden|email) (?:id=\w+ )?name="?(\w+)"? value="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		v.Set(m[1], htmlUnescape(m[2]))
	}
	u, _ := url.Parse(authURL)
	u.Path, u.RawQuery = action[1], ""
	return u.String(), v, 200, page
}

func htmlUnescape(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&#43;", "+").Replace(s)
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestOAuthConsentCodeFlow(t *testing.T) {
	ts := NewTestServer(t, Options{})
	cl, err := ts.CreateOAuthClient(OAuthClientSpec{Name: "Acme BigQuery"})
	if err != nil {
		t.Fatal(err)
	}
	conf := &oauth2.Config{ClientID: cl.ID, ClientSecret: cl.Secret, RedirectURL: "http://127.0.0.1:4567/",
		Scopes:   []string{"openid", "email", "https://www.googleapis.com/auth/cloud-platform"},
		Endpoint: oauth2.Endpoint{AuthURL: ts.Endpoint + "accounts/o/oauth2/v2/auth", TokenURL: ts.Endpoint + "oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("st4te", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("login_hint", "alice@acme.com"))

	hc := noRedirect()
	action, form, code, page := consentForm(t, hc, authURL)
	if code != 200 || !strings.Contains(page, "Acme BigQuery") || !strings.Contains(page, "cloud-platform") || form.Get("email") != "alice@acme.com" {
		t.Fatalf("consent page %d: app name, scopes or login_hint missing:\n%s", code, page)
	}
	// Consent cannot be given without the page's form token.
	forged := url.Values{}
	for k, v := range form {
		forged[k] = v
	}
	forged.Del("form_token")
	forged.Set("action", "allow")
	resp, _ := hc.PostForm(action, forged)
	if resp.StatusCode != 400 {
		t.Fatalf("a form without the page's token: %d, want 400", resp.StatusCode)
	}
	resp.Body.Close()

	form.Set("action", "allow")
	resp, err = hc.PostForm(action, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Host != "127.0.0.1:4567" || loc.Query().Get("state") != "st4te" || loc.Query().Get("code") == "" {
		t.Fatalf("allow: %d %s", resp.StatusCode, loc)
	}
	code2 := loc.Query().Get("code")

	ctx := context.Background()
	// A wrong verifier is Google's invalid_grant, and spends the code.
	if _, err := conf.Exchange(ctx, code2, oauth2.VerifierOption(oauth2.GenerateVerifier())); !oauthErrIs(err, "invalid_grant", "Invalid code verifier.") {
		t.Fatalf("wrong verifier: %v", err)
	}
	if _, err := conf.Exchange(ctx, code2, oauth2.VerifierOption(verifier)); !oauthErrIs(err, "invalid_grant", "Bad Request") {
		t.Fatalf("reused code: %v", err)
	}

	// allowAndExchange consents again and exchanges the new code.
	allowAndExchange := func() *oauth2.Token {
		t.Helper()
		_, form, _, _ := consentForm(t, hc, authURL)
		form.Set("action", "allow")
		resp, _ := hc.PostForm(action, form)
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	// Again, properly.
	tok := allowAndExchange()
	if tok.RefreshToken == "" {
		t.Fatal("installed client: no refresh token")
	}
	idt, _ := tok.Extra("id_token").(string)
	jt, err := wif.ParseJWT(idt)
	if err != nil {
		t.Fatal(err)
	}
	certs := getJSON(t, ts.Endpoint+"oauth2/v3/certs")
	var set wif.JWKS
	json.Unmarshal(certs, &set)
	if err := jt.VerifySignature(&set); err != nil {
		t.Fatalf("ID token signature: %v", err)
	}
	if jt.Claims["email"] != "alice@acme.com" || jt.Claims["email_verified"] != true || jt.Claims["aud"] != cl.ID || jt.Claims["iss"] != "https://accounts.google.com" {
		t.Fatalf("ID token claims: %v", jt.Claims)
	}
	// userinfo with the access token.
	req, _ := http.NewRequest("GET", ts.Endpoint+"openidconnect/v1/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	resp, _ = http.DefaultClient.Do(req)
	var ui map[string]any
	json.NewDecoder(resp.Body).Decode(&ui)
	resp.Body.Close()
	if ui["email"] != "alice@acme.com" {
		t.Fatalf("userinfo: %v", ui)
	}
	// Refresh works, then revoke kills the refresh token and the access token.
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); err != nil {
		t.Fatalf("refresh: %v", err)
	}
	// A second consent of the same user to the same client (say, Hoop's).
	other := allowAndExchange()
	resp, _ = http.PostForm(ts.Endpoint+"oauth2/revoke", url.Values{"token": {tok.AccessToken}})
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	// Revoking removes the app's access to the account: the other grant goes too.
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: other.RefreshToken}).Token(); !oauthErrIs(err, "invalid_grant", "Token has been expired or revoked.") {
		t.Fatalf("the user's other grant survived the revoke: %v", err)
	}
	if _, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token(); !oauthErrIs(err, "invalid_grant", "Token has been expired or revoked.") {
		t.Fatalf("refresh after revoke: %v", err)
	}
	resp, _ = http.DefaultClient.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("access token after revoke: %d, want 401", resp.StatusCode)
	}
	resp, _ = http.PostForm(ts.Endpoint+"oauth2/revoke", url.Values{"token": {tok.AccessToken}})
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(b), `"invalid_token"`) {
		t.Fatalf("second revoke: %d %s", resp.StatusCode, b)
	}
}

func TestOAuthConsentDenyAndErrors(t *testing.T) {
	ts := NewTestServer(t, Options{})
	web, _ := ts.CreateOAuthClient(OAuthClientSpec{Type: "web", RedirectURIs: []string{"https://hoop.acme.com/api/federation/oauth/callback"}})
	auth := ts.Endpoint + "accounts/o/oauth2/v2/auth"
	hc := noRedirect()
	q := url.Values{"client_id": {web.ID}, "redirect_uri": {"http://127.0.0.1:9999/"}, "response_type": {"code"}, "scope": {"openid email"}}
	if _, _, code, page := consentForm(t, hc, auth+"?"+q.Encode()); code != 400 || !strings.Contains(page, "redirect_uri_mismatch") {
		t.Fatalf("web client, unregistered loopback: %d\n%s", code, page)
	}
	q.Set("client_id", "nope.apps.googleusercontent.com")
	if _, _, code, page := consentForm(t, hc, auth+"?"+q.Encode()); code != 401 || !strings.Contains(page, "The OAuth client was not found.") {
		t.Fatalf("unknown client: %d\n%s", code, page)
	}
	q.Set("client_id", web.ID)
	q.Set("redirect_uri", web.RedirectURIs[0])
	q.Set("state", "s1")
	action, form, code, _ := consentForm(t, hc, auth+"?"+q.Encode())
	if code != 200 {
		t.Fatalf("registered redirect: %d", code)
	}
	form.Set("action", "deny")
	resp, _ := hc.PostForm(action, form)
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "s1" || loc.Query().Get("code") != "" {
		t.Fatalf("deny redirect: %s", loc)
	}
	// invalid_client on the token endpoint: unknown client 401, wrong secret 401.
	conf := &oauth2.Config{ClientID: "nope", ClientSecret: "x", Endpoint: oauth2.Endpoint{TokenURL: ts.Endpoint + "oauth2/token", AuthStyle: oauth2.AuthStyleInParams}}
	_, err := conf.Exchange(context.Background(), "4/0Ax")
	if !oauthErrIs(err, "invalid_client", "The OAuth client was not found.") {
		t.Fatalf("unknown client: %v", err)
	}
	conf.ClientID = web.ID
	_, err = conf.Exchange(context.Background(), "4/0Ax")
	var re *oauth2.RetrieveError
	if !oauthErrIs(err, "invalid_client", "Unauthorized") || !errors.As(err, &re) || re.Response.StatusCode != 401 {
		t.Fatalf("wrong secret: %v", err)
	}
}

func oauthErrIs(err error, code, desc string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code && re.ErrorDescription == desc
}

func getJSON(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}
