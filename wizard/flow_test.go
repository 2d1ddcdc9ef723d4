package wizard

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/iostreams"
)

// Whole flows through the real program (teatest) against the emulator.

func waitFor(t *testing.T, tm *teatest.TestModel, text string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(text)) },
		teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
}

func send(tm *teatest.TestModel, keys ...string) {
	for _, k := range keys {
		tm.Send(press(k))
	}
}

// toPlan walks an empty project's wizard from the Project screen to the
// plan for two users, answering as a newcomer would.
func toPlan(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	waitFor(t, tm, "123456789012") // the project's number, read live
	send(tm, "enter")
	waitFor(t, tm, "How should people reach BigQuery?")
	send(tm, "enter") // impersonation
	waitFor(t, tm, "Users")
	tm.Type("alice@acme.com, bob@acme.com")
	waitFor(t, tm, "fedctl-bob@demo-project.iam.gserviceaccount.com") // the live preview
	send(tm, "enter", "enter", "enter", "enter", "enter")             // users, template, grant, roles, other → continue
	waitFor(t, tm, "Audit evidence")
	send(tm, "tab", "tab") // to the verifier
	tm.Type("user:operator@example.com")
	send(tm, "enter")
	waitFor(t, tm, "Apply these changes?")
}

func TestFlowHappyPath(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(110, 50))
	toPlan(t, tm)
	confirmApply(t, tm)
	waitFor(t, tm, "Press enter to verify every identity.")
	send(tm, "enter")
	waitFor(t, tm, "Every identity can start a session.")
	send(tm, "q")
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)

	if m.Outcome() != OutcomeDone {
		t.Fatalf("outcome = %v, want done", m.Outcome())
	}
	rep := s.report
	if rep == nil || rep.Failed() || len(rep.Users) != 2 {
		t.Fatalf("verification = %+v, want two users and no failure", rep)
	}
	for _, u := range rep.Users {
		if !u.OK || !u.Tested {
			t.Errorf("%s: ok=%v tested=%v (%s)", u.Email, u.OK, u.Tested, u.Verdict)
		}
	}
	// The answers reached the config, and the project converged: a new plan
	// has nothing to do.
	if got := s.cfg.Users(); strings.Join(got, ",") != "alice@acme.com,bob@acme.com" {
		t.Errorf("users = %v", got)
	}
	if !s.cfg.Audit.DataAccessLogs || s.cfg.Verifier != "user:operator@example.com" {
		t.Errorf("audit answers not kept: logs=%v verifier=%q", s.cfg.Audit.DataAccessLogs, s.cfg.Verifier)
	}
	if p := mustPlan(t, e, s.cfg); p.HasChanges() {
		t.Errorf("after the wizard the plan still has changes: %+v", p.Counts())
	}
	// The record printed after the screens close.
	ios, _, out, _ := iostreams.Test()
	if err := finishRun(s, m.Outcome(), nil, ios); err != nil {
		t.Fatalf("finishRun = %v", err)
	}
	for _, want := range []string{"alice@acme.com", "passed, 0 failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("record lacks %q:\n%s", want, out)
		}
	}
}

func TestFlowAbortAtPlanReview(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(110, 50))
	toPlan(t, tm)
	send(tm, "q")
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)

	if m.Outcome() != OutcomeAborted {
		t.Fatalf("outcome = %v, want aborted", m.Outcome())
	}
	if st := e.srv.Stats(); st.Writes != 0 {
		t.Fatalf("aborting at plan review made %d write calls: %s", st.Writes, st)
	}
	if s.plan == nil || !s.plan.HasChanges() {
		t.Fatal("the plan was not read before the abort")
	}
	ios, _, _, errOut := iostreams.Test()
	err := finishRun(s, m.Outcome(), nil, ios)
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Fatalf("exit code = %d (%v), want 130", code, err)
	}
	if !strings.Contains(errOut.String(), "nothing was changed") {
		t.Errorf("abort message = %q", errOut)
	}
}

// Ctrl-C during apply cancels it: the wizard ends only after Apply
// returned, every step is accounted for (applied, or not started), and a
// re-run converges.
func TestFlowCtrlCDuringApply(t *testing.T) {
	e := newEmu(t)
	gate := make(chan struct{})
	// The first IAM write waits until Ctrl-C has been sent.
	e.srv.ResetStats()
	s := testSession(&config.Config{Project: "demo-project"}, &gatedBackend{Backend: e.backend, gate: gate})
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(110, 50))
	toPlan(t, tm)
	confirmApply(t, tm)
	waitFor(t, tm, "Applying")
	send(tm, "ctrl+c")
	waitFor(t, tm, "Stopping")
	close(gate)
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if m.Outcome() != OutcomeAborted || !s.stopped {
		t.Fatalf("outcome = %v stopped=%v, want an abort after a stopped apply", m.Outcome(), s.stopped)
	}
	res := s.finalResult()
	if res == nil {
		t.Fatal("no apply result")
	}
	if res.Count("skipped") == 0 {
		t.Errorf("nothing was left unstarted after Ctrl-C: %+v", res.Outcomes)
	}
	ios, _, out, errOut := iostreams.Test()
	if code := cmdutil.ExitCode(finishRun(s, m.Outcome(), nil, ios)); code != cmdutil.ExitCancel {
		t.Errorf("exit code = %d, want 130", code)
	}
	// The record is true to what happened (issue: "✗ 2 failed, 5 not
	// started", gateway values and "the steps above were applied" after an
	// apply that changed nothing): steps stopped in flight are not
	// failures, and with nothing applied it says so and nothing else.
	if strings.Contains(out.String(), "failed") || strings.Contains(out.String(), "Gateway values") {
		t.Errorf("the record reports failures or values after a stop:\n%s", out)
	}
	if res.Count("applied") == 0 && s.applied == 0 {
		if out.Len() != 0 || !strings.Contains(errOut.String(), "Aborted: nothing was changed.") {
			t.Errorf("nothing was applied, record:\n%s\n%s", out, errOut)
		}
	} else if !strings.Contains(out.String(), "not started") || !strings.Contains(errOut.String(), "the steps above were applied") {
		t.Errorf("the record does not say what was not done:\n%s\n%s", out, errOut)
	}
	// A re-run converges from here.
	ctx := context.Background()
	p := mustPlan(t, e, s.cfg)
	if _, err := e.backend.Apply(ctx, p, nil); err != nil {
		t.Fatalf("re-run: %v", err)
	}
	if p := mustPlan(t, e, s.cfg); p.HasChanges() {
		t.Errorf("re-run did not converge: %+v", p.Counts())
	}
}

// gatedBackend holds the first apply step until gate closes, so that a
// test can press Ctrl-C while a step is in flight.
type gatedBackend struct {
	Backend
	gate chan struct{}
}

func (g *gatedBackend) Apply(ctx context.Context, plan *enginePlan, progress func(engineEvent)) (*engineResult, error) {
	first := true
	return g.Backend.Apply(ctx, plan, func(ev engineEvent) {
		progress(ev)
		if first && ev.Status == "started" {
			first = false
			<-g.gate
		}
	})
}

var _ tea.Model = (*Model)(nil)

// confirmApply applies the plan on screen the one way there is: y, then
// "yes" typed and Enter.
func confirmApply(t *testing.T, tm *teatest.TestModel) {
	t.Helper()
	send(tm, "y")
	waitFor(t, tm, "Type yes to confirm")
	tm.Type("yes")
	send(tm, "enter")
}

// Enter is "continue" on every screen: on the plan it must never apply
// (issue: pressing Enter a few times applied 7 changes). Neither does y
// alone, nor a confirmation that is not "yes"; y + "yes" + Enter does.
func TestFlowEnterNeverApplies(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(110, 50))
	toPlan(t, tm)
	e.srv.ResetStats()
	send(tm, "enter", "enter", "enter")
	send(tm, "y")
	waitFor(t, tm, "Type yes to confirm")
	tm.Type("y")
	send(tm, "enter")
	waitFor(t, tm, "type yes and press enter to go ahead")
	if st := e.srv.Stats(); st.Writes != 0 {
		t.Fatalf("Enter, y and a wrong answer made %d write calls: %s", st.Writes, st)
	}
	tm.Type("yes")
	send(tm, "enter")
	waitFor(t, tm, "Press enter to verify every identity.")
	send(tm, "q")
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)
	if e.srv.Stats().Writes == 0 {
		t.Fatal(`typing "yes" did not apply`)
	}
	if m.Outcome() != OutcomeAborted && m.Outcome() != OutcomeDone {
		t.Fatalf("outcome = %v", m.Outcome())
	}
}

// The plan's footer names the deliberate key; Enter is not offered as apply.
func TestPlanFooterNamesApplyKey(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com")
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 100, 40)
	s.plan = mustPlan(t, e, cfg)
	m.screens[stepPlan].(*planScreen).loading = false
	foot := m.footer()
	if !strings.Contains(foot, "y apply (then type yes)") || strings.Contains(foot, "enter apply") {
		t.Fatalf("footer = %q", foot)
	}
	m.Update(press("enter"))
	if m.cur != stepPlan {
		t.Fatalf("enter left the plan for %v", m.cur)
	}
}
