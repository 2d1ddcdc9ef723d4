package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// runner is one verification run.
type runner struct {
	c       *gcp.Client
	cfg     *config.Config
	opts    Options
	project string
	admin   string // the admin SA's email (impersonation)
	facts   *projectFacts
	domains domainPolicy // oauth: iam.allowedPolicyMemberDomains
	minter  *minter
	qfact   queryFact // preflight_rows.go
	budget  budget    // the run's one propagation wait
}

func newRunner(ctx context.Context, c *gcp.Client, cfg *config.Config, opts Options) (*runner, error) {
	if c == nil || cfg == nil {
		return nil, errors.New("verify: no client or no configuration")
	}
	cc := *cfg // ApplyDefaults must not change the caller's configuration
	cc.ApplyDefaults()
	if cc.Project == "" {
		return nil, errors.New("verify: no project")
	}
	if id := cc.Preflight.DataRoleBundle; id != "" {
		// setup --data-role-bundle bound this one custom role instead.
		cc.SetRoles([]string{"projects/" + cc.Project + "/roles/" + id})
	}
	r := &runner{c: c, cfg: &cc, opts: opts.withDefaults(), project: cc.Project}
	if cc.Mode == config.ModeImpersonation {
		r.admin = cc.AdminEmail()
	}
	r.facts = newProjectFacts(c, cc.Project)
	r.minter = newMinter(ctx, c, r.admin, r.opts)
	return r, nil
}

// Run verifies the project and opts.Users (SPEC §3) and returns the table.
// Failing checks are rows, not errors: the error is for a run that could
// not happen at all (no project, a cancelled context).
//
// Cost on the happy path, at latency L per request: per user the mint and
// the probe, users in parallel up to opts.Concurrency, with one round of
// project reads (services, the project policy, the admin SA and its keys)
// beside the first mints, and with --admin-key-file one token request for
// the admin first: about 2·⌈N/c⌉·L (+1·L with a key file).
func Run(ctx context.Context, c *gcp.Client, cfg *config.Config, opts Options) (*Report, error) {
	r, err := newRunner(ctx, c, cfg, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Project: r.project, Mode: r.cfg.Mode}
	users, _ := config.NormalizeUsers(r.opts.Users)
	mints := r.cfg.Mode == config.ModeImpersonation && len(users) > 0

	if mints {
		rep.MintedBy = r.minter.how
	}
	// The project reads run beside the first users' mints.
	go r.facts.load(ctx, r.cfg.RequiredAPIs(), r.serviceAccountUnderTest())
	// So do the key listings of the users' SAs (SPEC §7.6).
	var idKeys *identityKeys
	if mints {
		idKeys = r.startIdentityKeys(ctx, users)
	}

	var userChecks []Check
	switch r.cfg.Mode {
	case config.ModeImpersonation:
		runs := make([]*userRun, len(users))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.opts.Concurrency)
		for i, email := range users {
			g.Go(func() error {
				runs[i] = r.verifyUser(gctx, email)
				return nil
			})
		}
		_ = g.Wait()
		for _, u := range runs {
			userChecks = append(userChecks, u.rows()...)
			rep.Users = append(rep.Users, u.verdict())
		}
	case config.ModeWIF:
		r.facts.await()
		userChecks = r.wifChecks(ctx)
	case config.ModeOAuth:
		r.facts.await()
		if o := r.opts.OAuth; o != nil && o.Client != nil {
			userChecks = append(userChecks, r.oauthClientRow())
			// One consent page at a time: one person at one browser.
			for _, email := range users {
				rows, v := r.oauthConsentUser(ctx, email)
				userChecks = append(userChecks, rows...)
				rep.Users = append(rep.Users, v)
			}
			break
		}
		for _, email := range users {
			chk, v := r.oauthUser(email)
			if dc, ok := r.memberDomainRow(ctx, email); ok {
				userChecks = append(userChecks, dc)
			}
			userChecks = append(userChecks, chk)
			rep.Users = append(rep.Users, v)
		}
	}
	r.facts.await()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	projChecks := append(r.projectChecks(ctx), r.preflightRows(ctx)...)
	if idKeys != nil {
		projChecks = append(projChecks, idKeys.check(r.project))
	}
	rep.Checks = append(projChecks, userChecks...)
	r.contextualizeFixes(rep)
	rep.summarize()
	return rep, nil
}

// oauthUser checks an oauth-mode user: the data roles on user:EMAIL. A
// session starts with the user's own consent, so there is nothing to mint.
func (r *runner) oauthUser(email string) (Check, UserVerdict) {
	c := r.dataRolesRow(ScopeUser, email, "user:"+email)
	v := UserVerdict{Email: email}
	switch c.Status {
	case Pass:
		v.OK = true
		v.Verdict = "Session would start as " + email + " (after the user's OAuth consent)"
	case Fail:
		v.Verdict = "Session would NOT have access: " + c.Seen
	default:
		v.Verdict = "Not verified: " + c.Seen
	}
	return c, v
}

// verdict sums a user's rows up in one line.
func (u *userRun) verdict() UserVerdict {
	v := UserVerdict{Email: u.email, SA: u.id.Email, Tested: u.mint.Status != Skip && u.mint.Status != Unchecked}
	if u.token != nil {
		v.Via = u.r.minter.via
		v.TTLSeconds = int64(u.token.Expiry.Sub(u.r.opts.Now()).Seconds())
		v.TokenPrefix = gcp.Mask(u.token.AccessToken)
		if u.r.opts.ShowToken {
			v.Token = u.token.AccessToken
		}
	}
	// The reason given is the first failure in the order that explains
	// best: the template, then the live mint and probe (whose rows already
	// say why), then the static rows.
	var failed *Check
	for _, c := range []*Check{&u.template, &u.mint, &u.probe, &u.exists, &u.creator, &u.roles} {
		if c.Status == Fail {
			failed = c
			break
		}
	}
	started := u.mint.Status == Pass && u.probe.Status == Pass
	v.OK = started && failed == nil
	switch {
	case v.OK:
		v.Verdict = fmt.Sprintf("Session would start as %s via %s, token TTL %s", v.SA, v.Via, minutes(u.ttl()))
	case started:
		v.Verdict = fmt.Sprintf("Session would start as %s via %s, but %s: %s", v.SA, v.Via, Title(failed.Name), failed.Seen)
	case failed != nil:
		v.Verdict = fmt.Sprintf("Session would NOT start: %s: %s", Title(failed.Name), failed.Seen)
	default:
		v.Verdict = "Session not tested: " + u.mint.Seen
	}
	return v
}

func (u *userRun) ttl() (d time.Duration) {
	if u.token == nil {
		return 0
	}
	return u.token.Expiry.Sub(u.r.opts.Now()).Round(time.Minute)
}
