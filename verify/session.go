package verify

import (
	"context"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// Session is a session token minted as the gateway would mint it.
type Session struct {
	User string
	// ServiceAccount is who the token speaks for (the federated principal).
	ServiceAccount string
	// Via is the admin SA that minted it.
	Via string
	// MintedBy is MintedByKeyFile or MintedByDelegation.
	MintedBy string
	// Token is the secret: never print it unless the user asked for it.
	Token *gcp.Token
}

// MintError is a session that could not be minted: the user's rows that
// say why (with their fixes) and the verdict line.
type MintError struct {
	User    string
	Checks  []Check
	Verdict string
}

func (e *MintError) Error() string {
	var b strings.Builder
	b.WriteString(e.User + ": " + e.Verdict)
	seen := map[string]bool{} // several checks can share one fix
	for _, c := range e.Checks {
		if c.Status == Fail || c.Status == Skip && c.Name == CheckMint {
			if c.Fix != "" && !seen[c.Fix] {
				seen[c.Fix] = true
				b.WriteString("\n  fix: " + c.Fix)
			}
		}
	}
	return b.String()
}

// MintSession mints user's session token exactly as verify does (as the
// admin, with opts.AdminKey or keylessly by delegation; a 403 that is only
// propagation is retried up to opts.Wait). It costs one request when it
// works; a failure is explained with the same checks as verify, in a
// *MintError.
func MintSession(ctx context.Context, c *gcp.Client, cfg *config.Config, user string, opts Options) (*Session, error) {
	r, err := newRunner(ctx, c, cfg, opts)
	if err != nil {
		return nil, err
	}
	if r.cfg.Mode != config.ModeImpersonation {
		return nil, &MintError{User: user, Verdict: "fedctl token mints impersonation sessions; this configuration's mode is " + string(r.cfg.Mode)}
	}
	users, _ := config.NormalizeUsers([]string{user})
	if len(users) == 0 {
		return nil, &MintError{User: user, Verdict: "no user given"}
	}
	u := r.newUserRun(users[0])
	if u.render() {
		if err := u.mintToken(ctx); err != nil {
			// Only now read what explains the failure.
			r.facts.load(ctx, nil, r.admin)
			u.explainMint(ctx, err)
		}
	}
	if u.token != nil {
		return &Session{User: u.email, ServiceAccount: u.id.Email, Via: r.minter.via, MintedBy: r.minter.how, Token: u.token}, nil
	}
	v := u.verdict()
	return nil, &MintError{User: u.email, Checks: []Check{u.template, u.exists, u.creator, u.mint}, Verdict: v.Verdict}
}
