package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

func TestRenderTextLikeTerraform(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	p := e.plan(t, testConfig(t, "alice@acme.com"))
	var out bytes.Buffer
	if err := RenderText(&out, p, iostreams.NewColorScheme(false)); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	for _, want := range []string{
		`  + api["iam.googleapis.com"]`,
		`  + service_account.admin`,
		`  + service_account.user["alice@acme.com"]`,
		`        email: fedctl-alice@demo-project.iam.gserviceaccount.com`,
		`  ~ iam_policy.project`,
		`      + roles/bigquery.user: serviceAccount:fedctl-alice@demo-project.iam.gserviceaccount.com`,
		`      + roles/bigquery.dataViewer: serviceAccount:fedctl-alice@demo-project.iam.gserviceaccount.com`,
		`  ~ iam_policy.service_account["fedctl-alice@demo-project.iam.gserviceaccount.com"]`,
		`      + roles/iam.serviceAccountTokenCreator: serviceAccount:fedctl-admin@demo-project.iam.gserviceaccount.com`,
		"Plan: 4 to add, 2 to change, 0 to destroy.\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q in:\n%s", want, text)
		}
	}
	if strings.Contains(text, `api["bigquery.googleapis.com"]`) {
		t.Error("a no-op resource is listed")
	}
	if strings.Contains(text, "\x1b[") {
		t.Error("colour without a colour scheme")
	}
	out.Reset()
	RenderText(&out, p, iostreams.NewColorScheme(true))
	if !strings.Contains(out.String(), "\x1b[") {
		t.Error("no colour with colour on")
	}

	e.setup(t, testConfig(t, "alice@acme.com"))
	out.Reset()
	RenderText(&out, e.plan(t, testConfig(t, "alice@acme.com")), iostreams.NewColorScheme(false))
	if out.String() != NoChangesMessage+"\n" {
		t.Errorf("up-to-date plan renders %q", out.String())
	}
}

func TestPatternBGrantsOnProjectWithWarning(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com")
	cfg.Impersonation.Grant = config.GrantProject
	p, _ := e.setup(t, cfg)
	var out bytes.Buffer
	RenderText(&out, p, iostreams.NewColorScheme(false))
	if !strings.Contains(out.String(), "Warning: "+PatternBWarning) {
		t.Errorf("no Pattern B warning in:\n%s", out.String())
	}
	admin := ServiceAccountMember(saEmail("fedctl-admin"))
	if !e.projectPolicy(t).HasMember(RoleTokenCreator, admin) {
		t.Error("Pattern B: no Token Creator on the project")
	}
	if e.saPolicy(t, saEmail("fedctl-alice")).HasMember(RoleTokenCreator, admin) {
		t.Error("Pattern B also granted per user")
	}
}

func TestVerifierBindingOnAdmin(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com")
	cfg.Verifier = "user:operator@example.com"
	p, _ := e.setup(t, cfg)
	c := p.Change(`iam_policy.service_account["fedctl-admin@demo-project.iam.gserviceaccount.com"]`)
	if c == nil || len(c.Delta.Add) != 1 || c.Delta.Add[0].Member != "user:operator@example.com" {
		t.Fatalf("the plan does not show the verifier binding: %+v", c)
	}
	if !e.saPolicy(t, saEmail("fedctl-admin")).HasMember(RoleTokenCreator, "user:operator@example.com") {
		t.Error("verifier binding missing")
	}
}

// The plan's JSON document follows the documented schema.
func TestPlanJSONSchema(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.modifyProject(t, func(p *gcp.Policy) {
		p.AddMember("roles/bigquery.user", "user:carol@acme.com")
	})
	cfg := testConfig(t, "alice@acme.com")
	cfg.Audit.DataAccessLogs = true
	var out bytes.Buffer
	if err := RenderJSON(&out, e.plan(t, cfg)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		FormatVersion string `json:"format_version"`
		Operation     string `json:"operation"`
		Project       string `json:"project"`
		ProjectNumber string `json:"project_number"`
		Mode          string `json:"mode"`
		HasChanges    bool   `json:"has_changes"`
		Summary       map[string]int
		Warnings      []string
		Changes       []struct {
			Address, Kind, Action string
			Before, After         json.RawMessage
			Delta                 *struct {
				Add          []map[string]string `json:"add"`
				AuditLogsAdd []map[string]string `json:"audit_logs_add"`
			}
		}
	}
	dec := json.NewDecoder(&out)
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if dec.More() {
		t.Error("more than one JSON document")
	}
	if doc.FormatVersion != "1.0" || doc.Operation != "setup" || doc.Project != testProject || doc.ProjectNumber != "123456789012" || doc.Mode != "impersonation" || !doc.HasChanges {
		t.Errorf("header = %+v", doc)
	}
	if doc.Summary["add"] != 4 || doc.Summary["change"] != 2 || doc.Summary["destroy"] != 0 || doc.Summary["no_op"] != 1 {
		t.Errorf("summary = %v", doc.Summary)
	}
	if doc.Warnings == nil {
		t.Error("warnings must be an array, not null")
	}
	byAddr := map[string]int{}
	for i, c := range doc.Changes {
		byAddr[c.Address] = i
	}
	sa := doc.Changes[byAddr[`service_account.user["alice@acme.com"]`]]
	if sa.Kind != "service_account" || sa.Action != "create" || string(sa.Before) != "null" || !strings.Contains(string(sa.After), `"email": "fedctl-alice@demo-project.iam.gserviceaccount.com"`) {
		t.Errorf("SA change = %+v (after %s)", sa, sa.After)
	}
	proj := doc.Changes[byAddr["iam_policy.project"]]
	if proj.Kind != "iam_policy" || proj.Action != "update" || proj.Delta == nil || len(proj.Delta.Add) != 2 || len(proj.Delta.AuditLogsAdd) != 6 {
		t.Fatalf("project change = %+v", proj)
	}
	if proj.Delta.Add[0]["role"] != "roles/bigquery.user" || proj.Delta.Add[0]["member"] != "serviceAccount:fedctl-alice@demo-project.iam.gserviceaccount.com" {
		t.Errorf("delta.add[0] = %v", proj.Delta.Add[0])
	}
	// before/after show the whole managed role: carol stays in both.
	if !strings.Contains(string(proj.Before), "user:carol@acme.com") || !strings.Contains(string(proj.After), "user:carol@acme.com") {
		t.Errorf("before/after do not show the managed role's members: %s / %s", proj.Before, proj.After)
	}
	api := doc.Changes[byAddr[`api["bigquery.googleapis.com"]`]]
	if api.Action != "no-op" || !strings.Contains(string(api.Before), `"enabled": true`) {
		t.Errorf("bigquery api change = %+v", api)
	}
}

// SPEC §6: requests ≤ 3N+20 for setup, with ONE write of the project
// policy whatever N. Deterministic, so asserted (timings are only
// benchmarked).
func TestSetupRequestBudget(t *testing.T) {
	const n = 40
	e := newEnv(t, emulator.Options{})
	users := make([]string, n)
	for i := range users {
		users[i] = "user" + itoa3(i) + "@acme.com"
	}
	e.setup(t, testConfig(t, users...))
	st := e.srv.Stats()
	t.Logf("%d users: %d requests (%d writes)", n, st.Total, st.Writes)
	if st.Total > 3*n+20 {
		t.Errorf("%d requests for %d users, budget %d:\n%s", st.Total, n, 3*n+20, st)
	}
	if got := st.ByRoute["cloudresourcemanager.projects.setIamPolicy"]; got != 1 {
		t.Errorf("%d project policy writes, want 1", got)
	}
	if got := st.ByRoute["iam.projects.serviceAccounts.list"]; got != 1 {
		t.Errorf("%d SA listings, want 1 (pages of 100)", got)
	}
	if got := st.ByRoute["iam.projects.serviceAccounts.get"] + st.ByRoute["iam.projects.serviceAccounts.getIamPolicy"]; got != 0 {
		t.Errorf("%d per-SA reads of accounts that did not exist", got)
	}
}

func itoa3(i int) string {
	return string([]byte{'0' + byte(i/100%10), '0' + byte(i/10%10), '0' + byte(i%10)})
}

// oauth mode needs no service accounts: data roles go to the users.
func TestOAuthModeGrantsUsers(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := &config.Config{Project: testProject, Mode: config.ModeOAuth}
	cfg.SetUsers([]string{"alice@acme.com"})
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p, _ := e.setup(t, cfg)
	for _, c := range p.Changes {
		if c.Kind == KindServiceAccount {
			t.Errorf("oauth plan has a service account: %s", c.Address)
		}
	}
	if !e.projectPolicy(t).HasMember("roles/bigquery.user", "user:alice@acme.com") {
		t.Error("alice lacks roles/bigquery.user")
	}
}

// Teardown runs in reverse: policy members leave before the accounts go.
func TestTeardownOrder(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com")
	e.setup(t, cfg)
	p, err := e.eng.PlanTeardown(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, c := range p.Changes {
		if c.Action != ActionNoop {
			order = append(order, string(c.Action)+" "+c.Address)
		}
	}
	want := []string{"update iam_policy.project", `delete service_account.user["alice@acme.com"]`, "delete service_account.admin"}
	if strings.Join(order, "|") != strings.Join(want, "|") {
		t.Errorf("teardown order = %q, want %q", order, want)
	}
}
