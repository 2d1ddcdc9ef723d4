package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

const roleWorkloadIdentityUser = "roles/iam.workloadIdentityUser"

// wifChecks are the wif rows (SPEC §3): the pool is ACTIVE and enabled, the
// provider too and it has an attribute condition, the federated principal
// may impersonate the target SA, and the data roles are in place. The live
// STS exchange needs a subject token and is not part of this table yet.
func (r *runner) wifChecks(ctx context.Context) []Check {
	w := r.cfg.WIF
	var out []Check
	add := func(name, subject string, st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeWIF, Name: name, Subject: subject, Status: st, Seen: seen, Fix: fix})
	}
	proj, err := r.c.GetProject(ctx, r.project)
	if err != nil {
		// Every row that needs the number is reported as not made (never
		// left out: a run that checked nothing wif-specific must not pass).
		st, seen, fix := unreadable(err, Skip), "cannot read the project number: "+errText(err), fixForReadError(err, r.project)
		add(CheckWIFPool, w.Pool.ID, st, seen, fix)
		add(CheckWIFProvider, w.Provider.ID, st, seen, fix)
		if target := w.TargetEmail(r.project); !w.Direct && target != "" {
			add(CheckWorkloadUser, target, st, seen, fix)
			holder := "serviceAccount:" + target // needs no project number
			out = append(out, r.dataRolesRow(ScopeWIF, holder, holder))
		} else {
			out = append(out, Check{Scope: ScopeWIF, Name: CheckDataRoles, Subject: w.PrincipalSet + w.Principal, Status: st, Seen: seen, Fix: fix})
		}
		return append(out, r.conditionRow())
	}
	poolOK := false
	switch pool, err := r.c.GetPool(ctx, w.PoolName(proj.Number)); {
	case err != nil && gcp.IsNotFound(err):
		add(CheckWIFPool, w.Pool.ID, Fail, "the pool does not exist", r.setupCommand(""))
	case err != nil:
		add(CheckWIFPool, w.Pool.ID, unreadable(err, Fail), "cannot read: "+errText(err), fixForReadError(err, r.project))
		if transient(err) {
			add(CheckWIFProvider, w.Provider.ID, Unchecked, "the pool could not be read: "+errText(err), fixForReadError(err, r.project))
		}
	case pool.State == "DELETED":
		add(CheckWIFPool, w.Pool.ID, Fail, "soft-deleted (purged at "+pool.ExpireTime+")",
			fmt.Sprintf("gcloud iam workload-identity-pools undelete %s --location=global --project=%s", w.Pool.ID, r.project))
	case pool.Disabled:
		add(CheckWIFPool, w.Pool.ID, Fail, "disabled: no token can be exchanged",
			fmt.Sprintf("gcloud iam workload-identity-pools update %s --location=global --no-disabled --project=%s", w.Pool.ID, r.project))
	default:
		poolOK = true
		add(CheckWIFPool, w.Pool.ID, Pass, "ACTIVE", "")
	}
	if poolOK {
		switch prov, err := r.c.GetProvider(ctx, w.ProviderName(proj.Number)); {
		case err != nil && gcp.IsNotFound(err):
			add(CheckWIFProvider, w.Provider.ID, Fail, "the provider does not exist", r.setupCommand(""))
		case err != nil:
			add(CheckWIFProvider, w.Provider.ID, unreadable(err, Fail), "cannot read: "+errText(err), fixForReadError(err, r.project))
		case prov.State == "DELETED" || prov.Disabled:
			add(CheckWIFProvider, w.Provider.ID, Fail, "deleted or disabled (state "+prov.State+")",
				fmt.Sprintf("gcloud iam workload-identity-pools providers undelete %s --workload-identity-pool=%s --location=global --project=%s",
					w.Provider.ID, w.Pool.ID, r.project))
		case strings.TrimSpace(prov.AttributeCondition) == "":
			add(CheckWIFProvider, w.Provider.ID, Warn, "ACTIVE, but no attribute condition: every token the issuer signs is admitted (other tenants' too)",
				r.setupCommand("")+" --attribute-condition CEL")
		default:
			add(CheckWIFProvider, w.Provider.ID, Pass, "ACTIVE, condition: "+prov.AttributeCondition, "")
		}
	}

	member := w.Member(proj.Number)
	target := w.TargetEmail(r.project)
	if !w.Direct && target != "" {
		switch pol, err := r.c.ServiceAccountPolicy(target).Get(ctx); {
		case err != nil:
			add(CheckWorkloadUser, target, unreadable(err, Skip), "cannot read the SA's policy: "+errText(err), fixForReadError(err, r.project))
		case pol.HasMember(roleWorkloadIdentityUser, member):
			add(CheckWorkloadUser, target, Pass, member+" may impersonate it", "")
		default:
			add(CheckWorkloadUser, target, Fail, member+" lacks "+roleWorkloadIdentityUser+" on it",
				fixGrantOnSA(r.project, target, member, roleWorkloadIdentityUser))
		}
	}
	holder := member
	if !w.Direct && target != "" {
		holder = "serviceAccount:" + target
	}
	out = append(out, r.dataRolesRow(ScopeWIF, holder, holder))
	out = append(out, r.conditionRow())
	return append(out, r.wifTokenChecks(ctx, proj.Number)...)
}

// dataRolesRow checks that member holds the data roles on the project.
func (r *runner) dataRolesRow(scope Scope, subject, member string) Check {
	c := Check{Scope: scope, Name: CheckDataRoles, Subject: subject}
	f := r.facts
	if f.policy == nil {
		set(&c, unreadable(f.policyErr, Skip), "cannot read the project policy: "+errText(f.policyErr), fixForReadError(f.policyErr, r.project))
		return c
	}
	var missing []string
	for _, role := range r.cfg.Roles() {
		if !f.policy.HasMember(role, member) {
			missing = append(missing, role)
		}
	}
	if len(missing) > 0 {
		set(&c, Fail, fmt.Sprintf("%s lacks %s on %s", member, strings.Join(missing, ", "), r.project),
			fixGrantOnProject(r.project, member, missing))
		return c
	}
	set(&c, Pass, "holds "+strings.Join(r.cfg.Roles(), ", "), "")
	return c
}
