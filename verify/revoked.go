package verify

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// The proof of revocation (SPEC §7.2): rows that pass only when an
// offboarded identity's access is gone.
const (
	CheckRevokedSA      = "revoked_sa_disabled"
	CheckRevokedToken   = "revoked_token_rejected"
	CheckRevokedMint    = "revoked_admin_mint"
	CheckRevokedBinding = "revoked_no_binding"
	CheckRevokedKeys    = "revoked_no_keys"
)

func init() {
	titles[CheckRevokedSA] = "SA disabled or deleted"
	titles[CheckRevokedToken] = "earlier token rejected"
	titles[CheckRevokedMint] = "admin mint refused"
	titles[CheckRevokedBinding] = "no binding names it"
	titles[CheckRevokedKeys] = "no user-managed key"
}

// Revocation is one offboarded identity to prove revoked.
type Revocation struct {
	// User is the person (the rows' subject).
	User string
	// SA is their service account (impersonation); "" in oauth mode.
	SA string
	// Held is a token minted for SA just before the offboarding (nil:
	// none). It is used once to prove it is now rejected, never shown.
	Held *gcp.Token
}

// MintBeforeOffboarding mints a short-lived token for sa as the admin (as
// verify does), to be proven rejected once sa is disabled. Best effort:
// nil when verify cannot mint as the admin.
func MintBeforeOffboarding(ctx context.Context, c *gcp.Client, cfg *config.Config, opts Options, sa string) *gcp.Token {
	r, err := newRunner(ctx, c, cfg, opts)
	if err != nil || r.admin == "" {
		return nil
	}
	tok, err := r.minter.mint(ctx, sa, 10*time.Minute)
	if err != nil {
		return nil
	}
	return tok
}

// RevocationsFor are the revocations of users by the configuration's
// template (verify --revoked --user EMAIL: no token is held).
func RevocationsFor(cfg *config.Config, users []string) []Revocation {
	var out []Revocation
	for _, u := range users {
		rv := Revocation{User: u}
		if cfg.Mode == config.ModeImpersonation || cfg.Mode == "" {
			if id, err := cfg.IdentityFor(u); err == nil {
				rv.SA = id.Email
			}
		}
		out = append(out, rv)
	}
	return out
}

// RunRevoked runs the revocation rows alone for each identity (`fedctl
// verify --revoked`, and the closing table after an offboarding). A row
// fails while access remains (exit 3).
func RunRevoked(ctx context.Context, c *gcp.Client, cfg *config.Config, opts Options, revs []Revocation) (*Report, error) {
	r, err := newRunner(ctx, c, cfg, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Project: r.project, Mode: r.cfg.Mode}
	pol, polErr := c.ProjectPolicy(r.project).Get(ctx)
	for _, rv := range revs {
		rows := r.revokedRows(ctx, rv, pol, polErr)
		rep.Checks = append(rep.Checks, rows...)
		v := UserVerdict{Email: rv.User, SA: rv.SA, OK: true, Tested: true, Verdict: "Access revoked"}
		for _, ch := range rows {
			if ch.Status == Fail {
				v.OK, v.Verdict = false, "Access NOT revoked: "+Title(ch.Name)+": "+ch.Seen
				break
			}
		}
		rep.Users = append(rep.Users, v)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The fixes name fedctl teardown: on the sandbox it needs --sandbox.
	r.contextualizeFixes(rep)
	rep.summarize()
	return rep, nil
}

func (r *runner) revokedRows(ctx context.Context, rv Revocation, pol *gcp.Policy, polErr error) []Check {
	row := func(name string) Check { return Check{Scope: ScopeUser, Name: name, Subject: rv.User} }
	teardown := "fedctl teardown --project " + r.project + " --user " + rv.User
	if r.cfg.Name != "" && r.cfg.Name != config.DefaultName {
		teardown += " --name " + r.cfg.Name
	}
	member := "user:" + rv.User
	if rv.SA != "" {
		member = "serviceAccount:" + rv.SA
	}
	var out []Check

	if rv.SA != "" {
		sa := row(CheckRevokedSA)
		l, err := r.c.GetServiceAccount(ctx, rv.SA)
		switch {
		case gcp.IsNotFound(err):
			set(&sa, Pass, rv.SA+" is deleted", "")
		case err != nil:
			set(&sa, Skip, "could not check: "+errText(err), "")
		case l.Disabled:
			set(&sa, Pass, rv.SA+" is disabled", "")
		default:
			set(&sa, Fail, rv.SA+" is enabled: it can still be used", teardown)
		}
		out = append(out, sa)

		tk := row(CheckRevokedToken)
		switch {
		case rv.Held == nil:
			set(&tk, Skip, "no token minted before the offboarding to test (verify keeps none)", "")
		default:
			_, err := r.query(ctx, rv.Held)
			switch {
			case err == nil:
				set(&tk, Fail, "a token minted before the offboarding still runs queries", teardown)
			case gcp.IsUnauthenticated(err):
				set(&tk, Pass, "a token minted before the offboarding is now rejected (401)", "")
			case gcp.IsPermissionDenied(err):
				set(&tk, Pass, "a token minted before the offboarding is accepted but denied every query (403)", "")
			default:
				set(&tk, Skip, "could not check: "+errText(err), "")
			}
		}
		out = append(out, tk)

		out = append(out, r.revokedMintRow(ctx, row(CheckRevokedMint), rv.SA, teardown))
	}

	b := row(CheckRevokedBinding)
	if polErr != nil {
		set(&b, Skip, "could not read the project policy: "+errText(polErr), "")
	} else if roles := rolesNaming(pol, member); len(roles) > 0 {
		set(&b, Fail, fmt.Sprintf("the project policy still grants %s to %s", strings.Join(roles, ", "), member), teardown)
	} else {
		set(&b, Pass, "no binding of the project policy names "+member, "")
	}
	out = append(out, b)

	if rv.SA != "" {
		k := row(CheckRevokedKeys)
		keys, err := r.c.ListKeys(ctx, rv.SA, true)
		switch {
		case gcp.IsNotFound(err):
			set(&k, Pass, "none (the SA is deleted)", "")
		case err != nil:
			set(&k, Skip, "could not check: "+errText(err), "")
		case len(keys) == 0:
			set(&k, Pass, "none", "")
		default:
			set(&k, Fail, fmt.Sprintf("%d user-managed key(s) left: a key file still authenticates once the SA is enabled again", len(keys)),
				fixPruneKeys(r.project, []string{rv.SA}))
		}
		out = append(out, k)
	}
	return out
}

// revokedMintRow: the admin's mint for the SA must now fail, classified.
func (r *runner) revokedMintRow(ctx context.Context, c Check, sa, fix string) Check {
	if r.admin == "" {
		set(&c, Skip, "no admin SA in this mode", "")
		return c
	}
	if r.minter.how == MintedByDelegation {
		if has, known := r.minter.operatorMayDelegate(ctx, r.project); !has || !known {
			set(&c, Skip, "cannot mint as the admin (the operator may not delegate through "+r.admin+"), so a refusal would prove nothing",
				"pass --admin-key-file, or setup --verifier user:YOU")
			return c
		}
	}
	tok, err := r.minter.mint(ctx, sa, 5*time.Minute)
	if err == nil {
		_ = tok // never shown: its existence is the failure
		set(&c, Fail, "the admin still mints a token for "+sa, fix)
		return c
	}
	var ke *adminKeyError
	if errors.As(err, &ke) {
		set(&c, Skip, ke.Error(), "")
		return c
	}
	e := gcp.Classify(err)
	switch e.Kind {
	case gcp.KindNotFound:
		set(&c, Pass, "refused: 404, the SA does not exist", "")
	case gcp.KindPermissionDenied:
		set(&c, Pass, "refused: 403, the admin no longer holds Token Creator on it", "")
	case gcp.KindFailedPrecondition, gcp.KindInvalidArgument:
		set(&c, Pass, fmt.Sprintf("refused: %d, the SA is disabled", e.Code), "")
	default:
		set(&c, Skip, "could not check: "+e.Error(), "")
	}
	return c
}

// rolesNaming lists the roles whose bindings (conditional ones included)
// name member.
func rolesNaming(p *gcp.Policy, member string) []string {
	var out []string
	if p == nil {
		return nil
	}
	for _, b := range p.Bindings {
		if slices.Contains(b.Members, member) && !slices.Contains(out, b.Role) {
			out = append(out, b.Role)
		}
	}
	return out
}
