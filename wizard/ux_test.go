package wizard

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/iostreams"
)

// The replay line after "write config file" works when pasted: on the
// sandbox it runs on the sandbox.
func TestReplayLineCarriesSandbox(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com")
	s := testSession(cfg, e.backend)
	s.inv = fixhint.Invocation{Sandbox: true, Project: "demo-project"}
	m := sized(s, stepPlan, 100, 40)
	p := m.screens[stepPlan].(*planScreen)
	p.loading, s.plan = false, mustPlan(t, e, cfg)
	path := filepath.Join(t.TempDir(), "fed.yaml")
	m.Update(press("w"))
	p.save.SetValue(path)
	cmd := p.update(press("enter"))
	m.Update(cmd())
	want := "fedctl --sandbox setup --config " + path + " --yes"
	if !strings.Contains(p.savedNote, want) {
		t.Fatalf("saved note = %q, want %q", p.savedNote, want)
	}
}

// Ctrl-C on the finished verification table prints the record and exits
// 130, as Ctrl-C does everywhere (it exited 0).
func TestCtrlCOnFinishedTableExits130(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(110, 50))
	toPlan(t, tm)
	confirmApply(t, tm)
	waitFor(t, tm, "Press enter to verify every identity.")
	send(tm, "enter")
	waitFor(t, tm, "Every identity can start a session.")
	send(tm, "ctrl+c")
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	ios, _, out, _ := iostreams.Test()
	err := finishRun(s, m.Outcome(), nil, ios)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Fatalf("exit code = %d (%v), want 130", code, err)
	}
	if !strings.Contains(out.String(), "passed, 0 failed") {
		t.Errorf("the record was not printed:\n%s", out)
	}
}

// The wizard speaks in its own terms: its problems and warnings name its
// fields and choices, not flags, YAML keys or the SPEC.
func TestWizardWordsNoFlags(t *testing.T) {
	cfg := &config.Config{Project: "demo-project"}
	cfg.ApplyDefaults()
	cfg.Impersonation.Grant = config.GrantProject
	s := testSession(cfg, nil)
	m := sized(s, stepIdentities, 100, 60)
	m.Init()
	sc := m.screens[stepIdentities].(*identitiesScreen)
	sc.problems = sc.validate()
	view := m.View()
	if !strings.Contains(view, "Users: no users; type at least one email") {
		t.Errorf("no users problem not in the wizard's words:\n%s", view)
	}
	for _, bad := range []string{"--users", "--grant", "impersonation.users", "SPEC §"} {
		if strings.Contains(view, bad) {
			t.Errorf("the wizard says %q:\n%s", bad, view)
		}
	}
	if got := problemText(config.Problem{Field: "impersonation.identity_template", Flag: "--template", User: "a@b.com", Message: "renders x", Fix: `use --template "fedctl-{user.local}" (identity_template), which renders a legal, unique ID for the one user`}); strings.Contains(got, "--") || !strings.Contains(got, `the template "fedctl-{user.local}"`) {
		t.Errorf("template problem = %q", got)
	}
}

// The wif plan's header counts no users (it said "· 0 users").
func TestWIFPlanHeaderHasNoUserCount(t *testing.T) {
	e := newEmu(t)
	cfg := gumloopCfg()
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 120, 40)
	p := m.screens[stepPlan].(*planScreen)
	p.update(planMsg{seq: p.seq, plan: mustPlan(t, e, cfg)})
	p.loading = false
	view := m.View()
	if !strings.Contains(view, "Plan for demo-project · wif mode") || strings.Contains(view, "users") {
		t.Errorf("header:\n%s", view)
	}
}

// Accessible mode: after a CEL error in the condition, Enter does not fall
// back to "none" (it dropped the condition); none must be typed.
func TestAccessibleConditionAfterErrorIsNotDropped(t *testing.T) {
	e := newEmu(t)
	input := strings.Join([]string{
		"", "2", // project, wif
		"custom", "https://token.example", "google.subject=assertion.sub,attribute.org=assertion.org",
		"assertion.org = 'x'", // bad CEL
		"",                    // Enter: must not mean none
	}, "\n") + "\n"
	_, _, errOut := accessibleRun(t, e, input)
	if !strings.Contains(errOut, "type it again, or - for none") {
		t.Fatalf("Enter after a CEL error was accepted:\n%s", errOut)
	}
	if strings.Contains(errOut, "Allowed audiences") {
		t.Fatalf("the wizard moved on without a condition:\n%s", errOut)
	}
}

// Both modes ask the same questions: every question of the Audit screen is
// asked in accessible mode too (the log sink was missing).
func TestAccessibleAsksWhatTheScreensAsk(t *testing.T) {
	e := newEmu(t)
	input := strings.Join([]string{
		"", "", "alice@acme.com", "", "n", "", // project, mode, users, template, pattern B, roles
		"y", "y", "", "", "", // logs, sink on: name, dataset, location
		"user:operator@example.com",
	}, "\n") + "\n"
	_, _, errOut := accessibleRun(t, e, input)
	cfg := validCfg("alice@acme.com")
	s := testSession(cfg, e.backend)
	screen := sized(s, stepAudit, 120, 60)
	screen.Init()
	sc := screen.screens[stepAudit].(*auditScreen)
	sc.sink = true
	view := screen.View()
	for _, q := range []string{qDataAccessLogs, qSink, sinkQuestions[0].label, sinkQuestions[1].label, sinkQuestions[2].label, "Verifier"} {
		if !strings.Contains(view, q) {
			t.Errorf("the Audit screen does not ask %q", q)
		}
		if !strings.Contains(errOut, q) {
			t.Errorf("accessible mode does not ask %q:\n%s", q, errOut)
		}
	}
}

// Accessible mode applies on a typed "yes" only, as the plan screen does:
// "y" is asked again, and the end of input aborts with nothing written.
func TestAccessibleApplyNeedsTypedYes(t *testing.T) {
	e := newEmu(t)
	input := strings.Join([]string{
		"", "", "alice@acme.com", "", "n", "", // project, mode, users, template, pattern B, roles
		"y", "n", "user:operator@example.com", // logs, no sink, verifier
		"y", // apply? a bare y
	}, "\n") + "\n"
	err, _, errOut := accessibleRun(t, e, input)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Fatalf("Run = %v, want an abort at the end of input\n%s", err, errOut)
	}
	if !strings.Contains(errOut, "Type yes in full to apply") {
		t.Errorf("a bare y was not asked again:\n%s", errOut)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Fatalf("a bare y applied (%d writes)", w)
	}
}

// Both modes ask the same questions, step by step: every field of a
// screen has its line prompt in accessible mode. A field added to one mode
// only fails here.
func TestBothModesAskTheSameQuestions(t *testing.T) {
	parity := []struct {
		at         step
		screen     string // the field's label on the screen
		accessible string // the same question as a line prompt
	}{
		{stepIdentities, "Users", "Users"},
		{stepIdentities, "Template", "Identity template"},
		{stepIdentities, "Token Creator", "Token Creator"},
		{stepIdentities, "Data roles", "Data roles"},
		{stepWIFProvider, "Preset", "Preset"},
		{stepWIFProvider, "Issuer", "Issuer URI"},
		{stepWIFProvider, "Mapping", "Attribute mapping"},
		{stepWIFProvider, "Condition", "Attribute condition"},
		{stepWIFProvider, "Audiences", "Allowed audiences"},
		{stepWIFProvider, "Pool ID", "Pool ID"},
		{stepWIFProvider, "Provider ID", "Provider ID"},
		{stepWIFAccess, "Who", "Who may use it"},
		{stepWIFAccess, "Target SA", "Target service account"},
		{stepWIFAccess, "Data roles", "Data roles"},
		{stepAudit, qDataAccessLogs, qDataAccessLogs},
		{stepAudit, qSink, qSink},
		{stepAudit, "Verifier", "Verifier"},
	}
	// The accessible transcripts of an impersonation and a wif run.
	_, _, imp := accessibleRun(t, newEmu(t), strings.Join([]string{
		"", "", "alice@acme.com", "", "n", "", "y", "n", "user:operator@example.com", "no"}, "\n")+"\n")
	_, _, wifRun := accessibleRun(t, newEmu(t), strings.Join([]string{
		"", "2", "gumloop", "ORG123", "", "", "", "", "", "", "", "bigquery-runner", "", "y", "n", "no"}, "\n")+"\n")
	transcript := imp + wifRun

	views := map[step]string{}
	for _, at := range []step{stepIdentities, stepAudit} {
		cfg := validCfg("alice@acme.com")
		cfg.Verifier = "user:operator@example.com"
		m := sized(testSession(cfg, nil), at, 160, 120)
		m.Init()
		views[at] = m.View()
	}
	for _, at := range []step{stepWIFProvider, stepWIFAccess} {
		m := sized(testSession(wifCfg(), nil), at, 160, 120)
		m.Init()
		views[at] = m.View()
	}
	for _, q := range parity {
		if !strings.Contains(views[q.at], q.screen) {
			t.Errorf("the %v screen does not ask %q", q.at, q.screen)
		}
		if !strings.Contains(transcript, q.accessible) {
			t.Errorf("accessible mode does not ask %q (%v screen: %q)", q.accessible, q.at, q.screen)
		}
	}
}
