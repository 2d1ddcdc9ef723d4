package wizard

import (
	"context"
	"strings"
	"testing"
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
