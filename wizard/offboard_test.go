package wizard

import (
	"context"
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"
)

// A plan that offboards someone shows the removals in red with a count,
// and applying it takes a second, separate confirmation naming them.
func TestPlanOffboardingNeedsItsOwnConfirmation(t *testing.T) {
	e := newEmu(t)
	three := validCfg("alice@acme.com", "bob@acme.com", "carol@acme.com")
	p := mustPlan(t, e, three)
	if _, err := e.backend.Apply(context.Background(), p, nil); err != nil {
		t.Fatal(err)
	}
	cfg := validCfg("alice@acme.com", "carol@acme.com")
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 120, 40)
	ps := m.screens[stepPlan].(*planScreen)
	s.plan, ps.loading = mustPlan(t, e, cfg), false
	if v := ps.view(); !strings.Contains(v, "-1 to remove") {
		t.Fatalf("plan view lacks the removal count:\n%s", v)
	}

	m.Update(press("y"))
	typeText(m, "yes")
	m.Update(press("enter"))
	if m.cur != stepPlan || ps.confirm == nil || !strings.Contains(ps.confirm.prompt, "OFFBOARDS 1 identity (bob@acme.com)") {
		t.Fatalf("after the apply confirmation: step %v, confirm %+v", m.cur, ps.confirm)
	}
	// esc backs out of the offboarding: nothing applied.
	m.Update(press("esc"))
	if m.cur != stepPlan || ps.confirm != nil {
		t.Fatalf("esc: step %v", m.cur)
	}
	m.Update(press("y"))
	typeText(m, "yes")
	m.Update(press("enter"))
	typeText(m, "yes")
	cmd := ps.update(press("enter"))
	if msg, ok := navOf(cmd).(goMsg); !ok || msg.to != stepApply {
		t.Fatalf("second confirmation: %#v", navOf(cmd))
	}
}

// Another federation's service accounts are refused while planning, before
// any write, and the plan screen says whose they are.
func TestPlanShowsOwnershipRefusal(t *testing.T) {
	e := newEmu(t)
	if _, err := e.backend.Apply(context.Background(), mustPlan(t, e, validCfg("alice@acme.com")), nil); err != nil {
		t.Fatal(err)
	}
	cfg := validCfg("alice@acme.com")
	cfg.Name = "team-b"
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 120, 40)
	ps := m.screens[stepPlan].(*planScreen)
	e.srv.ResetStats()
	cmd := ps.enter()
	for _, msg := range runBatch(cmd) {
		ps.update(msg)
	}
	v := ps.view()
	if !strings.Contains(v, "refused before any write") || !strings.Contains(v, `federation "fedctl"`) {
		t.Fatalf("plan view:\n%s", v)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("%d writes", w)
	}
}

// runBatch runs cmd (and the Cmds of a tea.BatchMsg) and returns every
// message but spinner ticks.
func runBatch(cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case tea.BatchMsg:
		var out []tea.Msg
		for _, c := range msg {
			out = append(out, runBatch(c)...)
		}
		return out
	case spinner.TickMsg:
		return nil
	default:
		return []tea.Msg{msg}
	}
}
