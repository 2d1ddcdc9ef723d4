package wizard

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/verify"
)

// A wif federation from the Mode screen to the verification table on the
// emulator: the gumloop preset and its org, the target SA, the plan,
// apply (pool, provider, SA, bindings), the integration values and the
// wif rows of the table.
func TestFlowWIF(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	var hooked *engine.WIFOutputs
	s.onWIFOutputs = func(o *engine.WIFOutputs) error { hooked = o; o.CredConfigFile = "creds.json"; return nil }
	tm := teatest.NewTestModel(t, newModel(s, stepProject), teatest.WithInitialTermSize(130, 90))
	waitFor(t, tm, "123456789012")
	send(tm, "enter")
	waitFor(t, tm, "How should people reach BigQuery?")
	send(tm, "down", "enter") // wif
	waitFor(t, tm, "Which OIDC issuer federates")
	send(tm, "right", "right", "tab") // gumloop, then its org
	tm.Type("ORG123")
	waitFor(t, tm, "assertion.gumloop_org_id == 'ORG123'") // the condition the preset pins
	// org, issuer, mapping, condition, audiences, pool → provider, then on.
	send(tm, "enter", "enter", "enter", "enter", "enter", "enter", "enter")
	waitFor(t, tm, "Who may use the federation")
	send(tm, "tab", "tab", "tab") // Who, Value, Runs as → Target SA
	tm.Type("bigquery-runner")
	waitFor(t, tm, "bigquery-runner@demo-project.iam.gserviceaccount.com")
	send(tm, "enter", "enter", "enter") // roles, other → continue
	waitFor(t, tm, "Audit evidence")
	send(tm, "enter")
	waitFor(t, tm, "Apply these changes?")
	confirmApply(t, tm)
	waitFor(t, tm, "Press enter to verify")
	send(tm, "enter")
	// The verdict and the table's wif rows, on screen.
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("The federation is in place")) && bytes.Contains(b, []byte("pool active")) &&
			bytes.Contains(b, []byte("workload identity user"))
	}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(5*time.Millisecond))
	send(tm, "q")
	m := tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(*Model)

	if m.Outcome() != OutcomeDone {
		t.Fatalf("outcome = %v, want done", m.Outcome())
	}
	w := s.cfg.WIF
	if w.Preset != "gumloop" || w.PrincipalSet != "attribute.org/ORG123" || w.ServiceAccount != "bigquery-runner" ||
		w.Provider.AttributeCondition != "assertion.gumloop_org_id == 'ORG123'" {
		t.Errorf("answers = %+v", w)
	}
	// The provider is live with the pinned condition, and the project
	// converged.
	prov, err := e.client.GetProvider(context.Background(), w.ProviderName("123456789012"))
	if err != nil || prov.AttributeCondition != w.Provider.AttributeCondition {
		t.Fatalf("provider = %+v, %v", prov, err)
	}
	if p := mustPlan(t, e, s.cfg); p.HasChanges() {
		t.Errorf("after the wizard the plan still has changes: %+v", p.Counts())
	}
	// The table has the wif rows, passing.
	rep := s.report
	if rep == nil || rep.Failed() {
		t.Fatalf("verification = %+v", rep)
	}
	got := map[string]verify.Status{}
	for _, c := range rep.Checks {
		got[c.Name] = c.Status
	}
	for _, name := range []string{verify.CheckWIFPool, verify.CheckWIFProvider, verify.CheckWorkloadUser} {
		if got[name] != verify.Pass {
			t.Errorf("%s: %q, want pass (checks %v)", name, got[name], got)
		}
	}
	// The integration values: on exit, with what the caller wrote.
	ios, _, out, _ := iostreams.Test()
	if err := finishRun(s, m.Outcome(), nil, ios); err != nil {
		t.Fatalf("finishRun = %v", err)
	}
	if hooked == nil || hooked.ServiceAccount != "bigquery-runner@demo-project.iam.gserviceaccount.com" {
		t.Fatalf("WIFOutputs hook got %+v", hooked)
	}
	for _, want := range []string{"project number:  123456789012",
		"provider:        projects/123456789012/locations/global/workloadIdentityPools/gumloop-pool/providers/gumloop-oidc",
		"service account: bigquery-runner@demo-project.iam.gserviceaccount.com", "credential file: creds.json", "pool active"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("record lacks %q:\n%s", want, out)
		}
	}
}
