package engine

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/faultinject"
)

// Deterministic faults in front of the emulator, through the real clients.

func newFaultEnv(t *testing.T, opts emulator.Options) (*env, *faultinject.Injector) {
	t.Helper()
	var inj *faultinject.Injector
	e := newEnvWrapped(t, opts, nil, func(h http.Handler) http.Handler {
		inj = faultinject.New(h, 1)
		return inj
	})
	return e, inj
}

const (
	saPolicyGet = `/serviceAccounts/[^/]+:getIamPolicy$`
	saPath      = `/v1/projects/[^/]+/serviceAccounts/[^/:]+$`
)

// #11: one 503 on logging sinks.get no longer fails PlanSetup.
func TestPlanSetupSurvivesA503OnTheSinkRead(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	inj.Add(faultinject.Fault{Method: "GET", Path: `/sinks/[^/]+$`, Nth: 1, Status: 503})
	p := e.plan(t, sinkConfig(t, "US", "alice@acme.com"))
	if c := p.Change(sinkAddr); c == nil || c.Action != ActionCreate {
		t.Errorf("sink change = %+v", c)
	}
	if ev := inj.Events(); len(ev) != 1 {
		t.Errorf("faults = %v, want the one 503", ev)
	}
}

// A create applied whose answer was lost: the retry meets 409
// ALREADY_EXISTS, which is success for the account this very call made.
func TestSetupSurvivesCreatesAppliedButUnanswered(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	inj.Add(faultinject.Fault{Method: "POST", Path: `/v1/projects/[^/]+/serviceAccounts$`, Nth: 1, Times: 2, Status: 503, AfterApply: true})
	cfg := sinkConfig(t, "US", "alice@acme.com")
	inj.Add(faultinject.Fault{Method: "POST", Path: `/sinks$`, Nth: 1, Status: 503, AfterApply: true})
	inj.Add(faultinject.Fault{Method: "POST", Path: `/datasets$`, Nth: 1, Reset: true, AfterApply: true})
	_, res := e.setup(t, cfg)
	if n := res.Count(OutcomeFailed); n != 0 {
		t.Errorf("%d failed steps", n)
	}
	if len(inj.Events()) != 4 {
		t.Errorf("faults = %v", inj.Events())
	}
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Errorf("not converged: %v", actions(p))
	}
}

// #12.1: inside IAM's window where a new account is listed but its policy
// (and its delete) still answer 404, teardown waits it out and deletes
// every account; it never reports an account it left as destroyed.
func TestTeardownWaitsOutVisibility(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	e.setup(t, cfg)
	inj.Add(faultinject.Fault{Method: "POST", Path: saPolicyGet, Nth: 1, Times: 3, Status: 404})
	inj.Add(faultinject.Fault{Method: "DELETE", Path: saPath, Nth: 1, Times: 2, Status: 404})
	p, _ := e.teardown(t, cfg)
	if n := p.Counts().Destroy; n < 3 {
		t.Errorf("teardown plans %d deletions, want the 3 accounts at least: %v", n, actions(p))
	}
	for _, u := range []string{"alice@acme.com", "bob@acme.com"} {
		id, _ := cfg.IdentityFor(u)
		if _, err := e.client.GetServiceAccount(context.Background(), id.Email); err == nil {
			t.Errorf("%s survived teardown", id.Email)
		}
	}
	if _, err := e.client.GetServiceAccount(context.Background(), cfg.AdminEmail()); err == nil {
		t.Error("the admin SA survived teardown")
	}
}

// #12.1: an account that stays listed but 404s past the budget fails the
// teardown (no exit 0).
func TestTeardownUnconfirmedDeletionFails(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com")
	e.setup(t, cfg)
	p, err := e.eng.PlanTeardown(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	inj.Add(faultinject.Fault{Method: "DELETE", Path: saPath, Rate: 1, Status: 404})
	_, err = e.eng.Apply(context.Background(), p)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Failed == 0 {
		t.Fatalf("err = %v, want failed deletions", err)
	}
	if want := "could not confirm the deletion"; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// #12.6: Ctrl-C while requests are in flight: they may have been applied,
// and the run says so (and how to converge) instead of "context canceled".
func TestInterruptedApplySaysMayHaveBeenApplied(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newEnv(t, emulator.Options{Hook: func(route string, r *http.Request) {
		if route == "iam.projects.serviceAccounts.create" {
			cancel() // the request has arrived (and will be applied)
		}
	}})
	cfg := testConfig(t, "alice@acme.com")
	p, err := e.eng.PlanSetup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.eng.Apply(ctx, p)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want it to unwrap to context.Canceled (exit 130)", err)
	}
	if want := "may have been applied; re-run setup to converge"; !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "context canceled") {
		t.Errorf("err = %q, want %q and no bare 'context canceled'", err, want)
	}
	n := 0
	for _, o := range res.Outcomes {
		if o.Status == OutcomeFailed {
			n++
			if o.Error != "interrupted: may have been applied; re-run setup to converge" {
				t.Errorf("%s: error %q", o.Address, o.Error)
			}
		}
	}
	if n == 0 {
		t.Error("no change was cut short")
	}
	// A re-run converges.
	e.setup(t, cfg)
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Errorf("not converged: %v", actions(p))
	}
}

func auditSinkSpec(t *testing.T) audit.SinkSpec {
	t.Helper()
	cfg := sinkConfig(t, "US", "alice@acme.com")
	s, err := desiredSink(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return *s
}

// #12.4: `audit sink create` survives one 503 on every dataset and sink call.
func TestAuditSinkSurvivesA503OnEveryCall(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	for _, f := range []faultinject.Fault{
		{Method: "GET", Path: `/datasets/audit_logs$`}, {Method: "GET", Path: `/sinks/[^/]+$`},
		{Method: "POST", Path: `/datasets$`}, {Method: "POST", Path: `/sinks$`}, {Method: "PATCH", Path: `/datasets/audit_logs$`},
	} {
		f.Nth, f.Status = 1, 503
		inj.Add(f)
	}
	ctx := context.Background()
	spec := auditSinkSpec(t)
	p, err := e.eng.PlanAuditSink(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := len(inj.Events()); n != 5 {
		t.Errorf("%d faults fired, want 5: %v", n, inj.Events())
	}
	if p, err := e.eng.PlanAuditSink(ctx, spec); err != nil || p.HasChanges() {
		t.Errorf("not converged: %v, %v", err, actions(p))
	}
}

// #12.4: a sink made whose WRITER grant cannot be written is reported as
// broken, and the next run's plan says so and completes it.
func TestHalfMadeAuditSinkIsReportedAndCompleted(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	inj.Add(faultinject.Fault{Method: "PATCH", Path: `/datasets/audit_logs$`, Rate: 1, Status: 503})
	ctx := context.Background()
	spec := auditSinkSpec(t)
	p, err := e.eng.PlanAuditSink(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.eng.Apply(ctx, p)
	if err == nil || !strings.Contains(err.Error(), "is BROKEN") || !strings.Contains(err.Error(), "exports nothing") || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("err = %v, want the sink reported broken, saying how long it tried", err)
	}
	inj.Clear()
	p, err = e.eng.PlanAuditSink(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Change(accessAddr)
	if c == nil || c.Action != ActionCreate || !strings.Contains(c.Reason, "drops the audit trail") || p.Change(sinkAddr).Action != ActionNoop {
		t.Fatalf("re-plan: access %+v; plan %v", c, actions(p))
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if ds := e.dataset(t); !hasEntry(ds, "WRITER "+sinkWriter) {
		t.Errorf("access after completion: %v", accessEntries(ds))
	}
}

// A wif teardown whose pool and provider deletes were applied but their
// answers lost: the retries meet "already deleted", which is success.
func TestWIFTeardownSurvivesDeletesAppliedButUnanswered(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{OperationPolls: -1})
	cfg := wifConfig(t, nil)
	e.setup(t, cfg)
	inj.Add(faultinject.Fault{Method: "DELETE", Path: `/workloadIdentityPools/[^/]+$`, Nth: 1, Reset: true, AfterApply: true})
	inj.Add(faultinject.Fault{Method: "DELETE", Path: `/providers/[^/]+$`, Nth: 1, Status: 503, AfterApply: true})
	e.teardown(t, cfg)
	if len(inj.Events()) != 2 {
		t.Errorf("faults = %v", inj.Events())
	}
	p, err := e.eng.PlanTeardown(context.Background(), cfg)
	if err != nil || p.HasChanges() {
		t.Errorf("leftovers: %v, %v", err, actions(p))
	}
}
