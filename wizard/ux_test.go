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
	cfg := wifCfg()
	cfg.WIF = config.WIF{Preset: "gumloop", Pool: config.Pool{ID: "gumloop-pool"},
		Provider: config.Provider{ID: "gumloop-oidc", IssuerURI: "https://api.gumloop.com",
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.gumloop_org_id"},
			AttributeCondition: "assertion.gumloop_org_id == 'ORG123'"},
		ServiceAccount: "bigquery-runner", PrincipalSet: "attribute.org/ORG123", Roles: cfg.WIF.Roles}
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
