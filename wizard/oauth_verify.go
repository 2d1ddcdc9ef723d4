package wizard

import (
	"context"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// The oauth mode's consent-based verification on the Verify screen: the
// first table checks the client file and the data roles; c then signs in
// as the selected user (the operator, normally: the person at this
// terminal) through Google's consent page, exactly as `fedctl verify --mode
// oauth --consent` does, and the user's rows are replaced by the result.

// ConsentVerifier is a Backend that can also run one user's consent.
type ConsentVerifier interface {
	// VerifyConsent is verify.Run for user with the consent flow; show
	// receives the consent page's URL (shown on screen, in case no browser
	// opens).
	VerifyConsent(ctx context.Context, cfg *config.Config, user string, show func(url string)) (*verify.Report, error)
}

var consentKey = key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "sign in as this user (consent)"))

// oauthVerifyOptions are verify's oauth options for the first table: the
// client file row, and consent rows that say to press c.
func oauthVerifyOptions(cfg *config.Config) *verify.OAuthOptions {
	if cfg.Mode != config.ModeOAuth || cfg.OAuth.ClientFile == "" {
		return nil
	}
	cf, err := cfg.OAuthClient()
	if err != nil {
		return nil
	}
	return &verify.OAuthOptions{Client: cf, ClientFile: cfg.OAuth.ClientFile,
		SkipConsent: "not signed in yet: press c on this screen to sign in as the user"}
}

// VerifyConsent runs the consent for one user with the browser found at
// start ($BROWSER, else the system opener); the URL is also shown, so
// the operator can open it by hand.
func (b *gcpBackend) VerifyConsent(ctx context.Context, cfg *config.Config, user string, show func(string)) (*verify.Report, error) {
	cf, err := cfg.OAuthClient()
	if err != nil || cf == nil {
		return nil, err
	}
	opts := b.opts.Verify
	opts.Users = []string{user}
	wait := cfg.Wait
	if wait <= 0 {
		wait = 2 * time.Minute
	}
	opts.OAuth = &verify.OAuthOptions{Client: cf, ClientFile: cfg.OAuth.ClientFile, Browser: b.opts.OAuthBrowser, Consent: true,
		Show: func(_, url string) { show(url) }, Wait: wait, Port: -1,
		Scopes: append([]string{"openid", "email"}, engine.HoopOAuthScopes...)}
	return verify.Run(ctx, b.client, cfg, opts)
}

// defaultBrowser is the browser the wizard's consent opens.
func defaultBrowser(f *cmdutil.Factory) oauthflow.Browser {
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return oauthflow.FindBrowser(getenv, true)
}

// consentState is the Verify screen's consent in progress.
type consentState struct {
	running bool
	user    string
	url     string
}

// consentURLMsg: the consent page is open; next waits for the result.
type consentURLMsg struct {
	seq  int
	url  string
	next tea.Cmd
}

// consentVerifier is the backend's consent when the answers allow one:
// oauth mode with a client file and a backend that can sign in (the Verify
// screen and accessible mode both ask it).
func (s *session) consentVerifier() (ConsentVerifier, bool) {
	cv, ok := s.backend.(ConsentVerifier)
	return cv, ok && s.cfg.Mode == config.ModeOAuth && s.cfg.OAuth.ClientFile != "" && len(s.cfg.Users()) > 0
}

// oauthKey starts the consent for the selected user on c.
func (v *verifyScreen) oauthKey(km tea.KeyMsg) (tea.Cmd, bool) {
	cv, ok := v.s.consentVerifier()
	if !ok || v.loading || !key.Matches(km, consentKey) {
		return nil, false
	}
	user := v.s.cfg.Users()[v.sel]
	v.seq++
	seq, cfg := v.seq, *v.s.cfg
	v.loading, v.rerun, v.err = true, user, nil
	v.consent = consentState{running: true, user: user}
	ctx := v.s.ctx
	urls := make(chan string, 1)
	res := make(chan tea.Msg, 1)
	go func() {
		rep, err := cv.VerifyConsent(ctx, &cfg, user, func(u string) {
			select {
			case urls <- u:
			default:
			}
		})
		res <- verifyMsg{seq: seq, user: user, report: rep, err: err}
	}()
	result := func() tea.Msg { return <-res }
	return tea.Batch(v.spin.Tick, func() tea.Msg {
		select {
		case u := <-urls:
			return consentURLMsg{seq: seq, url: u, next: result}
		case m := <-res:
			return m
		}
	}), true
}

// oauthUpdate handles the consent's messages.
func (v *verifyScreen) oauthUpdate(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case consentURLMsg:
		if msg.seq != v.seq {
			return nil, true
		}
		v.consent.url = msg.url
		return msg.next, true
	case verifyMsg:
		if msg.seq == v.seq {
			v.consent = consentState{}
		}
	}
	return nil, false
}

// consentView is the screen while the consent page waits for the user.
func (v *verifyScreen) consentView() string {
	if !v.consent.running {
		return ""
	}
	st := v.s.styles
	var b strings.Builder
	b.WriteString(v.spin.View() + " " + st.Label.Render("Sign in as "+v.consent.user) + "\n\n")
	b.WriteString(para(st.Muted, "", "Google's consent page opens in your browser: choose the account "+v.consent.user+" and click Allow. verify then checks that the account that consented is this user, runs the BigQuery probe with the user's own token, and revokes it.", v.width))
	if v.consent.url != "" {
		b.WriteString("\n" + para(st.Muted, "", "If no browser opened, open this URL on this machine:", v.width))
		// Cut to the width rather than wrapped on words: the URL has none.
		w := max(v.width-2, 20)
		for u := v.consent.url; u != ""; {
			n := min(w, len(u))
			b.WriteString("  " + u[:n] + "\n")
			u = u[n:]
		}
	}
	return b.String()
}

// consentHelp is the c binding when it applies.
func (v *verifyScreen) consentHelp() []key.Binding {
	if _, ok := v.s.consentVerifier(); ok {
		return []key.Binding{consentKey}
	}
	return nil
}

// operatorEmail is the email of a user:EMAIL member ("" otherwise).
func operatorEmail(member string) string {
	e, ok := strings.CutPrefix(member, "user:")
	if !ok {
		return ""
	}
	return strings.ToLower(e)
}

// selectOperator points the Verify screen's user at the signed-in
// operator when they are one of the users: the person at this terminal is
// the one who can consent.
func (v *verifyScreen) selectOperator() {
	if v.s.cfg.Mode != config.ModeOAuth || v.s.operator == "" {
		return
	}
	if i := slices.Index(v.s.cfg.Users(), v.s.operator); i >= 0 {
		v.sel = i
	}
}
