package verify

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// The SPEC §7.3 facts verify shows as project rows, and what they let the
// runner conclude at once: a probe denied while no data role grants
// bigquery.jobs.create is that cause, not IAM propagation, so nothing
// waits for it. Waiting happens only when every static row passes, from
// one budget (Options.Wait) shared by all identities.

// Row names of the preflight facts.
const (
	CheckQueryPermission = "query_permission"
	CheckPrivilegedRoles = "privileged_roles"
	CheckPolicySize      = "policy_size"
	CheckOrgPolicy       = "org_policy"
)

// queryFact is whether the data roles let an identity run a query.
type queryFact struct {
	once  sync.Once
	ok    bool
	known bool
	seen  string
}

// queryPermission answers from what fedctl knows of predefined roles, and
// reads custom roles (roles.get) only when one is configured.
func (r *runner) queryPermission(ctx context.Context) *queryFact {
	q := &r.qfact
	q.once.Do(func() {
		roles := r.cfg.Roles()
		q.known = true
		for _, role := range roles {
			grants, known := config.RoleGrantsQuery(role)
			if !known {
				got, err := r.c.GetRole(ctx, role)
				if err != nil {
					q.known = false
					q.seen = "cannot read " + role + ": " + errText(err)
					continue
				}
				grants = slices.Contains(got.Permissions, "bigquery.jobs.create")
			}
			if grants {
				q.ok, q.known, q.seen = true, true, role+" grants bigquery.jobs.create"
				return
			}
		}
		if q.known {
			q.seen = fmt.Sprintf("no data role grants bigquery.jobs.create (%s): identities can read tables but not run a query", strings.Join(roles, ", "))
		}
	})
	return q
}

func (r *runner) queryFix() string {
	return fmt.Sprintf("fedctl setup --project %s --roles %s", r.project, strings.Join(append(slices.Clone(r.cfg.Roles()), "roles/bigquery.jobUser"), ","))
}

// preflightRows are the project rows of the §7.3 facts.
func (r *runner) preflightRows(ctx context.Context) []Check {
	var out []Check
	if len(r.cfg.Roles()) > 0 {
		c := Check{Scope: ScopeProject, Name: CheckQueryPermission, Subject: r.project}
		switch q := r.queryPermission(ctx); {
		case !q.known:
			set(&c, Skip, q.seen, "")
		case q.ok:
			set(&c, Pass, q.seen, "")
		default:
			set(&c, Fail, q.seen, r.queryFix())
		}
		out = append(out, c)
	}
	if pol := r.facts.policy; pol != nil {
		n := engine.PolicyPrincipals(pol)
		c := Check{Scope: ScopeProject, Name: CheckPolicySize, Subject: r.project}
		// Google's limit (engine.MaxPolicyMembers); past 90% of it the row warns.
		seen := fmt.Sprintf("%d of %d principals in the project policy", n, engine.MaxPolicyMembers)
		if n*10 > engine.MaxPolicyMembers*9 {
			set(&c, Warn, seen+": close to Google's limit, further grants will be refused",
				"fedctl setup --data-role-bundle (one custom role per identity), or grant a Google group instead of each identity")
		} else {
			set(&c, Pass, seen, "")
		}
		out = append(out, c)
	}
	out = append(out, r.orgPolicyRows(ctx)...)
	var bad []string
	for _, role := range r.cfg.Roles() {
		if why := config.PrivilegedRole(role); why != "" {
			bad = append(bad, role+" ("+why+")")
		}
	}
	if len(bad) > 0 {
		out = append(out, Check{Scope: ScopeProject, Name: CheckPrivilegedRoles, Subject: r.project, Status: Warn,
			Seen: "privileged data role(s): " + strings.Join(bad, "; "),
			Fix:  fmt.Sprintf("fedctl setup --project %s --roles roles/bigquery.jobUser,roles/bigquery.dataViewer", r.project)})
	}
	return out
}

// budget is the one propagation wait of a run: each identity's retries
// start where the run's waiting stands and stop at Options.Wait.
type budget struct {
	mu   sync.Mutex
	used time.Duration
}

func (b *budget) offset() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

func (b *budget) reach(t time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if t > b.used {
		b.used = t
	}
}

// shortDuration prints 40s, 2m, 1m30s.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	}
	return fmt.Sprintf("%dm%ds", int(d/time.Minute), int(d%time.Minute/time.Second))
}

// retryPropagation retries fn while it fails with 403 (a grant still
// propagating), with the one backoff (gcp.Do), within what is left of the
// run's one budget (Options.Wait), adding the time waited to *waited and
// reporting progress ("waiting for IAM propagation: 40s of 2m"). It is
// called after fn's first 403, so it waits before the next try.
func (r *runner) retryPropagation(ctx context.Context, waited *time.Duration, fn func() error) error {
	off := r.budget.offset()
	left := r.opts.Wait - off - *waited
	if left <= 0 {
		return errStillDenied
	}
	p := gcp.RetryPolicy{Budget: left, Initial: time.Second, Max: 16 * time.Second,
		Sleep: func(ctx context.Context, d time.Duration) error {
			if err := r.opts.Sleep(ctx, d); err != nil {
				return err
			}
			*waited += d
			r.budget.reach(off + *waited)
			r.progress("waiting for IAM propagation: %s of %s", shortDuration(off+*waited), shortDuration(r.opts.Wait))
			return nil
		}}
	first := true
	return gcp.Do(ctx, p, gcp.IsPermissionDenied, func() error {
		if first {
			first = false
			return errStillDenied
		}
		return fn()
	})
}

// errStillDenied stands for the 403 retryPropagation is called after.
var errStillDenied = &gcp.Error{Kind: gcp.KindPermissionDenied, Message: "still denied"}

// orgPolicyRows: the organization policies that govern what this
// federation relies on — the wif provider's issuer; with an admin key file,
// the key-creation constraints (the key works, a new one would be refused).
// One row per concern, the constraint named in what it saw.
func (r *runner) orgPolicyRows(ctx context.Context) []Check {
	var out []Check
	add := func(st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeProject, Name: CheckOrgPolicy, Subject: r.project, Status: st, Seen: seen, Fix: fix})
	}
	const readFix = "grant roles/orgpolicy.policyViewer (or roles/viewer) and enable orgpolicy.googleapis.com"
	if r.cfg.Mode == config.ModeWIF && r.cfg.WIF.Provider.IssuerURI != "" {
		issuer := r.cfg.WIF.Provider.IssuerURI
		c := "constraints/" + gcp.ConstraintWorkloadIdentityPoolProviders
		switch pol, err := r.c.GetEffectivePolicy(ctx, r.project, gcp.ConstraintWorkloadIdentityPoolProviders); {
		case err != nil:
			add(Skip, "cannot read "+c+": "+errText(err), readFix)
		case pol.Allows(issuer) || pol.Allows(strings.TrimSuffix(issuer, "/")):
			add(Pass, "the workload identity pool providers policy allows the issuer "+issuer, "")
		default:
			add(Fail, "the workload identity pool providers policy does not allow the issuer "+issuer+": Google refuses the provider",
				"ask an organization policy administrator to add "+issuer+" to "+c)
		}
	}
	if r.opts.AdminKeyFile != "" {
		var enforced []string
		for _, k := range []string{gcp.ConstraintDisableKeyCreation, gcp.ConstraintManagedDisableKeyCreation} {
			var pol *gcp.OrgPolicy
			var err error
			if k == gcp.ConstraintDisableKeyCreation {
				// Read once per run with the project facts (key_creation_policy).
				pol, err = r.facts.keyPolicy, r.facts.keyPolicyErr
			} else {
				pol, err = r.c.GetEffectivePolicy(ctx, r.project, k)
			}
			if err != nil {
				add(Skip, "cannot read constraints/"+k+": "+errText(err), readFix)
				return out
			}
			if pol.Enforced() {
				enforced = append(enforced, "constraints/"+k)
			}
		}
		if len(enforced) > 0 {
			add(Warn, strings.Join(enforced, ", ")+" enforced: the admin key works, but no new key can be created (rotation is refused)",
				fmt.Sprintf("verify keylessly: fedctl setup --project %s --verifier user:YOU", r.project))
		} else {
			add(Pass, "key creation allowed (constraints/"+gcp.ConstraintDisableKeyCreation+" and its managed twin not enforced)", "")
		}
	}
	return out
}

func init() {
	titles[CheckQueryPermission] = "roles can query"
	titles[CheckPolicySize] = "policy size"
	titles[CheckPrivilegedRoles] = "privileged roles"
	titles[CheckOrgPolicy] = "org policy"
}
