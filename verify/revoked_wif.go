package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// The wif proof of revocation (SPEC §7.2): the principal (set) has lost
// its binding, an exchange and impersonation with the workload's token now
// fail, and until when the target SA's tokens minted before stay valid
// (Google cannot revoke an SA's access token short of disabling the SA).
const (
	CheckRevokedWIFBinding = "revoked_wif_binding"
	CheckRevokedWIFChain   = "revoked_wif_exchange"
	CheckRevokedWIFUntil   = "revoked_wif_tokens_until"
)

func init() {
	titles[CheckRevokedWIFBinding] = "principal unbound"
	titles[CheckRevokedWIFChain] = "exchange refused"
	titles[CheckRevokedWIFUntil] = "minted tokens valid until"
}

// RunRevokedWIF runs the wif revocation rows for the configuration's
// principal (set): after a teardown, or after setup narrowed who may
// federate. With opts.SubjectToken, the live STS exchange and
// impersonation must fail.
func RunRevokedWIF(ctx context.Context, c *gcp.Client, cfg *config.Config, opts Options) (*Report, error) {
	r, err := newRunner(ctx, c, cfg, opts)
	if err != nil {
		return nil, err
	}
	rep := &Report{Project: r.project, Mode: r.cfg.Mode, Checks: r.revokedWIFRows(ctx)}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The fixes name fedctl teardown: on the sandbox it needs --sandbox.
	r.contextualizeFixes(rep)
	rep.summarize()
	return rep, nil
}

// revokedWIFRows are the rows for the configured member.
func (r *runner) revokedWIFRows(ctx context.Context) []Check {
	w := r.cfg.WIF
	var out []Check
	proj, err := r.c.GetProject(ctx, r.project)
	if err != nil {
		return []Check{{Scope: ScopeWIF, Name: CheckRevokedWIFBinding, Subject: w.Pool.ID, Status: unreadable(err, Skip), Seen: "cannot read the project number: " + errText(err)}}
	}
	member := w.Member(proj.Number)
	add := func(name string, st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeWIF, Name: name, Subject: member, Status: st, Seen: seen, Fix: fix})
	}
	target := ""
	if !w.Direct {
		target = w.TargetEmail(r.project)
	}

	// The binding.
	var pol *gcp.Policy
	targetGone, targetDisabled := false, false
	if target != "" {
		sa, err := r.c.GetServiceAccount(ctx, target)
		switch {
		case gcp.IsNotFound(err):
			targetGone = true
		case err == nil:
			targetDisabled = sa.Disabled
			pol, err = r.c.ServiceAccountPolicy(target).Get(ctx)
		}
		if err != nil && !targetGone {
			add(CheckRevokedWIFBinding, unreadable(err, Skip), "could not read "+target+": "+errText(err), "")
		}
	} else {
		pol, err = r.c.ProjectPolicy(r.project).Get(ctx)
		if err != nil {
			add(CheckRevokedWIFBinding, unreadable(err, Skip), "could not read the project policy: "+errText(err), "")
		}
	}
	switch {
	case targetGone:
		add(CheckRevokedWIFBinding, Pass, "the target SA "+target+" is deleted", "")
	case pol != nil:
		if roles := rolesNaming(pol, member); len(roles) > 0 {
			add(CheckRevokedWIFBinding, Fail, fmt.Sprintf("still holds %v on %s", roles, orProject(target, r.project)),
				r.invocation().Fedctl("teardown", true)+" (or remove the binding)")
		} else {
			add(CheckRevokedWIFBinding, Pass, "no binding on "+orProject(target, r.project)+" names it", "")
		}
	}

	// The live chain with the workload's token.
	switch raw := r.opts.SubjectToken; {
	case raw == "":
		// Teardown and setup take no subject token: the fix is verify's.
		add(CheckRevokedWIFChain, Skip, "no subject token to try",
			r.invocation().Fedctl("verify", true, "--revoked", "--subject-token-file", "FILE")+" (a JWT from the workload's IdP)")
	default:
		fed, err := r.c.ExchangeToken(ctx, w.Audience(proj.Number), raw)
		var se *gcp.STSError
		switch {
		case errors.As(err, &se):
			add(CheckRevokedWIFChain, Pass, "STS refuses the token: "+se.Code, "")
		case err != nil:
			add(CheckRevokedWIFChain, unreadable(err, Skip), "could not check: "+errText(err), "")
		case target == "":
			if _, qerr := r.query(ctx, &gcp.Token{AccessToken: fed.AccessToken, Expiry: fed.Expiry}); qerr == nil {
				add(CheckRevokedWIFChain, Fail, "the federated token still runs queries", "")
			} else if transient(qerr) {
				add(CheckRevokedWIFChain, Unchecked, "could not check: "+errText(qerr), "")
			} else {
				add(CheckRevokedWIFChain, Pass, "the federated token is denied: "+errText(qerr), "")
			}
		default:
			_, ierr := r.c.GenerateAccessToken(ctx, target, nil, []string{cloudPlatformScope}, 5*time.Minute, oauth2.StaticTokenSource(fed))
			if ierr == nil {
				add(CheckRevokedWIFChain, Fail, "the workload still impersonates "+target, "")
			} else if transient(ierr) {
				add(CheckRevokedWIFChain, Unchecked, "could not check: "+errText(ierr), "")
			} else {
				add(CheckRevokedWIFChain, Pass, "impersonation of "+target+" refused: "+gcp.Classify(ierr).Kind.String(), "")
			}
		}
	}

	// Tokens already minted.
	switch {
	case target == "":
		add(CheckRevokedWIFUntil, Warn, "federated tokens already issued stay valid until they expire (at most 1 h, until "+r.opts.Now().Add(time.Hour).UTC().Format("15:04:05Z")+")", "")
	case targetGone || targetDisabled:
		add(CheckRevokedWIFUntil, Pass, "tokens minted for "+target+" are rejected now (the SA is "+map[bool]string{true: "deleted", false: "disabled"}[targetGone]+")", "")
	default:
		add(CheckRevokedWIFUntil, Warn, fmt.Sprintf("tokens already minted for %s stay valid until they expire: at most 1 h, until %s", target, r.opts.Now().Add(time.Hour).UTC().Format("15:04:05Z")),
			"to cut them now: gcloud iam service-accounts disable "+target+" (it stops every workload using it)")
	}
	return out
}

func orProject(target, project string) string {
	if target == "" {
		return "project " + project
	}
	return target
}
