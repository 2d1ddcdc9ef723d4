package audit

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/faultinject"
)

func faultEnv(t *testing.T) (*env, *faultinject.Injector) {
	t.Helper()
	var inj *faultinject.Injector
	e := newEnvWrapped(t, emulator.Options{}, func(h http.Handler) http.Handler {
		inj = faultinject.New(h, 1)
		return inj
	}, gcp.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }})
	return e, inj
}

func sinkSpec(t *testing.T) SinkSpec {
	return SinkSpec{Project: testProject, Name: "fedctl-federation-audit", Dataset: "audit_logs", Location: "US",
		Filter: SinkFilter(testProject, impersonationFederation(t, "alice@acme.com"))}
}

// #12.4: one 503 on every dataset and sink call is survived.
func TestSinkCreateSurvivesA503OnEveryCall(t *testing.T) {
	e, inj := faultEnv(t)
	for _, f := range []faultinject.Fault{
		{Method: "GET", Path: `/datasets/audit_logs$`}, {Method: "GET", Path: `/sinks/[^/]+$`},
		{Method: "POST", Path: `/datasets$`}, {Method: "POST", Path: `/sinks$`}, {Method: "PATCH", Path: `/datasets/audit_logs$`},
	} {
		f.Nth, f.Status = 1, 503
		inj.Add(f)
	}
	sk := &Sinks{C: e.c}
	plan, err := sk.Plan(e.ctx, sinkSpec(t))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sk.Apply(e.ctx, plan)
	if err != nil || !res.CreatedSink || !res.GrantedWriter {
		t.Fatalf("apply = %+v, %v", res, err)
	}
	if n := len(inj.Events()); n != 5 {
		t.Errorf("%d faults fired, want 5: %v", n, inj.Events())
	}
}

// #12.4: a sink made whose WRITER grant cannot be written is reported as
// broken, and the next run completes it.
func TestHalfMadeSinkIsReportedAndCompleted(t *testing.T) {
	e, inj := faultEnv(t)
	inj.Add(faultinject.Fault{Method: "PATCH", Path: `/datasets/audit_logs$`, Rate: 1, Status: 503})
	sk := &Sinks{C: e.c}
	spec := sinkSpec(t)
	plan, err := sk.Plan(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	_, err = sk.Apply(e.ctx, plan)
	var broken *BrokenSinkError
	if !errors.As(err, &broken) || !strings.Contains(err.Error(), "exports nothing") || !strings.Contains(err.Error(), "gave up after") {
		t.Fatalf("err = %v, want a BrokenSinkError saying how long it tried", err)
	}

	inj.Clear()
	plan, err = sk.Plan(e.ctx, spec)
	if err != nil || plan.CreateSink || !plan.GrantWriter {
		t.Fatalf("re-plan = %+v, %v: want only the grant", plan, err)
	}
	if steps := plan.Steps(); len(steps) != 1 || !strings.Contains(steps[0], "drops the trail") {
		t.Errorf("steps = %q", steps)
	}
	if res, err := sk.Apply(e.ctx, plan); err != nil || !res.GrantedWriter {
		t.Fatalf("completing apply = %+v, %v", res, err)
	}
}
