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
