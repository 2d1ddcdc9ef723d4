package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// SPEC §7.3 preflight, through the real clients on the emulator: each check
// fires on a plan Google would refuse or limit (and nothing is written),
// and is silent on a valid plan.

func users(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%04d@acme.com", i)
	}
	return out
}

func findings(p *Plan, check string) []Finding {
	var out []Finding
	for _, f := range p.Preflight {
		if f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func wantFinding(t *testing.T, p *Plan, check string, sev Severity, substr ...string) Finding {
	t.Helper()
	for _, f := range findings(p, check) {
		if f.Severity != sev {
			continue
		}
		ok := true
		for _, s := range substr {
			ok = ok && strings.Contains(f.Message+" "+f.Fix, s)
		}
		if ok {
			return f
		}
	}
	t.Fatalf("no %s %s finding with %q in %+v", sev, check, substr, p.Preflight)
	return Finding{}
}

// refusedWithoutWrites plans (reads only) and applies: apply must refuse
// with the preflight error and no write request may reach the emulator.
func (e *env) refusedWithoutWrites(t *testing.T, cfg *config.Config) *Plan {
	t.Helper()
	e.srv.ResetStats()
	p := e.plan(t, cfg)
	_, err := e.eng.Apply(context.Background(), p)
	var pe *PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("apply: %v, want a PreflightError", err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Fatalf("%d write request(s) despite the preflight error:\n%s", w, e.srv.Stats())
	}
	return p
}

// A valid plan: every check silent, no finding at all.
func TestPreflightSilentOnValidPlan(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	p := e.plan(t, cfg)
	if len(p.Preflight) != 0 || p.PreflightErr() != nil {
		t.Fatalf("findings on a valid plan: %+v", p.Preflight)
	}
	e.setup(t, cfg)
}

// 800 users × 2 data roles + the owner = 1,601 principals: refused before
// any write, the count in the message, the bundle among the fixes.
func TestPreflightRefuses800Users(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, users(800)...)
	p := e.refusedWithoutWrites(t, cfg)
	f := wantFinding(t, p, CheckPolicySize, SeverityError, "1,601 principals", "1,500", "--data-role-bundle")
	if !strings.Contains(f.Fix, "801 principals") {
		t.Errorf("bundle fix does not say what it leaves: %q", f.Fix)
	}
	// 801 service accounts: the default quota warning too.
	wantFinding(t, p, CheckSAQuota, SeverityWarning, "801 service accounts", "quota is 100", "--sa-quota")
}

// The limit is exact: 1,500 principals pass, 1,501 are refused.
func TestPreflightPolicySizeBoundary(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, users(749)...) // owner + 749 × 2 = 1,499
	e.grantProject(t, "roles/viewer", "user:auditor@acme.com")
	p := e.plan(t, cfg)
	if fs := findings(p, CheckPolicySize); len(fs) != 0 {
		t.Fatalf("1,500 principals refused: %+v", fs)
	}
	e.grantProject(t, "roles/viewer", "user:auditor2@acme.com")
	p = e.refusedWithoutWrites(t, cfg)
	wantFinding(t, p, CheckPolicySize, SeverityError, "1,501 principals")
}

func (e *env) grantProject(t *testing.T, role, member string) {
	t.Helper()
	if _, _, err := e.client.ModifyPolicy(context.Background(), e.client.ProjectPolicy(testProject), func(p *gcp.Policy) (bool, error) {
		return p.AddMember(role, member), nil
	}); err != nil {
		t.Fatal(err)
	}
}

// --data-role-bundle: one custom role with the union of the data roles'
// permissions, bound once per identity (half the principals), created,
// updated and torn down like any resource.
func TestDataRoleBundleRoundTrip(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	big := testConfig(t, users(800)...)
	big.Preflight.DataRoleBundle = DefaultDataRoleBundle
	if p := e.plan(t, big); p.PreflightErr() != nil || PolicyPrincipals(p.projectPolicyAfter()) != 801 || p.projectPrincipalsAfter() != 801 {
		t.Fatalf("800 users with the bundle: %d principals, %v", PolicyPrincipals(p.projectPolicyAfter()), p.PreflightErr())
	}

	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	cfg.Preflight.DataRoleBundle = DefaultDataRoleBundle
	name := BundleRoleName(testProject, DefaultDataRoleBundle)
	p, _ := e.setup(t, cfg)
	if c := p.Change(bundleAddress); c == nil || c.Action != ActionCreate {
		t.Fatalf("bundle change = %+v", c)
	}
	role, err := e.client.GetRole(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"bigquery.jobs.create", "bigquery.tables.getData", "bigquery.datasets.create"} {
		if !slices.Contains(role.Permissions, want) {
			t.Errorf("bundle lacks %s: %v", want, role.Permissions)
		}
	}
	pol := e.projectPolicy(t)
	alice := "serviceAccount:fedctl-alice@demo-project.iam.gserviceaccount.com"
	if !pol.HasMember(name, alice) || pol.HasMember("roles/bigquery.user", alice) || pol.HasMember("roles/bigquery.dataViewer", alice) {
		t.Fatalf("policy: %+v", pol.Bindings)
	}
	// The bundle grants what the roles did: the SA may query.
	asAlice, err := gcp.New(context.Background(), gcp.Config{Endpoint: e.srv.Endpoint,
		AccessToken: e.srv.MintToken(emulator.Identity{Principal: alice}), Retry: gcp.RetryPolicy{Sleep: e.slept.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := asAlice.TestProjectPermissions(context.Background(), testProject, []string{"bigquery.jobs.create", "bigquery.tables.getData"}); err != nil || len(got) != 2 {
		t.Fatalf("alice's SA through the bundle holds %v (%v)", got, err)
	}
	// Idempotent.
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Fatalf("second plan changes: %+v", p.Counts())
	}
	// Updated when the roles change.
	cfg.SetRoles([]string{"roles/bigquery.jobUser", "roles/bigquery.dataViewer"})
	p = e.plan(t, cfg)
	if c := p.Change(bundleAddress); c == nil || c.Action != ActionUpdate {
		t.Fatalf("bundle after a role change = %+v", c)
	}
	e.setup(t, cfg)
	if role, _ = e.client.GetRole(context.Background(), name); slices.Contains(role.Permissions, "bigquery.datasets.create") {
		t.Errorf("bundle kept a permission of a dropped role: %v", role.Permissions)
	}
	// Torn down, then set up again (undeleted).
	tp, _ := e.teardown(t, cfg)
	if c := tp.Change(bundleAddress); c == nil || c.Action != ActionDelete {
		t.Fatalf("teardown bundle change = %+v", c)
	}
	if role, err = e.client.GetRole(context.Background(), name); err != nil || !role.Deleted {
		t.Fatalf("after teardown: %+v %v", role, err)
	}
	if pol := e.projectPolicy(t); pol.HasMember(name, alice) {
		t.Fatal("teardown left the bundle binding")
	}
	e.setup(t, cfg)
	if role, err = e.client.GetRole(context.Background(), name); err != nil || role.Deleted {
		t.Fatalf("after setup again: %+v %v", role, err)
	}
}

// An operator holding only roles/iam.serviceAccountAdmin: refused before
// any write, naming resourcemanager.projects.setIamPolicy and a role.
func TestPreflightOperatorPermissions(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.grantProject(t, "roles/iam.serviceAccountAdmin", "user:sam@acme.com")
	sam, err := gcp.New(context.Background(), gcp.Config{Endpoint: e.srv.Endpoint,
		AccessToken: e.srv.MintToken(emulator.Identity{Principal: "user:sam@acme.com"}), Retry: gcp.RetryPolicy{Sleep: e.slept.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	eng := New(sam, Options{Consistency: gcp.RetryPolicy{Sleep: e.slept.sleep}})
	cfg := testConfig(t, "alice@acme.com")
	e.srv.ResetStats()
	// The live read itself is refused (no getIamPolicy): the error lists
	// every permission reading and setting up need, and a role for each.
	_, err = eng.PlanSetup(context.Background(), cfg)
	var pe *PreflightError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "resourcemanager.projects.setIamPolicy") ||
		!strings.Contains(err.Error(), "roles/resourcemanager.projectIamAdmin") || strings.Contains(err.Error(), "iam.serviceAccounts.create") {
		t.Fatalf("plan as a serviceAccountAdmin: %v", err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Fatalf("%d writes", w)
	}
	// With read access (securityReviewer, serviceUsageViewer), the plan
	// names exactly what its writes lack.
	e.grantProject(t, "roles/iam.securityReviewer", "user:sam@acme.com")
	e.grantProject(t, "roles/serviceusage.serviceUsageViewer", "user:sam@acme.com")
	e.srv.ResetStats()
	p, err := eng.PlanSetup(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := wantFinding(t, p, CheckOperatorPermissions, SeverityError, "resourcemanager.projects.setIamPolicy",
		"roles/resourcemanager.projectIamAdmin", "serviceusage.services.enable")
	if strings.Contains(f.Message, "iam.serviceAccounts.create") {
		t.Errorf("a held permission reported missing: %s", f.Message)
	}
	if _, err := eng.Apply(context.Background(), p); err == nil || e.srv.Stats().Writes != 0 {
		t.Fatalf("apply: %v, %d writes", err, e.srv.Stats().Writes)
	}
	// Silent for the owner (TestPreflightSilentOnValidPlan) and once the
	// missing roles are granted.
	for _, r := range []string{"roles/resourcemanager.projectIamAdmin", "roles/serviceusage.serviceUsageAdmin"} {
		e.grantProject(t, r, "user:sam@acme.com")
	}
	if p, err = eng.PlanSetup(context.Background(), cfg); err != nil || len(findings(p, CheckOperatorPermissions)) != 0 {
		t.Fatalf("after the grants: %+v %v", p.Preflight, err)
	}
}

func TestPreflightPrivilegedRoles(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	for _, role := range []string{"roles/owner", "roles/iam.serviceAccountTokenCreator", "roles/bigquery.admin"} {
		cfg := testConfig(t, "alice@acme.com")
		cfg.SetRoles([]string{role, "roles/bigquery.dataViewer"})
		p := e.refusedWithoutWrites(t, cfg)
		wantFinding(t, p, CheckPrivilegedRoles, SeverityError, role, "--allow-privileged-roles")
		var pe *PreflightError
		if !errors.As(p.PreflightErr(), &pe) || !pe.BadInput() {
			t.Errorf("%s: not a usage error", role)
		}
		cfg.Preflight.AllowPrivilegedRoles = true
		p = e.plan(t, cfg)
		wantFinding(t, p, CheckPrivilegedRoles, SeverityWarning, role)
		if p.PreflightErr() != nil {
			t.Errorf("%s with --allow-privileged-roles: %v", role, p.PreflightErr())
		}
	}
	for _, role := range []string{"roles/bigquery.jobUser", "roles/bigquery.dataEditor"} {
		if why := config.PrivilegedRole(role); why != "" {
			t.Errorf("%s called privileged: %s", role, why)
		}
	}
}

func TestPreflightQueryPermission(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com")
	cfg.SetRoles([]string{"roles/bigquery.dataViewer"})
	p := e.plan(t, cfg)
	wantFinding(t, p, CheckQueryPermission, SeverityWarning, "bigquery.jobs.create", "roles/bigquery.jobUser")
	if p.PreflightErr() != nil {
		t.Fatalf("a warning blocks: %v", p.PreflightErr())
	}
	cfg.SetRoles([]string{"roles/bigquery.dataViewer", "roles/bigquery.jobUser"})
	if fs := findings(e.plan(t, cfg), CheckQueryPermission); len(fs) != 0 {
		t.Fatalf("jobUser present, still warned: %+v", fs)
	}
}

func TestPreflightSAQuota(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	cfg.Preflight.SAQuota = 2
	wantFinding(t, e.plan(t, cfg), CheckSAQuota, SeverityWarning, "3 service accounts", "quota is 2")
	cfg.Preflight.SAQuota = 3
	if fs := findings(e.plan(t, cfg), CheckSAQuota); len(fs) != 0 {
		t.Fatalf("within --sa-quota, still warned: %+v", fs)
	}
}

func (e *env) orgPolicy(t *testing.T, constraint string, rules ...emulator.OrgPolicyRule) {
	t.Helper()
	if err := e.srv.WithState(func(st *emulator.State) error {
		return emulator.SetOrgPolicy(st, testProject, constraint, rules, time.Now())
	}); err != nil {
		t.Fatal(err)
	}
}

// Each org-policy constraint: preflight catches the write it governs
// before anything is written; the emulator would refuse that write.
func TestPreflightOrgPolicies(t *testing.T) {
	on := true
	t.Run("key creation", func(t *testing.T) {
		e := newEnv(t, emulator.Options{})
		cfg := testConfig(t, "alice@acme.com")
		cfg.AdminKeyFile = filepath.Join(t.TempDir(), "admin.json")
		e.orgPolicy(t, emulator.ConstraintManagedDisableKeyCreation, emulator.OrgPolicyRule{Enforce: &on})
		p := e.refusedWithoutWrites(t, cfg)
		wantFinding(t, p, CheckOrgPolicy, SeverityError, "iam.managed.disableServiceAccountKeyCreation", "--verifier")
		// Without the key, the same setup passes.
		cfg.AdminKeyFile = ""
		if p := e.plan(t, cfg); p.PreflightErr() != nil {
			t.Fatal(p.PreflightErr())
		}
	})
	t.Run("domain restricted sharing", func(t *testing.T) {
		e := newEnv(t, emulator.Options{})
		e.orgPolicy(t, emulator.ConstraintAllowedPolicyMemberDomain, emulator.OrgPolicyRule{AllowedValues: []string{"acme.com"}})
		cfg := testConfig(t, "alice@acme.com")
		cfg.Verifier = "user:eve@other.org"
		p := e.refusedWithoutWrites(t, cfg)
		wantFinding(t, p, CheckOrgPolicy, SeverityError, "iam.allowedPolicyMemberDomains", "user:eve@other.org")
		cfg.Verifier = "user:me@acme.com"
		if p := e.plan(t, cfg); p.PreflightErr() != nil {
			t.Fatal(p.PreflightErr())
		}
		e.setup(t, cfg)
		// Google's customer IDs cannot be matched to an email: a warning.
		e.orgPolicy(t, emulator.ConstraintAllowedPolicyMemberDomain, emulator.OrgPolicyRule{AllowedValues: []string{"C03abc123"}})
		cfg.Verifier = "user:eve@other.org"
		p = e.plan(t, cfg)
		wantFinding(t, p, CheckOrgPolicy, SeverityWarning, "Cloud Identity customers", "user:eve@other.org")
		if p.PreflightErr() != nil {
			t.Fatal(p.PreflightErr())
		}
	})
	t.Run("workload identity pool providers", func(t *testing.T) {
		e := newEnv(t, emulator.Options{})
		e.orgPolicy(t, emulator.ConstraintWIFPoolProviders, emulator.OrgPolicyRule{AllowedValues: []string{"https://token.actions.githubusercontent.com"}})
		cfg := wifConfig(t, nil)
		p := e.refusedWithoutWrites(t, cfg)
		wantFinding(t, p, CheckOrgPolicy, SeverityError, "iam.workloadIdentityPoolProviders", emulator.DemoIssuerURI("demo"))
		e.orgPolicy(t, emulator.ConstraintWIFPoolProviders, emulator.OrgPolicyRule{AllowedValues: []string{emulator.DemoIssuerURI("demo")}})
		e.setup(t, cfg)
	})
}

// projectPolicyAfter is the project policy once the plan is applied (the
// whole edit, to check projectPrincipalsAfter's count against).
func (p *Plan) projectPolicyAfter() *gcp.Policy {
	d := p.desired
	t := ProjectTarget(d.Project)
	cur := p.live.Policies[t]
	if cur == nil {
		cur = &gcp.Policy{}
	}
	work := cur.Clone()
	policyEdit(d, t, d.MembershipsOf(t), false)(work)
	return work
}
