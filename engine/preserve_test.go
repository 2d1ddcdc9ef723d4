package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// A project policy as another team left it: a foreign member in a role
// fedctl also grants, a conditional binding of that role, another role, and
// an audit config of another service with an exemption.
func seedForeignProjectPolicy(t *testing.T, e *env) {
	e.modifyProject(t, func(p *gcp.Policy) {
		p.AddMember("roles/bigquery.user", "user:carol@acme.com")
		p.AddMember("roles/viewer", "group:auditors@acme.com")
		p.Bindings = append(p.Bindings, &gcp.Binding{
			Role:      "roles/bigquery.user",
			Members:   []string{"user:dave@acme.com"},
			Condition: &gcp.Condition{Title: "office hours", Expression: "request.time.getHours('Europe/Paris') < 18"},
		})
		p.AuditConfigs = append(p.AuditConfigs, &gcp.AuditConfig{Service: "storage.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{
			{LogType: "DATA_READ", ExemptedMembers: []string{"user:robot@acme.com"}},
		}})
	})
}

// checkForeignProjectPolicy checks what seedForeignProjectPolicy left is
// intact; condMembers are the conditional binding's expected members.
func checkForeignProjectPolicy(t *testing.T, p *gcp.Policy, when string, condMembers ...string) {
	t.Helper()
	if !p.HasMember("roles/bigquery.user", "user:carol@acme.com") {
		t.Errorf("%s: carol lost roles/bigquery.user", when)
	}
	if !p.HasMember("roles/viewer", "group:auditors@acme.com") {
		t.Errorf("%s: the roles/viewer binding was lost", when)
	}
	if !p.HasMember("roles/owner", "user:operator@example.com") {
		t.Errorf("%s: the owner was lost", when)
	}
	var cond *gcp.Binding
	for _, b := range p.Bindings {
		if b.Condition != nil {
			cond = b
		}
	}
	if cond == nil || cond.Condition.Title != "office hours" || !strings.Contains(cond.Condition.Expression, "getHours") ||
		!slices.Equal(cond.Members, condMembers) {
		t.Errorf("%s: conditional binding changed: %+v", when, cond)
	}
	var storage *gcp.AuditConfig
	for _, ac := range p.AuditConfigs {
		if ac.Service == "storage.googleapis.com" {
			storage = ac
		}
	}
	if storage == nil || len(storage.AuditLogConfigs) != 1 || !slices.Equal(storage.AuditLogConfigs[0].ExemptedMembers, []string{"user:robot@acme.com"}) {
		t.Errorf("%s: storage audit config changed: %+v", when, storage)
	}
}

func TestForeignBindingsSurviveSetupAndTeardown(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	seedForeignProjectPolicy(t, e)
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	cfg.Audit.DataAccessLogs = true

	p := e.plan(t, cfg)
	// The conditional binding is shown as untouched in the plan.
	proj := p.Change("iam_policy.project")
	if proj == nil || len(proj.Delta.Untouched) != 1 || proj.Delta.Untouched[0].Condition.Title != "office hours" {
		t.Fatalf("plan does not show the conditional binding as untouched: %+v", proj)
	}
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	pol := e.projectPolicy(t)
	checkForeignProjectPolicy(t, pol, "after setup", "user:dave@acme.com")
	alice := ServiceAccountMember(saEmail("fedctl-alice"))
	if !pol.HasMember("roles/bigquery.user", alice) {
		t.Error("setup did not grant alice's SA roles/bigquery.user")
	}
	for _, svc := range []string{"iam.googleapis.com", "bigquery.googleapis.com"} {
		for _, lt := range []string{"ADMIN_READ", "DATA_READ", "DATA_WRITE"} {
			if !pol.AuditLogsEnabled(svc, lt) {
				t.Errorf("%s %s not enabled", svc, lt)
			}
		}
	}

	// Someone grants alice's SA a conditional role: fedctl did not add
	// that, so teardown must not remove it (Google then shows the deleted
	// account as deleted:serviceAccount:…?uid=…).
	e.modifyProject(t, func(p *gcp.Policy) {
		for _, b := range p.Bindings {
			if b.Condition != nil {
				b.Members = append(b.Members, alice)
			}
		}
	})
	sa, err := e.client.GetServiceAccount(context.Background(), saEmail("fedctl-alice"))
	if err != nil {
		t.Fatal(err)
	}
	_, res := e.teardown(t, cfg)
	if res.Count(OutcomeFailed) != 0 {
		t.Fatalf("teardown failures: %+v", res.Outcomes)
	}
	pol = e.projectPolicy(t)
	checkForeignProjectPolicy(t, pol, "after teardown", "user:dave@acme.com", "deleted:"+alice+"?uid="+sa.UniqueID)
	if pol.HasMember("roles/bigquery.user", alice) || pol.HasMember("roles/bigquery.dataViewer", alice) {
		t.Error("teardown left alice's SA data roles")
	}
	// Audit configs are evidence: teardown keeps them.
	if !pol.AuditLogsEnabled("iam.googleapis.com", "ADMIN_READ") {
		t.Error("teardown removed the Data Access logs")
	}
	for _, id := range []string{"fedctl-admin", "fedctl-alice", "fedctl-bob"} {
		if _, err := e.client.GetServiceAccount(context.Background(), saEmail(id)); !gcp.IsNotFound(err) {
			t.Errorf("%s still exists after teardown (err %v)", id, err)
		}
	}

	// A second teardown has nothing left to do and writes nothing.
	before := e.srv.Stats().Writes
	p2, _ := e.teardown(t, cfg)
	if p2.HasChanges() || e.srv.Stats().Writes != before {
		t.Errorf("second teardown: changes %+v, %d writes", p2.Counts(), e.srv.Stats().Writes-before)
	}
}

// A user SA that already exists with a foreign grant on its policy keeps it
// through setup; it is adopted, so teardown removes only the federation's
// binding on it (the admin's Token Creator) and never deletes it (SPEC §7.1).
func TestExistingServiceAccountPolicyIsMerged(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()
	e.preexistingSA(t, "fedctl-alice", "pre-existing", "")
	r := e.client.ServiceAccountPolicy(saEmail("fedctl-alice"))
	if _, _, err := e.client.ModifyPolicy(ctx, r, func(p *gcp.Policy) (bool, error) {
		return p.AddMember(RoleTokenCreator, "user:ops@acme.com"), nil
	}); err != nil {
		t.Fatal(err)
	}

	cfg := testConfig(t, "alice@acme.com")
	p, _ := e.setup(t, cfg)
	if c := p.Change(`service_account.user["alice@acme.com"]`); c.Action != ActionNoop {
		t.Errorf("existing SA planned as %s", c.Action)
	}
	pol := e.saPolicy(t, saEmail("fedctl-alice"))
	if !pol.HasMember(RoleTokenCreator, "user:ops@acme.com") || !pol.HasMember(RoleTokenCreator, ServiceAccountMember(saEmail("fedctl-admin"))) {
		t.Errorf("SA policy not merged: %+v", pol.Bindings)
	}

	tp, _ := e.teardown(t, cfg)
	if c := tp.Change(`service_account.user["alice@acme.com"]`); c.Action != ActionNoop || c.Reason != AdoptedReason {
		t.Errorf("adopted SA planned as %s (%s)", c.Action, c.Reason)
	}
	sa, err := e.client.GetServiceAccount(ctx, saEmail("fedctl-alice"))
	if err != nil || sa.Disabled || sa.Description != "" {
		t.Fatalf("adopted SA after teardown: %+v, %v", sa, err)
	}
	pol = e.saPolicy(t, saEmail("fedctl-alice"))
	if !pol.HasMember(RoleTokenCreator, "user:ops@acme.com") || pol.HasMember(RoleTokenCreator, ServiceAccountMember(saEmail("fedctl-admin"))) {
		t.Errorf("adopted SA policy after teardown: %+v", pol.Bindings)
	}
	if !slices.ContainsFunc(tp.Warnings, func(w string) bool { return strings.Contains(w, "adopted") }) {
		t.Errorf("teardown plan does not say the adopted SA's data roles stay: %q", tp.Warnings)
	}
}
