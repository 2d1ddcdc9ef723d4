package cmd

import (
	"fmt"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// HoopOAuthCallbackPath is where Hoop's gateway receives Google's redirect
// for gcp_oauth: the OAuth client must list <gateway>/api/federation/oauth/callback
// as an authorized redirect URI (Hoop's gcp_oauth guide, step 1).
const HoopOAuthCallbackPath = "/api/federation/oauth/callback"

// oauthVerifyFlags are verify's oauth-mode flags.
type oauthVerifyFlags struct {
	consent, keepToken bool
	redirectPort       int
}

// oauthOptions builds the consent-flow options of verify from the
// configuration's client file; nil when the mode is not oauth or no client
// file is configured. Without a browser ($BROWSER, or the system opener
// when stderr is a terminal) the consent rows are skipped unless --consent.
func oauthOptions(f *cmdutil.Factory, cfg *config.Config, of oauthVerifyFlags) (*verify.OAuthOptions, error) {
	if cfg.Mode != config.ModeOAuth || cfg.OAuth.ClientFile == "" {
		if of.consent || of.keepToken {
			return nil, cmdutil.FlagErrorf("--consent and --keep-token need --mode oauth and --oauth-client FILE")
		}
		return nil, nil
	}
	cf, err := cfg.OAuthClient()
	if err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	ios := f.IOStreams
	o := &verify.OAuthOptions{Client: cf, ClientFile: cfg.OAuth.ClientFile, Consent: of.consent, KeepToken: of.keepToken,
		Port: of.redirectPort, Wait: cfg.Wait,
		// The scopes Hoop's gcp_oauth policy asks for (setup --hoop-policy),
		// plus the identity: the probe then proves what a session gets.
		Scopes:  append([]string{"openid", "email"}, engine.HoopOAuthScopes...),
		Browser: oauthflow.FindBrowser(factoryGetenv(f), ios.IsStderrTTY())}
	if o.Wait <= 0 {
		o.Wait = 2 * time.Minute
	}
	o.Show = func(user, url string) {
		// Always shown (even with --quiet): it is what the person must do.
		how := "Open this URL in a browser"
		if o.Browser.Open != nil {
			how = "Opening the consent page with " + o.Browser.Name + "; if nothing opens, visit"
		}
		fmt.Fprintf(ios.ErrOut, "Sign in as %s and choose Allow (waiting up to %s). %s:\n  %s\n", user, o.Wait, how, url)
	}
	return o, nil
}

// printOAuthRedirect tells the operator which redirect URI the gateway
// needs on the OAuth client, when setup wrote a Hoop policy in oauth mode.
func printOAuthRedirect(f *cmdutil.Factory, cfg *config.Config) {
	if cfg.Mode != config.ModeOAuth || cfg.HoopPolicy == "" || f.Output().IsJSON() {
		return
	}
	fmt.Fprintf(f.IOStreams.ErrOut, "Register the gateway's redirect URI on the OAuth client (Cloud Console → APIs & Services → Credentials → the client → Authorized redirect URIs):\n  https://GATEWAY%s   (GATEWAY: your Hoop gateway's API host; local dev: http://localhost:8009%s)\n", HoopOAuthCallbackPath, HoopOAuthCallbackPath)
}
