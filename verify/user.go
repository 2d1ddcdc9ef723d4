package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// userRun verifies one identity (impersonation mode). Its rows are filled
// in any order and emitted in the table's order.
type userRun struct {
	r      *runner
	email  string
	id     config.Identity
	member string // serviceAccount:SA

	template, exists, creator, roles, mint, probe Check

	token  *gcp.Token
	waited time.Duration // spent waiting for propagation
}

func (r *runner) newUserRun(email string) *userRun {
	u := &userRun{r: r, email: email}
	for _, c := range []*Check{&u.template, &u.exists, &u.creator, &u.roles, &u.mint, &u.probe} {
		*c = Check{Scope: ScopeUser, Subject: email, Status: Skip}
	}
	u.template.Name, u.exists.Name, u.creator.Name = CheckTemplate, CheckUserSA, CheckTokenCreator
	u.roles.Name, u.mint.Name, u.probe.Name = CheckDataRoles, CheckMint, CheckProbe
	return u
}

func (u *userRun) rows() []Check {
	return []Check{u.template, u.exists, u.creator, u.roles, u.mint, u.probe}
}

func set(c *Check, st Status, seen, fix string) { c.Status, c.Seen, c.Fix = st, seen, fix }

// verifyUser runs every user row: the template, then the live mint (which,
// when it succeeds, proves the SA exists and the admin may impersonate it,
// so those are read only to explain a failure), the data roles from the
// project policy, and the BigQuery probe with the minted token.
func (r *runner) verifyUser(ctx context.Context, email string) *userRun {
	u := r.newUserRun(email)
	if !u.render() {
		return u
	}
	// Mint first: the project reads run meanwhile, and nothing below
	// needs them before the mint is back.
	tok, err := u.r.minter.mint(ctx, u.id.Email, u.r.opts.Lifetime)
	u.r.facts.await()
	u.checkRoles()
	if err != nil {
		u.explainMint(ctx, err)
	} else {
		u.minted(tok)
	}
	switch {
	case u.token != nil:
		u.runProbe(ctx)
	case u.probe.Seen == "":
		set(&u.probe, Skip, "no token to query with", "")
	}
	return u
}

func (u *userRun) render() bool {
	id, err := u.r.cfg.IdentityFor(u.email)
	u.id, u.member = id, "serviceAccount:"+id.Email
	if p, ok := u.r.preflightProblem(u.email); ok && err == nil {
		err = &config.RenderError{User: u.email, AccountID: id.AccountID, Reason: p.Message, Fix: p.Fix}
		set(&u.template, Fail, p.Message, p.Fix)
	}
	if err != nil {
		fix := u.r.setupCommand("") + " --template TEMPLATE"
		var re *config.RenderError
		if errors.As(err, &re) && re.Fix != "" {
			fix = re.Fix
		}
		if u.template.Status != Fail {
			set(&u.template, Fail, err.Error(), fix)
		}
		why := "no legal SA ID: the identity template did not render one"
		for _, c := range []*Check{&u.exists, &u.creator, &u.roles, &u.mint, &u.probe} {
			set(c, Skip, why, "")
		}
		return false
	}
	set(&u.template, Pass, "renders "+id.Email, "")
	return true
}

// preflightProblem finds a per-user preflight problem for email (a
// collision names several users, comma-separated).
func (r *runner) preflightProblem(email string) (config.Problem, bool) {
	for _, p := range r.opts.Preflight {
		for _, u := range strings.Split(p.User, ",") {
			if strings.EqualFold(strings.TrimSpace(u), email) {
				return p, true
			}
		}
	}
	return config.Problem{}, false
}

// checkRoles fills the data-roles row from the project policy (read once
// for every user).
func (u *userRun) checkRoles() {
	u.roles = u.r.dataRolesRow(ScopeUser, u.email, u.member)
}

func (u *userRun) mintToken(ctx context.Context) error {
	tok, err := u.r.minter.mint(ctx, u.id.Email, u.r.opts.Lifetime)
	if err != nil {
		return err
	}
	u.minted(tok)
	return nil
}

// minted records a token: the mint passed, which proves that the SA exists
// and that the admin may impersonate it.
func (u *userRun) minted(tok *gcp.Token) {
	u.token = tok
	ttl := tok.Expiry.Sub(u.r.opts.Now()).Round(time.Minute)
	seen := fmt.Sprintf("token for %s via %s, TTL %s, %s", u.id.Email, u.r.minter.via, minutes(ttl), gcp.Mask(tok.AccessToken))
	if u.waited > 0 {
		seen += fmt.Sprintf(" (granted, not yet propagated: it took %s)", u.waited)
	}
	set(&u.mint, Pass, seen, "")
	if u.exists.Status == Skip {
		set(&u.exists, Pass, "exists (the mint proves it)", "")
	}
	if u.creator.Status == Skip {
		where := "on the SA"
		if has, _ := u.r.facts.projectHas(roleTokenCreator, "serviceAccount:"+u.r.admin); has {
			where = "on the project (Pattern B)"
		}
		set(&u.creator, Pass, fmt.Sprintf("%s may impersonate it, %s (the mint proves it)", u.r.minter.via, where), "")
	}
}

func minutes(d time.Duration) string {
	return fmt.Sprintf("%d min", int(d/time.Minute))
}

// existence fills the existence row from the project's SA list (read once
// per run, on the first failure that needs it).
func (u *userRun) existence(ctx context.Context) (sa *gcp.ServiceAccount, known bool) {
	sa, known, err := u.r.facts.account(ctx, u.id.Email)
	switch {
	case !known:
		set(&u.exists, unreadable(err, Skip), "cannot list service accounts: "+errText(err), fixForReadError(err, u.r.project))
	case sa == nil:
		set(&u.exists, Fail, u.id.Email+" does not exist", u.r.setupCommand(u.email))
	case sa.Disabled:
		set(&u.exists, Fail, "exists but is disabled", fixEnableSA(u.r.project, sa.Email))
	default:
		set(&u.exists, Pass, "exists (unique ID "+sa.UniqueID+")", "")
	}
	return sa, known
}

// grant fills the Token Creator row: on the project (from the shared
// policy) or on the SA (its policy, read only now). known is false when
// neither could be read.
func (u *userRun) grant(ctx context.Context) (granted, known bool) {
	admin := "serviceAccount:" + u.r.admin
	if has, _ := u.r.facts.projectHas(roleTokenCreator, admin); has {
		set(&u.creator, Pass, u.r.admin+" holds Token Creator on the project (Pattern B)", "")
		return true, true
	}
	pol, err := u.r.c.ServiceAccountPolicy(u.id.Email).Get(ctx)
	if err != nil {
		set(&u.creator, unreadable(err, Skip), "cannot read the SA's policy: "+errText(err), fixForReadError(err, u.r.project))
		return false, false
	}
	if pol.HasMember(roleTokenCreator, admin) {
		set(&u.creator, Pass, u.r.admin+" holds Token Creator on "+u.id.Email, "")
		return true, true
	}
	set(&u.creator, Fail, u.r.admin+" holds Token Creator neither on "+u.id.Email+" nor on the project",
		fixGrantOnSA(u.r.project, u.id.Email, admin, roleTokenCreator))
	return false, true
}

// explainMint classifies a failed mint (SPEC §3), reading the static facts
// that say why, and retries a 403 that is only IAM propagation.
func (u *userRun) explainMint(ctx context.Context, err error) {
	r := u.r
	if ke := (*adminKeyError)(nil); errors.As(err, &ke) {
		set(&u.mint, Fail, "cannot mint as the admin: "+err.Error(),
			fmt.Sprintf("fedctl setup --project %s --admin-key-file NEW-FILE (or drop --admin-key-file to verify keylessly)", r.project))
		u.existence(ctx)
		if u.exists.Status == Pass {
			u.grant(ctx)
		}
		return
	}
	if transient(err) {
		// Google kept failing: the mint was not made, so nothing is known
		// about it (not "checked and wrong"); the static rows still run.
		set(&u.mint, Unchecked, "cannot mint: "+errText(err), fixForReadError(err, r.project))
		set(&u.probe, Skip, "no token to query with", "")
		if sa, _ := u.existence(ctx); sa != nil {
			u.grant(ctx)
		}
		return
	}
	e := gcp.Classify(err)
	sa, known := u.existence(ctx)
	switch {
	case sa != nil:
		u.grant(ctx)
	case known:
		set(&u.creator, Skip, "the SA does not exist", "")
	default:
		set(&u.creator, Skip, "cannot tell: the SA list could not be read", "")
	}
	missing := known && sa == nil
	adminMissing := r.facts.admin == nil && gcp.IsNotFound(r.facts.adminErr)
	fail := func(seen, fix string) { set(&u.mint, Fail, seen, fix) }

	switch e.Kind {
	case gcp.KindServiceDisabled:
		svc := e.Service
		if svc == "" {
			svc = "iamcredentials.googleapis.com"
		}
		fail(fmt.Sprintf("SERVICE_DISABLED: %s is not enabled in %s", svc, r.project), fixEnableAPI(r.project, svc))
	case gcp.KindNotFound:
		switch {
		case missing:
			fail(fmt.Sprintf("404: %s does not exist", u.id.Email), r.setupCommand(u.email))
		case adminMissing:
			fail(fmt.Sprintf("404: the admin SA %s does not exist", r.admin), r.setupCommand(""))
		default:
			fail("404: "+e.Message, r.setupCommand(u.email))
		}
	case gcp.KindInvalidArgument:
		fail(fmt.Sprintf("400: invalid account ID %q: %s", u.id.AccountID, e.Message), r.setupCommand("")+" --template TEMPLATE")
	case gcp.KindFailedPrecondition:
		if sa != nil && sa.Disabled {
			fail(u.id.Email+" is disabled", fixEnableSA(r.project, sa.Email))
		} else {
			fail(e.Error(), "")
		}
	case gcp.KindUnauthenticated:
		fail("the credentials were rejected: "+e.Message, "gcloud auth application-default login")
	case gcp.KindPermissionDenied:
		u.explainDenied(ctx, e, missing, adminMissing)
	default:
		fail(e.Error(), "")
	}
}

// explainDenied says which of the causes Google's "Permission denied on
// resource (or it may not exist)" hides, and waits out propagation.
func (u *userRun) explainDenied(ctx context.Context, e *gcp.Error, missing, adminMissing bool) {
	r := u.r
	switch {
	case missing:
		set(&u.mint, Fail, fmt.Sprintf("403 (\"or it may not exist\"): %s does not exist", u.id.Email), r.setupCommand(u.email))
		return
	case adminMissing:
		set(&u.mint, Fail, fmt.Sprintf("403: the admin SA %s does not exist", r.admin), r.setupCommand(""))
		return
	case u.creator.Status == Fail:
		set(&u.mint, Fail, fmt.Sprintf("403 IAM_PERMISSION_DENIED: Token Creator missing: %s may not mint for %s", r.minter.via, u.id.Email),
			u.creator.Fix)
		return
	}
	// Keyless: the first link (operator → admin) may be what is missing.
	// When a verifier grant exists on the admin SA it may be the operator's,
	// still propagating, so that case waits like the others.
	var verifiers []string
	if r.minter.how == MintedByDelegation {
		if has, known := r.minter.operatorMayDelegate(ctx, r.project); known && !has {
			if verifiers = r.minter.humanTokenCreators(ctx); len(verifiers) == 0 {
				u.cannotDelegate("")
				return
			}
		}
	}
	if u.creator.Status != Pass {
		set(&u.mint, Fail, "403 IAM_PERMISSION_DENIED: "+e.Message, u.creator.Fix)
		return
	}
	// The static row shows the grant: IAM is still propagating it.
	err := u.r.retryPropagation(ctx, &u.waited, func() error { return u.mintToken(ctx) })
	switch {
	case err == nil:
		// minted() recorded the pass with the time it took.
	case gcp.IsPermissionDenied(err) && len(verifiers) > 0:
		u.cannotDelegate(fmt.Sprintf(" (it is granted to %s: if that is you, it has not propagated after %s; re-run with --wait 10m)",
			strings.Join(verifiers, ", "), u.waited))
	case gcp.IsPermissionDenied(err):
		set(&u.mint, Fail, fmt.Sprintf("granted, not yet propagated: Token Creator is in the policy, but the mint still gets 403 after %s", u.waited),
			"wait a few minutes, then: "+r.verifyCommand(u.email, "--wait 10m"))
	default:
		u.explainMint(ctx, err)
	}
}

// cannotDelegate records that verify cannot mint as the admin keylessly:
// the operator lacks Token Creator on the admin SA. The static rows still
// stand; the mint and probe are skipped, with how to enable them.
func (u *userRun) cannotDelegate(note string) {
	r := u.r
	set(&u.mint, Skip, fmt.Sprintf("cannot mint as the admin keylessly: you (the operator) lack Token Creator on %s%s", r.admin, note),
		r.setupCommand(u.email)+" --verifier user:YOU (or verify with --admin-key-file FILE)")
	set(&u.probe, Skip, "no token to query with: "+u.mint.Seen, "")
}

func (r *runner) progress(format string, args ...any) {
	if r.opts.Progress != nil {
		r.opts.Progress(format, args...)
	}
}
