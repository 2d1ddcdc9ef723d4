package wizard

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/verify"
)

// Validation logic, on the models directly.

func TestParseUsers(t *testing.T) {
	entries, notes := parseUsers("Alice@Acme.com, bob@acme.com\n# a comment\ncarol@acme.com;alice@acme.com  nope\n")
	var got []string
	for _, e := range entries {
		got = append(got, e.email+"|"+map[bool]string{true: "ok", false: "bad"}[e.err == ""])
	}
	want := []string{"alice@acme.com|ok", "bob@acme.com|ok", "carol@acme.com|ok", "nope|bad"}
	if !slices.Equal(got, want) {
		t.Errorf("entries = %v, want %v", got, want)
	}
	if len(notes) != 1 || !strings.Contains(notes[0], "alice@acme.com") {
		t.Errorf("notes = %v, want one about the duplicate", notes)
	}
	if v := validUsers(entries); len(v) != 3 {
		t.Errorf("validUsers = %v", v)
	}
}

func TestIdentitiesRefusesIllegalAndCollidingIDs(t *testing.T) {
	s := testSession(validCfg(), nil)
	m := sized(s, stepIdentities, 100, 40)
	sc := m.screens[stepIdentities].(*identitiesScreen)
	sc.users.SetValue("alice.smith@acme.com\nbob@acme.com\nbob@other.org")

	if cmd := sc.submit(); navOf(cmd) != nil {
		t.Fatal("submit moved on with illegal and colliding service account IDs")
	}
	var fields []string
	for _, p := range sc.problems {
		fields = append(fields, p.Field+": "+p.Message)
	}
	joined := strings.Join(fields, "\n")
	if !strings.Contains(joined, "alice.smith") || !strings.Contains(joined, "bob@acme.com") {
		t.Errorf("problems do not name the users:\n%s", joined)
	}
	if len(s.cfg.Users()) != 0 {
		t.Errorf("the config changed although the answers were refused: %v", s.cfg.Users())
	}
	view := sc.view()
	for _, want := range []string{"✗ alice.smith@acme.com → fedctl-alice.smith", "same SA as bob@other.org"} {
		if !strings.Contains(view, want) {
			t.Errorf("preview lacks %q", want)
		}
	}

	// A template that renders unique legal IDs fixes it; the preview and
	// the preflight agree.
	sc.users.SetValue("alice@acme.com\nbob@acme.com")
	sc.tmpl.SetValue("bq-{user.email}@{project}.iam.gserviceaccount.com")
	if msg, ok := navOf(sc.submit()).(goMsg); !ok || msg.to != stepAudit {
		t.Fatalf("submit with valid answers = %v (problems %v)", msg, sc.problems)
	}
	if got := s.cfg.Impersonation.IdentityTemplate; got != "bq-{user.email}@{project}.iam.gserviceaccount.com" {
		t.Errorf("template = %q", got)
	}
	id, err := s.cfg.IdentityFor("alice@acme.com")
	if err != nil || id.AccountID != "bq-alice" {
		t.Errorf("IdentityFor = %+v, %v", id, err)
	}
}

func TestIdentitiesRoles(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	sc := sized(s, stepIdentities, 100, 40).screens[stepIdentities].(*identitiesScreen)
	sc.focus, sc.roles.cursor = fieldRoles, 1
	sc.update(press("space")) // + jobUser
	sc.roles.cursor = 0
	sc.update(press("space")) // - bigquery.user
	sc.roles.custom.SetValue("roles/bigquery.dataEditor, bogus")
	if navOf(sc.submit()) != nil || len(sc.problems) != 1 || sc.problems[0].Value != "bogus" {
		t.Fatalf("an invalid free-entry role was accepted: %v", sc.problems)
	}
	if !strings.Contains(sc.view(), "✗ bogus") {
		t.Error("the invalid role is not flagged inline")
	}
	sc.roles.custom.SetValue("roles/bigquery.dataEditor, projects/demo-project/roles/custom")
	if navOf(sc.submit()) == nil {
		t.Fatalf("valid roles refused: %v", sc.problems)
	}
	want := []string{"roles/bigquery.jobUser", "roles/bigquery.dataViewer", "roles/bigquery.dataEditor", "projects/demo-project/roles/custom"}
	if got := s.cfg.Roles(); !slices.Equal(got, want) {
		t.Errorf("roles = %v, want %v", got, want)
	}
}

func TestIdentitiesPatternBWarns(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	sc := sized(s, stepIdentities, 100, 40).screens[stepIdentities].(*identitiesScreen)
	if strings.Contains(sc.view(), "EVERY service account") {
		t.Fatal("Pattern A shows B's warning")
	}
	sc.focus = fieldGrant
	sc.update(press("space"))
	if !strings.Contains(sc.view(), "EVERY service account") {
		t.Fatal("Pattern B shows no blast-radius warning")
	}
	navOf(sc.submit())
	if s.cfg.Impersonation.Grant != config.GrantProject {
		t.Errorf("grant = %q", s.cfg.Impersonation.Grant)
	}
}

func TestIdentitiesLoadsUsersFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "users.txt")
	if err := os.WriteFile(path, []byte("# team\ncarol@acme.com\ndave@acme.com # lead\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := testSession(validCfg("alice@acme.com"), nil)
	sc := sized(s, stepIdentities, 100, 40).screens[stepIdentities].(*identitiesScreen)
	sc.update(press("ctrl+o"))
	if sc.file == nil {
		t.Fatal("ctrl+o did not open the file prompt")
	}
	sc.file.SetValue(path)
	cmd := sc.updateFilePrompt(press("enter"))
	sc.update(cmd()) // the read, as the program would run it
	entries, _ := parseUsers(sc.users.Value())
	if got := validUsers(entries); !slices.Equal(got, []string{"alice@acme.com", "carol@acme.com", "dave@acme.com"}) {
		t.Errorf("users after loading = %v", got)
	}

	sc.update(press("ctrl+o"))
	sc.file.SetValue(filepath.Join(t.TempDir(), "missing.txt"))
	sc.update(sc.updateFilePrompt(press("enter"))())
	if sc.file == nil || sc.fileErr == "" {
		t.Error("a missing users file is not reported in the prompt")
	}
}

func TestProjectValidation(t *testing.T) {
	s := testSession(&config.Config{Project: "Bad_Project"}, nil)
	sc := sized(s, stepProject, 100, 30).screens[stepProject].(*projectScreen)
	if sc.problem() == "" || sc.next() != nil {
		t.Fatal("an invalid project ID was accepted")
	}
	if !strings.Contains(sc.view(), "✗") {
		t.Error("no inline error for the invalid ID")
	}
	sc.input.SetValue("demo-project")
	if sc.problem() != "" {
		t.Fatalf("valid ID refused: %s", sc.problem())
	}
	// Enter reads the project first; only a successful read moves on.
	sc.asked, sc.loading = "demo-project", false
	sc.err = errors.New("403")
	if msg := navOf(sc.next()); msg != nil {
		t.Fatalf("moved on after a failed read: %v", msg)
	}
	sc.asked, sc.loading, sc.err, sc.info = "demo-project", false, nil, &ProjectInfo{ID: "demo-project", Number: "1"}
	if msg, ok := navOf(sc.next()).(goMsg); !ok || msg.to != stepMode || s.cfg.Project != "demo-project" {
		t.Fatalf("next = %v, project %q", msg, s.cfg.Project)
	}
	// A stale lookup (for a project no longer typed) is dropped.
	sc.update(projectInfoMsg{project: "other", err: errors.New("stale")})
	if sc.err != nil {
		t.Error("a stale lookup result was applied")
	}
}

// wif leads to its own screens; the users survive a detour through it.
func TestModeSwitchFollowsTheFlow(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	sc := sized(s, stepMode, 100, 30).screens[stepMode].(*modeScreen)
	sc.update(press("down")) // wif: no pool/provider yet, its screens ask
	if msg, ok := navOf(sc.update(press("enter"))).(goMsg); !ok || msg.to != stepWIFProvider {
		t.Fatalf("wif went to %v (%q), want the Provider screen", msg, sc.err)
	}
	if !slices.Equal(s.cfg.Roles(), config.DefaultRoles(config.ModeWIF)) {
		t.Errorf("wif roles = %v, want its defaults", s.cfg.Roles())
	}
	sc.update(press("down")) // oauth
	if msg, ok := navOf(sc.update(press("enter"))).(goMsg); !ok || msg.to != stepIdentities {
		t.Fatalf("oauth refused: %q", sc.err)
	}
	if s.cfg.Mode != config.ModeOAuth || !slices.Equal(s.cfg.Users(), []string{"alice@acme.com"}) {
		t.Errorf("mode %q users %v: the users did not follow the mode", s.cfg.Mode, s.cfg.Users())
	}
	if !slices.Equal(s.cfg.Roles(), config.DefaultRoles(config.ModeOAuth)) {
		t.Errorf("roles = %v, want oauth's defaults", s.cfg.Roles())
	}
}

func TestAuditValidation(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	sc := sized(s, stepAudit, 100, 40).screens[stepAudit].(*auditScreen)
	sc.sink = true
	sc.inputs[1].SetValue("audit-logs") // '-' is not allowed in a dataset ID
	sc.inputs[3].SetValue("alice@acme.com")
	if navOf(sc.submit()) != nil {
		t.Fatal("an invalid dataset and verifier were accepted")
	}
	var fields []string
	for _, p := range sc.problems {
		fields = append(fields, p.Field)
	}
	if !slices.Contains(fields, "audit.sink.dataset") || !slices.Contains(fields, "verifier") {
		t.Errorf("problems = %v", fields)
	}
	sc.inputs[1].SetValue("audit_logs")
	sc.inputs[3].SetValue("user:alice@acme.com")
	if navOf(sc.submit()) == nil {
		t.Fatalf("valid answers refused: %v", sc.problems)
	}
	want := config.Sink{Name: config.DefaultSinkName, Dataset: "audit_logs", Location: "US"}
	if s.cfg.Audit.Sink != want || !s.cfg.Audit.DataAccessLogs || s.cfg.Verifier != "user:alice@acme.com" {
		t.Errorf("audit = %+v verifier %q", s.cfg.Audit, s.cfg.Verifier)
	}
}

func TestPlanWritesReplayableConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "federation.yaml")
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	cfg.Impersonation.Grant = config.GrantProject
	cfg.Audit.DataAccessLogs = true
	if err := writeConfig(cfg, path); err != nil {
		t.Fatal(err)
	}
	back, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(back.Users(), cfg.Users()) || back.Impersonation.Grant != config.GrantProject || !back.Audit.DataAccessLogs {
		t.Errorf("read back %+v", back)
	}
}

func TestMergeUser(t *testing.T) {
	all := &verify.Report{
		Checks: []verify.Check{
			{Scope: verify.ScopeProject, Name: verify.CheckAPIEnabled, Subject: "iam", Status: verify.Fail},
			{Scope: verify.ScopeUser, Name: verify.CheckMint, Subject: "a@x.com", Status: verify.Fail},
			{Scope: verify.ScopeUser, Name: verify.CheckMint, Subject: "b@x.com", Status: verify.Pass},
		},
		Users: []verify.UserVerdict{{Email: "a@x.com"}, {Email: "b@x.com", OK: true}},
	}
	one := &verify.Report{
		Checks: []verify.Check{
			{Scope: verify.ScopeProject, Name: verify.CheckAPIEnabled, Subject: "iam", Status: verify.Pass},
			{Scope: verify.ScopeUser, Name: verify.CheckMint, Subject: "a@x.com", Status: verify.Pass},
		},
		Users: []verify.UserVerdict{{Email: "a@x.com", OK: true}},
	}
	got := mergeUser(all, one, "a@x.com")
	if got.Failed() || got.Summary.Pass != 3 || !got.Users[0].OK || !got.Users[1].OK {
		t.Errorf("merged = %+v", got)
	}
	if all.Users[0].OK {
		t.Error("mergeUser changed its input")
	}
}

// Without a terminal the wizard never starts: Run fails at once naming
// --yes, before building a client or reading input.
func TestRunWithoutTTY(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	err := Run(context.Background(), f, validCfg("alice@acme.com"), Options{Backend: failingBackend{t}})
	if err == nil || !strings.Contains(err.Error(), "--yes") {
		t.Fatalf("Run without a TTY = %v, want the --yes error", err)
	}
}

type failingBackend struct{ t *testing.T }

func (b failingBackend) Project(context.Context, string, []string) (*ProjectInfo, error) {
	b.t.Fatal("backend called")
	return nil, nil
}
func (b failingBackend) Plan(context.Context, *config.Config) (*enginePlan, error) {
	b.t.Fatal("backend called")
	return nil, nil
}
func (b failingBackend) Apply(context.Context, *enginePlan, func(engineEvent)) (*engineResult, error) {
	b.t.Fatal("backend called")
	return nil, nil
}
func (b failingBackend) Verify(context.Context, *config.Config, []string) (*verify.Report, error) {
	b.t.Fatal("backend called")
	return nil, nil
}
