package engine

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// Preflight (SPEC §7.3): after the live read and before the first write,
// the plan is checked against what Google would refuse or limit — the
// operator's permissions for exactly the plan's writes, the service-account
// quota, the 1,500-principal allow-policy limit, privileged data roles,
// data roles that cannot query, and the organization policies that govern
// the plan's writes. Each finding is an error (the plan must not be
// applied) or a warning, with its fix and the Google page it rests on.
// docs/preflight.md lists them.

// Severity of a finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Preflight check names (the "check" of a finding, and verify's rows).
const (
	CheckOperatorPermissions = "operator_permissions"
	CheckSAQuota             = "sa_quota"
	CheckPolicySize          = "policy_size"
	CheckPrivilegedRoles     = "privileged_roles"
	CheckQueryPermission     = "query_permission"
	CheckOrgPolicy           = "org_policy"
)

// Finding is one preflight check's result.
type Finding struct {
	Check    string   `json:"check"`
	Severity Severity `json:"severity"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix,omitempty"`
	Source   string   `json:"source,omitempty"` // the Google documentation it rests on
	// BadInput: the finding is about the command's input (exit 2).
	BadInput bool `json:"-"`
}

// Google's documented limits and their pages.
const (
	DefaultSAQuota    = 100  // service accounts per project
	MaxPolicyMembers  = 1500 // principals per allow policy
	quotaSource       = "https://cloud.google.com/iam/quotas"
	quotaIncreasePage = "https://console.cloud.google.com/iam-admin/quotas"
	orgPolicySource   = "https://cloud.google.com/resource-manager/docs/organization-policy/org-policy-constraints"
	rolesSource       = "https://cloud.google.com/iam/docs/roles-overview#basic"
	bigqueryACSource  = "https://cloud.google.com/bigquery/docs/access-control"
)

// PreflightError is returned for a plan with preflight errors.
type PreflightError struct {
	Findings []Finding // the errors
}

func (e *PreflightError) Error() string {
	msgs := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		msgs[i] = f.Message
	}
	return fmt.Sprintf("preflight: Google would refuse this plan (nothing was written): %s", strings.Join(msgs, "; "))
}

// BadInput reports whether every error is about the input (exit 2).
func (e *PreflightError) BadInput() bool {
	for _, f := range e.Findings {
		if !f.BadInput {
			return false
		}
	}
	return len(e.Findings) > 0
}

// PreflightErr returns the plan's preflight errors, or nil.
func (p *Plan) PreflightErr() error {
	var errs []Finding
	for _, f := range p.Preflight {
		if f.Severity == SeverityError {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return &PreflightError{Findings: errs}
}

func (p *Plan) addFinding(f Finding) { p.Preflight = append(p.Preflight, f) }

// preflight runs every check on a setup plan: the static ones, then those
// that ask Google (roles.get, getEffectivePolicy, testIamPermissions) at
// once, each on its own copy of the plan so that the findings keep a
// fixed order.
func (e *Engine) preflight(ctx context.Context, cfg *config.Config, p *Plan) {
	p.checkPrivilegedRoles(cfg)
	p.checkSAQuota(cfg)
	p.checkPolicySize()
	checks := []func(*Plan){
		func(q *Plan) { e.checkQueryPermission(ctx, q) },
		func(q *Plan) { e.checkOrgPolicies(ctx, q) },
		func(q *Plan) { e.checkOperatorPermissions(ctx, q) },
	}
	found := make([][]Finding, len(checks))
	var wg sync.WaitGroup
	for i, check := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q := *p // shallow: the checks only read the plan
			q.Preflight = nil
			check(&q)
			found[i] = q.Preflight
		}()
	}
	wg.Wait()
	for _, fs := range found {
		p.Preflight = append(p.Preflight, fs...)
	}
}

// dataRoles are the roles the identities get (the bundle's merged roles).
func (d *Desired) dataRoles() []string {
	if d.Bundle != nil {
		return d.Bundle.Roles
	}
	return d.Roles
}

func (p *Plan) checkPrivilegedRoles(cfg *config.Config) {
	var bad []string
	for _, r := range p.desired.dataRoles() {
		if why := config.PrivilegedRole(r); why != "" {
			bad = append(bad, r+" ("+why+")")
		}
	}
	if len(bad) == 0 {
		return
	}
	f := Finding{Check: CheckPrivilegedRoles, Source: rolesSource,
		Message: "privileged data role(s): " + strings.Join(bad, "; ")}
	if cfg.Preflight.AllowPrivilegedRoles {
		f.Severity = SeverityWarning
		f.Message += " (accepted with --allow-privileged-roles)"
	} else {
		f.Severity, f.BadInput = SeverityError, true
		f.Fix = "grant data roles only (e.g. --roles roles/bigquery.jobUser,roles/bigquery.dataViewer), or pass --allow-privileged-roles if every identity really needs it"
	}
	p.addFinding(f)
}

const permJobsCreate = "bigquery.jobs.create"

// queryRoleKnown is config's static answer, the fallback when roles.get
// cannot be read.
func queryRoleKnown(role string) bool {
	grants, _ := config.RoleGrantsQuery(role)
	return grants
}

// checkQueryPermission warns when no data role grants bigquery.jobs.create:
// the identities could read tables but run no query (verify's probe fails).
func (e *Engine) checkQueryPermission(ctx context.Context, p *Plan) {
	d := p.desired
	roles := d.dataRoles()
	if len(roles) == 0 {
		return
	}
	if d.Bundle != nil && len(d.Bundle.Permissions) > 0 {
		if slices.Contains(d.Bundle.Permissions, permJobsCreate) {
			return
		}
	} else {
		perms, errs := e.rolePermissions(ctx, roles)
		for _, r := range roles {
			if errs[r] == nil && slices.Contains(perms[r], permJobsCreate) || errs[r] != nil && queryRoleKnown(r) {
				return
			}
		}
	}
	p.addFinding(Finding{Check: CheckQueryPermission, Severity: SeverityWarning, Source: bigqueryACSource,
		Message: fmt.Sprintf("no data role grants bigquery.jobs.create (%s): the identities can read tables but not run a query, and verify's probe will fail", strings.Join(roles, ", ")),
		Fix:     "add roles/bigquery.jobUser: --roles " + strings.Join(append(slices.Clone(roles), "roles/bigquery.jobUser"), ",")})
}

// checkSAQuota warns when the project would hold more service accounts
// than its quota (Google's default: 100 per project).
func (p *Plan) checkSAQuota(cfg *config.Config) {
	creates := 0
	for _, c := range p.Changes {
		if c.Kind == KindServiceAccount && c.Action == ActionCreate {
			creates++
		}
	}
	if creates == 0 {
		return
	}
	total := len(p.live.ServiceAccounts) + creates
	quota := cfg.Preflight.SAQuota
	if quota <= 0 {
		quota = DefaultSAQuota
	}
	if total <= quota {
		return
	}
	msg := fmt.Sprintf("the project would hold %d service accounts (%d existing + %d to create); its quota is %d", total, len(p.live.ServiceAccounts), creates, quota)
	if cfg.Preflight.SAQuota <= 0 {
		msg += " (Google's default per project)"
	}
	p.addFinding(Finding{Check: CheckSAQuota, Severity: SeverityWarning, Source: quotaSource, Message: msg,
		Fix: fmt.Sprintf("request a higher \"Service account count\" quota at %s?project=%s, then pass --sa-quota N; or use one shared service account (a --template without {user.email})", quotaIncreasePage, p.Project)})
}

// projectPrincipalsAfter counts the project policy's principals once the
// plan is applied: today's, plus the members the plan adds, less those it
// removes (each member change is one principal of one binding).
func (p *Plan) projectPrincipalsAfter() int {
	d := p.desired
	t := ProjectTarget(d.Project)
	n := 0
	if cur := p.live.Policies[t]; cur != nil {
		n = PolicyPrincipals(cur)
	}
	if c := p.Change(t.Address()); c != nil && c.Delta != nil {
		n += len(c.Delta.Add) - len(c.Delta.Remove)
	}
	return n
}

// PolicyPrincipals counts the principals of a policy as Google does for the
// 1,500 limit: each member of each binding, and each audit exemption.
func PolicyPrincipals(p *gcp.Policy) int {
	n := 0
	for _, b := range p.Bindings {
		n += len(b.Members)
	}
	for _, a := range p.AuditConfigs {
		for _, l := range a.AuditLogConfigs {
			n += len(l.ExemptedMembers)
		}
	}
	return n
}

// checkPolicySize refuses a plan whose project policy would exceed 1,500
// principals: Google refuses the write (HTTP 400) after the accounts exist.
func (p *Plan) checkPolicySize() {
	n := p.projectPrincipalsAfter()
	if n <= MaxPolicyMembers {
		return
	}
	d := p.desired
	ids := 0
	for _, m := range d.MembershipsOf(ProjectTarget(d.Project)) {
		if strings.HasPrefix(m.Why, "data role") {
			ids++
		}
	}
	roles := len(d.dataRoles())
	fixes := []string{"fewer data roles per identity (--roles)"}
	if roles > 1 && d.Bundle == nil {
		after := n - ids + ids/roles
		fixes = append(fixes, fmt.Sprintf("--data-role-bundle: one custom role holding the %d roles' permissions, bound once per identity (%s principals)", roles, withThousands(after)))
	}
	fixes = append(fixes, "grant the data roles on datasets instead of the project", "bind a Google group (group:…) holding the identities instead of each one", "split the identities across projects")
	p.addFinding(Finding{Check: CheckPolicySize, Severity: SeverityError, Source: quotaSource,
		Message: fmt.Sprintf("the project policy would hold %s principals after this plan; Google allows at most %s per allow policy (each member of each binding counts) and would refuse the write after the service accounts are created",
			withThousands(n), withThousands(MaxPolicyMembers)),
		Fix: strings.Join(fixes, "; ")})
}

func withThousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// checkOrgPolicies maps the org policies of SPEC §7.3 to the plan's writes
// they would block, reading only those that govern a write of this plan.
func (e *Engine) checkOrgPolicies(ctx context.Context, p *Plan) {
	d := p.desired
	var keyWrite, providerWrite *Change
	var added []string
	seen := map[string]bool{}
	for _, c := range p.Changes {
		switch {
		case c.Kind == KindAdminKey && c.Action == ActionCreate:
			keyWrite = c
		case c.Kind == KindWIFProvider && (c.Action == ActionCreate || c.Action == ActionUpdate):
			providerWrite = c
		case c.Kind == KindPolicy && c.Delta != nil:
			for _, m := range c.Delta.Add {
				if !seen[m.Member] {
					seen[m.Member] = true
					added = append(added, m.Member)
				}
			}
		}
	}
	get := func(constraint string) (*gcp.OrgPolicy, bool) {
		var pol *gcp.OrgPolicy
		err := e.call(ctx, func() (err error) {
			pol, err = e.c.GetEffectivePolicy(ctx, d.Project, constraint)
			return err
		})
		if err != nil {
			p.addFinding(Finding{Check: CheckOrgPolicy, Severity: SeverityWarning, Source: orgPolicySource,
				Message: fmt.Sprintf("could not read the organization policy %s (%v): a write it forbids would fail mid-apply", constraint, err),
				Fix:     "grant the operator roles/orgpolicy.policyViewer (or roles/viewer) on the project, and enable orgpolicy.googleapis.com"})
			return nil, false
		}
		return pol, true
	}
	if keyWrite != nil {
		for _, k := range []string{gcp.ConstraintDisableKeyCreation, gcp.ConstraintManagedDisableKeyCreation} {
			if pol, ok := get(k); ok && pol.Enforced() {
				p.addFinding(Finding{Check: CheckOrgPolicy, Severity: SeverityError, Source: orgPolicySource,
					Message: fmt.Sprintf("constraints/%s is enforced on %s: Google refuses the admin key (%s)", k, d.Project, keyWrite.Address),
					Fix:     "drop --admin-key-file and verify keylessly with --verifier user:YOU (a gateway can impersonate instead of holding a key); or ask an organization policy administrator for an exception on this project"})
				break
			}
		}
	}
	if providerWrite != nil && d.WIF != nil {
		issuer := d.WIF.Provider.IssuerURI
		if pol, ok := get(gcp.ConstraintWorkloadIdentityPoolProviders); ok && !pol.Allows(issuer) && !pol.Allows(strings.TrimSuffix(issuer, "/")) {
			p.addFinding(Finding{Check: CheckOrgPolicy, Severity: SeverityError, Source: orgPolicySource,
				Message: fmt.Sprintf("constraints/%s does not allow the issuer %s: Google refuses %s", gcp.ConstraintWorkloadIdentityPoolProviders, issuer, providerWrite.Address),
				Fix:     "ask an organization policy administrator to add " + issuer + " to the constraint's allowed values (or an exception on this project)"})
		}
	}
	if len(added) > 0 {
		if pol, ok := get(gcp.ConstraintAllowedPolicyMemberDomains); ok && pol.Restricts() {
			var refused []string
			for _, m := range added {
				if memberInProject(m, d.Project) {
					continue
				}
				dom := memberDomainOf(m)
				if dom == "" || !pol.Allows(dom) {
					refused = append(refused, m)
				}
			}
			switch {
			case len(refused) == 0:
			case !allowsDomains(pol):
				// Google's values are Cloud Identity customer IDs
				// (C0…): a member's customer cannot be told from its
				// email, so this is a warning, not a refusal.
				sort.Strings(refused)
				p.addFinding(Finding{Check: CheckOrgPolicy, Severity: SeverityWarning, Source: orgPolicySource,
					Message: fmt.Sprintf("constraints/%s (domain-restricted sharing) allows only some Cloud Identity customers: Google refuses any of the %d member(s) the plan adds that belongs to another (%s)", gcp.ConstraintAllowedPolicyMemberDomains, len(refused), abbreviate(refused, 5)),
					Fix:     "make sure every identity belongs to an allowed customer, or ask an organization policy administrator for an exception"})
			default:
				sort.Strings(refused)
				p.addFinding(Finding{Check: CheckOrgPolicy, Severity: SeverityError, Source: orgPolicySource,
					Message: fmt.Sprintf("constraints/%s (domain-restricted sharing) refuses %d member(s) the plan adds: %s", gcp.ConstraintAllowedPolicyMemberDomains, len(refused), abbreviate(refused, 5)),
					Fix:     "use identities of an allowed domain, or ask an organization policy administrator to allow theirs"})
			}
		}
	}
}

// memberInProject: the project's own service accounts and federated
// principals belong to the organization.
func memberInProject(m, project string) bool {
	if strings.HasPrefix(m, "principal://") || strings.HasPrefix(m, "principalSet://") {
		return true
	}
	email, ok := strings.CutPrefix(m, "serviceAccount:")
	return ok && strings.HasSuffix(strings.ToLower(email), "@"+project+".iam.gserviceaccount.com")
}

// allowsDomains: the policy's values are domains (the sandbox; and
// domain-valued policies) rather than customer IDs ("C0…", "is:C0…").
func allowsDomains(p *gcp.OrgPolicy) bool {
	n := 0
	for _, r := range p.Rules {
		for _, v := range append(slices.Clone(r.Allowed), r.Denied...) {
			if !strings.Contains(v, ".") {
				return false
			}
			n++
		}
	}
	return n > 0
}

func memberDomainOf(m string) string {
	typ, v, ok := strings.Cut(m, ":")
	if !ok {
		return ""
	}
	if typ == "domain" {
		return strings.ToLower(v)
	}
	if i := strings.LastIndex(v, "@"); i >= 0 {
		return strings.ToLower(v[i+1:])
	}
	return ""
}

func abbreviate(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, ", ")
	}
	return strings.Join(xs[:n], ", ") + fmt.Sprintf(" and %d more", len(xs)-n)
}

// writePermission is what one kind of write needs, where, and a predefined
// role that grants it. Each row cites the API's access-control page.
type writePermission struct {
	perms []string
	on    string // "project", "sa" (the service account), "pool"
}

// permissionsFor is the table of permissions each planned write needs:
//   - APIs: serviceusage.services.enable — Service Usage "Access control".
//   - Service accounts: iam.serviceAccounts.create / delete — IAM "Create
//     service accounts", "Delete service accounts".
//   - Project policy: resourcemanager.projects.getIamPolicy / setIamPolicy
//     — Resource Manager "Access control for projects".
//   - A service account's policy: iam.serviceAccounts.getIamPolicy /
//     setIamPolicy — IAM "Manage access to service accounts".
//   - Admin key: iam.serviceAccountKeys.create — IAM "Create and delete
//     service account keys".
//   - Pool / provider: iam.workloadIdentityPools.* and
//     iam.workloadIdentityPoolProviders.* — IAM "Manage workload identity
//     pools and providers".
//   - Custom role: iam.roles.create / update / undelete / delete — IAM
//     "Create and manage custom roles".
//   - Sink: logging.sinks.create / update / delete — Logging "Access
//     control with IAM"; its dataset: bigquery.datasets.create / update —
//     BigQuery "Access control with IAM".
func permissionsFor(c *Change) writePermission {
	act := map[Action]string{ActionCreate: "create", ActionUpdate: "update", ActionDelete: "delete"}[c.Action]
	switch c.Kind {
	case KindAPI:
		return writePermission{[]string{"serviceusage.services.enable"}, "project"}
	case KindServiceAccount:
		return writePermission{[]string{"iam.serviceAccounts." + act}, "project"}
	case KindPolicy:
		if strings.HasPrefix(c.Address, "iam_policy.project") {
			return writePermission{[]string{"resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy"}, "project"}
		}
		return writePermission{[]string{"iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy"}, "sa"}
	case KindAdminKey:
		return writePermission{[]string{"iam.serviceAccountKeys.create"}, "sa"}
	case KindWIFPool:
		perms := []string{"iam.workloadIdentityPools." + act}
		if c.Action == ActionUpdate && c.Before != nil {
			perms = append(perms, "iam.workloadIdentityPools.undelete")
		}
		return writePermission{perms, "project"}
	case KindWIFProvider:
		return writePermission{[]string{"iam.workloadIdentityPoolProviders." + act}, "pool"}
	case KindCustomRole:
		perms := []string{"iam.roles." + act}
		if s, ok := c.Before.(*CustomRoleState); ok && s.Deleted && c.Action != ActionDelete {
			perms = []string{"iam.roles.undelete", "iam.roles.update"}
		}
		return writePermission{perms, "project"}
	case KindLoggingSink:
		return writePermission{[]string{"logging.sinks." + act}, "project"}
	case KindDataset:
		return writePermission{[]string{"bigquery.datasets." + act}, "project"}
	case KindDatasetAccess:
		return writePermission{[]string{"bigquery.datasets.update"}, "project"}
	case KindOrgPolicy:
		// Org Policy "Access control": create or update the project's policy.
		return writePermission{[]string{"orgpolicy.policies.create", "orgpolicy.policies.update"}, "project"}
	}
	return writePermission{}
}

// grantingRole is a predefined role granting each permission, for the fix.
func grantingRole(perm string) string {
	switch {
	case strings.HasPrefix(perm, "serviceusage."):
		return "roles/serviceusage.serviceUsageAdmin"
	case strings.HasPrefix(perm, "resourcemanager.projects."):
		return "roles/resourcemanager.projectIamAdmin"
	case strings.HasPrefix(perm, "iam.serviceAccountKeys."):
		return "roles/iam.serviceAccountKeyAdmin"
	case strings.HasPrefix(perm, "iam.serviceAccounts."):
		return "roles/iam.serviceAccountAdmin"
	case strings.HasPrefix(perm, "iam.workloadIdentityPool"):
		return "roles/iam.workloadIdentityPoolAdmin"
	case strings.HasPrefix(perm, "iam.roles."):
		return "roles/iam.roleAdmin"
	case strings.HasPrefix(perm, "logging.sinks."):
		return "roles/logging.configWriter"
	case strings.HasPrefix(perm, "bigquery.datasets."):
		return "roles/bigquery.dataOwner"
	case strings.HasPrefix(perm, "orgpolicy."):
		return "roles/orgpolicy.policyAdmin"
	}
	return "roles/owner"
}

// checkOperatorPermissions tests, with testIamPermissions, exactly the
// permissions the plan's writes need: on the project, then on each
// existing service account or pool for what the project does not grant
// (a grant on the resource itself counts too).
func (e *Engine) checkOperatorPermissions(ctx context.Context, p *Plan) {
	d := p.desired
	project := map[string]bool{}
	resource := map[string][]string{} // SA email or pool name → perms needing it
	for _, c := range p.Changes {
		if c.Action == ActionNoop {
			continue
		}
		wp := permissionsFor(c)
		for _, perm := range wp.perms {
			project[perm] = true
		}
		switch wp.on {
		case "sa":
			email := ""
			if c.Kind == KindAdminKey && d.Admin != nil {
				email = d.Admin.Email
			} else if t, ok := targetOf(d, c.Address); ok {
				email = t.Name
			}
			if email != "" && p.live.Exists(email) {
				resource[lower(email)] = append(resource[lower(email)], wp.perms...)
			}
		case "pool":
			if d.WIF != nil && p.live.Pool != nil {
				resource[d.WIF.PoolName] = append(resource[d.WIF.PoolName], wp.perms...)
			}
		}
	}
	if len(project) == 0 {
		return
	}
	want := make([]string, 0, len(project))
	for perm := range project {
		want = append(want, perm)
	}
	sort.Strings(want)
	var held []string
	err := e.call(ctx, func() (err error) {
		held, err = e.c.TestProjectPermissions(ctx, d.Project, want)
		return err
	})
	if err != nil {
		p.addFinding(Finding{Check: CheckOperatorPermissions, Severity: SeverityWarning, Source: "https://cloud.google.com/resource-manager/reference/rest/v1/projects/testIamPermissions",
			Message: fmt.Sprintf("could not test the operator's permissions (%v): a missing one would fail mid-apply", err)})
		return
	}
	missing := map[string][]string{} // perm → where
	for _, perm := range want {
		if !slices.Contains(held, perm) {
			missing[perm] = append(missing[perm], "projects/"+d.Project)
		}
	}
	// A resource's own policy may grant what the project does not.
	var mu sync.Mutex
	var wg sync.WaitGroup
	for res, perms := range resource {
		var need []string
		for _, perm := range perms {
			if _, miss := missing[perm]; miss && !slices.Contains(need, perm) {
				need = append(need, perm)
			}
		}
		if len(need) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got []string
			err := e.call(ctx, func() (err error) {
				if strings.Contains(res, "/workloadIdentityPools/") {
					got, err = e.c.TestPoolPermissions(ctx, res, need)
				} else {
					got, err = e.c.TestServiceAccountPermissions(ctx, res, need)
				}
				return err
			})
			if err != nil {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, perm := range got {
				resource[res] = slices.DeleteFunc(resource[res], func(x string) bool { return x == perm })
			}
		}()
	}
	wg.Wait()
	// A permission granted on every resource that needs it (and needed on
	// no project-level write) is not missing.
	for perm := range missing {
		if !projectLevel(p, perm) && !stillNeeded(resource, perm) {
			delete(missing, perm)
		}
	}
	if len(missing) == 0 {
		return
	}
	perms := make([]string, 0, len(missing))
	for perm := range missing {
		perms = append(perms, perm)
	}
	sort.Strings(perms)
	var roles []string
	for _, perm := range perms {
		if r := grantingRole(perm); !slices.Contains(roles, r) {
			roles = append(roles, r)
		}
	}
	var fix []string
	for _, r := range roles {
		fix = append(fix, fmt.Sprintf("gcloud projects add-iam-policy-binding %s --member=user:YOU --role=%s", d.Project, r))
	}
	p.addFinding(Finding{Check: CheckOperatorPermissions, Severity: SeverityError,
		Source:  "https://cloud.google.com/iam/docs/roles-permissions",
		Message: fmt.Sprintf("the operator lacks %d permission(s) this plan's writes need on %s: %s (granted by %s)", len(perms), d.Project, strings.Join(perms, ", "), strings.Join(roles, ", ")),
		Fix:     strings.Join(fix, " && ")})
}

// projectLevel: perm is needed by a write checked on the project only.
func projectLevel(p *Plan, perm string) bool {
	for _, c := range p.Changes {
		if c.Action == ActionNoop {
			continue
		}
		wp := permissionsFor(c)
		if !slices.Contains(wp.perms, perm) {
			continue
		}
		switch wp.on {
		case "project":
			return true
		case "sa":
			email := ""
			if c.Kind == KindAdminKey && p.desired.Admin != nil {
				email = p.desired.Admin.Email
			} else if t, ok := targetOf(p.desired, c.Address); ok {
				email = t.Name
			}
			if email == "" || !p.live.Exists(email) {
				return true // a new SA: only the project's grant can hold
			}
		case "pool":
			if p.live.Pool == nil {
				return true
			}
		}
	}
	return false
}

func stillNeeded(resource map[string][]string, perm string) bool {
	for _, perms := range resource {
		if slices.Contains(perms, perm) {
			return true
		}
	}
	return false
}

// targetOf finds the policy target a change's address names.
func targetOf(d *Desired, address string) (PolicyTarget, bool) {
	for _, t := range d.PolicyTargets() {
		if t.Address() == address {
			return t, true
		}
	}
	return PolicyTarget{}, false
}

// readPermissions are what the live read needs (Resource Manager, Service
// Usage and IAM access-control pages).
var readPermissions = []string{
	"resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy",
	"serviceusage.services.get", "serviceusage.services.list", "iam.serviceAccounts.list", "iam.serviceAccounts.getIamPolicy",
}

// readDenied turns a live read refused for a missing permission into the
// operator-permissions error: every permission the read and a full setup
// of cfg need, tested at once on the project (testIamPermissions needs no
// permission of its own). Any other failure returns readErr.
func (e *Engine) readDenied(ctx context.Context, cfg *config.Config, readErr error) error {
	if gcp.KindOf(readErr) != gcp.KindPermissionDenied {
		return readErr
	}
	want := slices.Clone(readPermissions)
	want = append(want, "serviceusage.services.enable", "resourcemanager.projects.setIamPolicy")
	if cfg.Mode != config.ModeOAuth {
		want = append(want, "iam.serviceAccounts.create", "iam.serviceAccounts.setIamPolicy")
	}
	if cfg.Mode == config.ModeWIF {
		want = append(want, "iam.workloadIdentityPools.create", "iam.workloadIdentityPoolProviders.create")
	}
	if cfg.AdminKeyFile != "" {
		want = append(want, "iam.serviceAccountKeys.create")
	}
	if cfg.Preflight.DataRoleBundle != "" {
		want = append(want, "iam.roles.create")
	}
	held, err := e.c.TestProjectPermissions(ctx, cfg.Project, want)
	if err != nil {
		return readErr
	}
	var missing, roles []string
	for _, perm := range want {
		if !slices.Contains(held, perm) && !slices.Contains(missing, perm) {
			missing = append(missing, perm)
			if r := grantingRole(perm); !slices.Contains(roles, r) {
				roles = append(roles, r)
			}
		}
	}
	if len(missing) == 0 {
		return readErr
	}
	sort.Strings(missing)
	var fix []string
	for _, r := range roles {
		fix = append(fix, fmt.Sprintf("gcloud projects add-iam-policy-binding %s --member=user:YOU --role=%s", cfg.Project, r))
	}
	return &PreflightError{Findings: []Finding{{Check: CheckOperatorPermissions, Severity: SeverityError,
		Source:  "https://cloud.google.com/iam/docs/roles-permissions",
		Message: fmt.Sprintf("the operator lacks %d permission(s) reading the project and setting it up need on %s: %s (granted by %s; first refusal: %v)", len(missing), cfg.Project, strings.Join(missing, ", "), strings.Join(roles, ", "), readErr),
		Fix:     strings.Join(fix, " && ")}}}
}
