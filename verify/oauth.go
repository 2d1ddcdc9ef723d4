package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/oauthflow"
)

// Check names of the oauth mode's consent-based verification (SPEC §7.5).
const (
	CheckOAuthClient       = "oauth_client"
	CheckConsent           = "oauth_consent"
	CheckConsentedIdentity = "consented_identity"
	CheckRevoke            = "token_revoke"
)

func init() {
	titles[CheckOAuthClient] = "OAuth client file"
	titles[CheckConsent] = "consent"
	titles[CheckConsentedIdentity] = "consented identity"
	titles[CheckRevoke] = "token revoked"
}

// OAuthOptions make verify run the oauth mode's consent flow as each user
// would: the browser, the consent page, the code exchanged (PKCE), the
// consented account compared with the user, the probe with the user's
// token, and the token revoked.
type OAuthOptions struct {
	// Client is the parsed client file; ClientFile its path (messages).
	Client     *oauthflow.ClientFile
	ClientFile string
	// Browser opens the consent page (Open nil: no browser).
	Browser oauthflow.Browser
	// Consent: without a browser, print the URL and wait anyway (--consent).
	Consent bool
	// Show prints the URL to open (stderr).
	Show func(user, url string)
	// Wait bounds the wait for the browser (default 2m).
	Wait time.Duration
	// KeepToken leaves the user's grant in place (--keep-token).
	KeepToken bool
	// Port of the loopback redirect (negative: the client's default).
	Port int
	// Scopes requested (default oauthflow.DefaultScopes).
	Scopes []string
	// SkipConsent, when set, skips the consent rows with this reason
	// (setup checks the client file but opens no browser).
	SkipConsent string
}

// oauthClientRow is the client file row: parsed and of a known shape (the
// preflight already refused an unreadable one).
func (r *runner) oauthClientRow() Check {
	o := r.opts.OAuth
	c := Check{Scope: ScopeProject, Name: CheckOAuthClient, Subject: o.ClientFile}
	seen := fmt.Sprintf("%s, client %s", o.Client.Describe(), o.Client.ClientID)
	if o.Client.Format != oauthflow.FormatInstalled {
		seen += fmt.Sprintf("; verify redirects to http://127.0.0.1:%d/, which must be an authorized redirect URI of the client", o.Client.LoopbackPort())
	}
	set(&c, Pass, seen, "")
	return c
}

// oauthConsentUser runs one user's consent-based rows.
func (r *runner) oauthConsentUser(ctx context.Context, email string) ([]Check, UserVerdict) {
	o := r.opts.OAuth
	u := r.newUserRun(email)
	u.id.Email, u.member = email, "user:"+email
	u.roles = r.dataRolesRow(ScopeUser, email, u.member)
	row := func(name string) Check { return Check{Scope: ScopeUser, Name: name, Subject: email, Status: Skip} }
	consent, ident, revoke := row(CheckConsent), row(CheckConsentedIdentity), row(CheckRevoke)
	var domain []Check
	if dc, ok := r.memberDomainRow(ctx, email); ok {
		domain = append(domain, dc)
	}
	rows := func() []Check { return append(domain, u.roles, consent, ident, u.probe, revoke) }
	verdict := UserVerdict{Email: email, Tested: true}

	if o.SkipConsent != "" || o.Browser.Open == nil && !o.Consent {
		reason, fix := o.SkipConsent, "run the consent as the user: "+r.oauthVerifyCommand(email, "")
		if reason == "" {
			reason = "no browser to show the consent page: not on a terminal and $BROWSER is unset"
			fix = "set BROWSER to a browser command, or open the URL yourself: " + r.oauthVerifyCommand(email, "--consent")
		}
		set(&consent, Skip, reason, fix)
		for _, c := range []*Check{&ident, &u.probe, &revoke} {
			set(c, Skip, "not run: no consent", "")
		}
		verdict.Tested = false
		verdict.Verdict = "Not verified: the consent page needs a browser (or --consent)"
		if o.SkipConsent != "" {
			verdict.Verdict = "Not verified: " + o.SkipConsent
		}
		return rows(), verdict
	}
	ep := r.c.OAuthEndpoints()
	hc := r.c.PlainHTTPClient()
	fo := oauthflow.Options{Client: o.Client, User: email, Scopes: o.Scopes, HTTPClient: hc, Open: o.Browser.Open, Wait: o.Wait, Port: o.Port,
		Endpoints: oauthflow.Endpoints{AuthURL: ep.AuthURL, TokenURL: ep.TokenURL, RevokeURL: ep.RevokeURL, UserinfoURL: ep.UserinfoURL}}
	if o.Show != nil {
		fo.Show = func(url string) { o.Show(email, url) }
	}
	res, err := oauthflow.Consent(ctx, fo)
	var fe *oauthflow.Error
	switch {
	case err == nil || errors.As(err, &fe) && fe.Kind == oauthflow.KindIdentity:
		set(&consent, Pass, fmt.Sprintf("allowed at the consent page; code exchanged with PKCE (S256) at %s", res.RedirectURI), "")
	case fe != nil:
		set(&consent, Fail, fe.Msg, r.consentFix(email, fe))
	default:
		if ctx.Err() != nil {
			return rows(), verdict
		}
		set(&consent, Fail, err.Error(), "")
	}
	if consent.Status != Pass {
		for _, c := range []*Check{&ident, &u.probe, &revoke} {
			set(c, Skip, "not run: no consent", "")
		}
		verdict.Verdict = "Session would NOT start: " + consent.Seen
		return rows(), verdict
	}

	switch {
	case err != nil:
		set(&ident, Fail, "cannot tell which account consented: "+fe.Msg, "keep the openid and email scopes on the OAuth consent screen (APIs & Services → OAuth consent screen)")
	case res.Email != strings.ToLower(email):
		set(&ident, Fail, fmt.Sprintf("consented as %s: queries would be attributed to the wrong person", res.Email),
			fmt.Sprintf("run again and choose %s on the consent page (sign out of %s in that browser, or use a private window): %s", email, res.Email, r.oauthVerifyCommand(email, "")))
	case !res.EmailVerified:
		set(&ident, Fail, fmt.Sprintf("consented as %s, but Google has not verified that email", res.Email), "verify the account's email address with Google, then run verify again")
	default:
		set(&ident, Pass, fmt.Sprintf("consented as %s (%s, email verified)", res.Email, res.From), "")
	}

	if ident.Status == Pass {
		u.token = &gcp.Token{AccessToken: res.Token.AccessToken, Expiry: res.Token.Expiry}
		u.runProbe(ctx)
	} else {
		set(&u.probe, Skip, "not run: the token speaks for "+orUnknown(res.Email)+", not "+email, "")
	}

	if o.KeepToken {
		set(&revoke, Skip, fmt.Sprintf("kept (--keep-token): %s's grant to the client stays until revoked at myaccount.google.com/permissions", orUnknown(res.Email)), "")
	} else {
		tok := res.Token.RefreshToken
		if tok == "" {
			tok = res.Token.AccessToken
		}
		// Revoked even after a Ctrl-C: the grant must not outlive the run.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revokeTimeout)
		err := oauthflow.Revoke(rctx, hc, ep.RevokeURL, tok)
		cancel()
		if err != nil {
			set(&revoke, Warn, "the token verify obtained is still valid: "+err.Error(),
				"revoke the app's access at myaccount.google.com/permissions (signed in as "+orUnknown(res.Email)+")")
		} else {
			set(&revoke, Pass, "revoked at the revocation endpoint (the grant verify obtained no longer works)", "")
		}
	}

	verdict.OK = u.roles.Status != Fail && ident.Status == Pass && u.probe.Status == Pass
	switch {
	case verdict.OK:
		verdict.Verdict = fmt.Sprintf("Session would start as %s (own Google account, after consent)", email)
	case ident.Status != Pass:
		verdict.Verdict = "Session would NOT start as " + email + ": " + ident.Seen
	default:
		verdict.Verdict = "Session would NOT have access: " + u.probe.Seen
	}
	return rows(), verdict
}

// revokeTimeout bounds the revocation, which runs even once verify's
// context has ended.
const revokeTimeout = 15 * time.Second

func orUnknown(s string) string {
	if s == "" {
		return "the consenting account"
	}
	return s
}

// consentFix says how to get past a failed consent.
func (r *runner) consentFix(email string, fe *oauthflow.Error) string {
	o := r.opts.OAuth
	again := r.oauthVerifyCommand(email, "")
	switch {
	case fe.Kind == oauthflow.KindDenied:
		return fmt.Sprintf("run again and choose Allow, signed in as %s: %s", email, again)
	case fe.Code == "invalid_client":
		return fmt.Sprintf("the client ID or secret in %s is not the client's (or it was deleted): download its JSON again (Cloud Console → APIs & Services → Credentials)", o.ClientFile)
	case fe.Code == "redirect_uri_mismatch" || fe.Kind == oauthflow.KindTimeout && o.Client.Format != oauthflow.FormatInstalled:
		return fmt.Sprintf("if the page said redirect_uri_mismatch: add http://127.0.0.1:%d/ to the client's Authorized redirect URIs (Cloud Console → APIs & Services → Credentials), or use a Desktop app client; then: %s", o.Client.LoopbackPort(), again)
	case fe.Kind == oauthflow.KindTimeout:
		extra := "--wait 5m"
		if o.Consent && o.Browser.Open == nil {
			extra = "--consent " + extra // without it, no browser means no consent at all
		}
		return "open the URL printed above and answer the consent page within --wait: " + r.oauthVerifyCommand(email, extra)
	case fe.Kind == oauthflow.KindListen:
		return "free that port, or use a Desktop app client (any loopback port)"
	}
	return ""
}

// oauthVerifyCommand is the verify command line for one user, with the
// mode and the client file when neither the invocation nor a configuration
// file carries them.
func (r *runner) oauthVerifyCommand(email, extra string) string {
	cmd := r.verifyCommand(email, "")
	if !strings.Contains(cmd, " --config ") {
		var add []string
		if !strings.Contains(cmd, " --mode ") {
			add = append(add, "--mode oauth")
		}
		if !strings.Contains(cmd, " --oauth-client ") {
			add = append(add, "--oauth-client "+fixhint.Quote(r.opts.OAuth.ClientFile))
		}
		extra = strings.TrimSpace(strings.Join(add, " ") + " " + extra)
	}
	return r.verifyCommand(email, extra)
}
