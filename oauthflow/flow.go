package oauthflow

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// Endpoints are Google's OAuth 2.0 endpoints for installed apps
// (developers.google.com/identity/protocols/oauth2/native-app), or the
// sandbox's by the SPEC §4 layout.
type Endpoints struct {
	AuthURL, TokenURL, RevokeURL, UserinfoURL string
}

// Google's production endpoints (the discovery document at
// accounts.google.com/.well-known/openid-configuration).
var GoogleEndpoints = Endpoints{
	AuthURL:     "https://accounts.google.com/o/oauth2/v2/auth",
	TokenURL:    "https://oauth2.googleapis.com/token",
	RevokeURL:   "https://oauth2.googleapis.com/revoke",
	UserinfoURL: "https://openidconnect.googleapis.com/v1/userinfo",
}

// DefaultScopes: the identity (openid email, for the ID token that says
// who consented) and cloud-platform, the scope Hoop's gcp_oauth asks for.
var DefaultScopes = []string{"openid", "email", "https://www.googleapis.com/auth/cloud-platform"}

// Options configure a consent flow.
type Options struct {
	Client    *ClientFile
	Endpoints Endpoints
	// User is the account expected to consent: sent as login_hint.
	User   string
	Scopes []string // default DefaultScopes
	// HTTPClient makes the token, userinfo and revoke calls (nil: default).
	HTTPClient *http.Client
	// Open opens the URL in a browser; nil: the URL is only shown.
	Open func(ctx context.Context, url string) error
	// Show tells the person at the terminal the URL to open (stderr).
	Show func(url string)
	// Wait bounds how long the browser may take (default 2m).
	Wait time.Duration
	// Port of the loopback redirect: 0 any; negative: Client.LoopbackPort().
	Port int
}

// Error kinds.
const (
	KindDenied   = "denied"   // the user chose Deny (error=access_denied)
	KindTimeout  = "timeout"  // no answer within Wait
	KindListen   = "listen"   // the loopback port could not be opened
	KindExchange = "exchange" // the token endpoint refused the code
	KindAuth     = "auth"     // another error= on the redirect
	KindIdentity = "identity" // no ID token / userinfo email
)

// Error is a failed consent flow.
type Error struct {
	Kind string
	Msg  string
	// Code is the OAuth error code (access_denied, invalid_client, ...).
	Code string
	Err  error
}

func (e *Error) Error() string { return e.Msg }
func (e *Error) Unwrap() error { return e.Err }

// Result is a consent that went through.
type Result struct {
	// Token is the user's token (access, refresh, ID): a secret.
	Token *oauth2.Token
	// Email is the account that consented, from the ID token or userinfo.
	Email         string
	EmailVerified bool
	// From says where Email came from ("ID token" or "userinfo").
	From string
	// RedirectURI is the loopback redirect used.
	RedirectURI string
}

// Config is the x/oauth2 configuration for a client and redirect URI.
// Google's token endpoint takes the client credentials in the form
// (x/oauth2/google's Endpoint uses AuthStyleInParams too).
func (o Options) Config(redirect string) *oauth2.Config {
	scopes := o.Scopes
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	return &oauth2.Config{ClientID: o.Client.ClientID, ClientSecret: o.Client.ClientSecret, RedirectURL: redirect, Scopes: scopes,
		Endpoint: oauth2.Endpoint{AuthURL: o.Endpoints.AuthURL, TokenURL: o.Endpoints.TokenURL, AuthStyle: oauth2.AuthStyleInParams}}
}

type callback struct {
	code, errCode, errDesc string
}

// Consent runs the installed-app flow: a loopback listener on 127.0.0.1,
// the authorization URL with PKCE (S256) and login_hint opened in the
// browser, the redirect's code exchanged with the verifier, and the
// consented account read from the ID token (or userinfo).
func Consent(ctx context.Context, o Options) (*Result, error) {
	if o.Client == nil {
		return nil, errors.New("oauthflow: no client")
	}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Minute
	}
	port := o.Port
	if port < 0 {
		port = o.Client.LoopbackPort()
	}
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return nil, &Error{Kind: KindListen, Msg: fmt.Sprintf("cannot listen on 127.0.0.1:%d for the redirect: %v", port, err), Err: err}
	}
	defer ln.Close()
	redirect := fmt.Sprintf("http://127.0.0.1:%d/", ln.Addr().(*net.TCPAddr).Port)
	conf := o.Config(redirect)
	verifier := oauth2.GenerateVerifier()
	state := oauth2.GenerateVerifier()[:24]
	opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier), oauth2.AccessTypeOffline}
	if o.User != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", o.User))
	}
	authURL := conf.AuthCodeURL(state, opts...)

	got := make(chan callback, 1)
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if r.URL.Path != "/" || q.Get("state") != state || (q.Get("code") == "" && q.Get("error") == "") {
			http.Error(w, "fedctl: not the sign-in this terminal is waiting for", http.StatusBadRequest)
			return
		}
		cb := callback{code: q.Get("code"), errCode: q.Get("error"), errDesc: q.Get("error_description")}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if cb.errCode != "" {
			fmt.Fprintf(w, "<!DOCTYPE html><title>fedctl</title><p id=result>Sign-in not completed (%s). You can close this window and return to fedctl.</p>", htmlText(cb.errCode))
		} else {
			fmt.Fprint(w, "<!DOCTYPE html><title>fedctl</title><p id=result>Signed in. You can close this window and return to fedctl.</p>")
		}
		select {
		case got <- cb:
		default:
		}
	})}
	go srv.Serve(ln)
	defer srv.Close()

	if o.Show != nil {
		o.Show(authURL)
	}
	if o.Open != nil {
		if err := o.Open(ctx, authURL); err != nil && o.Show == nil {
			return nil, &Error{Kind: KindAuth, Msg: "cannot open a browser: " + err.Error(), Err: err}
		}
	}
	timer := time.NewTimer(o.Wait)
	defer timer.Stop()
	var cb callback
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-timer.C:
		return nil, &Error{Kind: KindTimeout, Msg: fmt.Sprintf("no answer from the browser within %s", o.Wait)}
	case cb = <-got:
	}
	switch {
	case cb.errCode == "access_denied":
		return nil, &Error{Kind: KindDenied, Code: cb.errCode, Msg: "the consent page was answered with Deny (error=access_denied)"}
	case cb.errCode != "":
		msg := "the sign-in returned error=" + cb.errCode
		if cb.errDesc != "" {
			msg += ": " + cb.errDesc
		}
		return nil, &Error{Kind: KindAuth, Code: cb.errCode, Msg: msg}
	}
	xctx := ctx
	if o.HTTPClient != nil {
		xctx = context.WithValue(ctx, oauth2.HTTPClient, o.HTTPClient)
	}
	tok, err := conf.Exchange(xctx, cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		e := &Error{Kind: KindExchange, Msg: "the token endpoint refused the code: " + err.Error(), Err: err}
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			e.Code = re.ErrorCode
			e.Msg = fmt.Sprintf("the token endpoint refused the code: %s %q", re.ErrorCode, re.ErrorDescription)
		}
		return nil, e
	}
	res := &Result{Token: tok, RedirectURI: redirect}
	if err := identify(xctx, o, tok, res); err != nil {
		return res, &Error{Kind: KindIdentity, Msg: err.Error(), Err: err}
	}
	return res, nil
}

// identify reads who consented: the ID token's email, which came straight
// from the token endpoint over TLS, so its signature need not be checked
// (OpenID Connect Core 1.0 §3.1.3.7, item 6); its aud must be our client.
// Without an ID token (no openid scope) it asks userinfo.
func identify(ctx context.Context, o Options, tok *oauth2.Token, res *Result) error {
	if idt, _ := tok.Extra("id_token").(string); idt != "" {
		var cl struct {
			Aud           any    `json:"aud"`
			Email         string `json:"email"`
			EmailVerified any    `json:"email_verified"`
		}
		parts := strings.Split(idt, ".")
		if len(parts) == 3 {
			if b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "=")); err == nil && json.Unmarshal(b, &cl) == nil {
				if !audHas(cl.Aud, o.Client.ClientID) {
					return fmt.Errorf("the ID token is for another client (aud %v)", cl.Aud)
				}
				if cl.Email != "" {
					res.Email, res.From = strings.ToLower(cl.Email), "ID token"
					res.EmailVerified = cl.EmailVerified == true || cl.EmailVerified == "true"
					return nil
				}
			}
		}
	}
	if o.Endpoints.UserinfoURL == "" {
		return errors.New("no ID token email and no userinfo endpoint")
	}
	req, err := http.NewRequestWithContext(ctx, "GET", o.Endpoints.UserinfoURL, nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	hc := o.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("userinfo: %w", err)
	}
	defer resp.Body.Close()
	var ui struct {
		Email         string `json:"email"`
		EmailVerified any    `json:"email_verified"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&ui) != nil || ui.Email == "" {
		return fmt.Errorf("userinfo did not say which account consented (HTTP %d)", resp.StatusCode)
	}
	res.Email, res.From = strings.ToLower(ui.Email), "userinfo"
	res.EmailVerified = ui.EmailVerified == true || ui.EmailVerified == "true"
	return nil
}

func audHas(aud any, id string) bool {
	switch a := aud.(type) {
	case string:
		return a == id
	case []any:
		for _, x := range a {
			if x == id {
				return true
			}
		}
	}
	return false
}

// Revoke revokes a token (and with it the user's grant to the client) at
// Google's revocation endpoint: POST token=… (form), 200 when revoked.
func Revoke(ctx context.Context, hc *http.Client, revokeURL, token string) error {
	if hc == nil {
		hc = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, "POST", revokeURL, strings.NewReader(url.Values{"token": {token}}.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == 200 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var body struct {
		Error string `json:"error"`
		Desc  string `json:"error_description"`
	}
	if json.Unmarshal(b, &body) == nil && body.Error != "" {
		return fmt.Errorf("revoke: HTTP %d %s %q", resp.StatusCode, body.Error, body.Desc)
	}
	return fmt.Errorf("revoke: HTTP %d", resp.StatusCode)
}

func htmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
