package engine

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// Another admin writes the project policy between fedctl's read and its
// write: fedctl's write carries a stale etag (409), it redoes the
// read-modify-write, and both edits survive.
func TestConcurrentWriterLosesNothing(t *testing.T) {
	var fired atomic.Bool
	var other *gcp.Client
	hookErr := make(chan error, 1)
	srv := emulator.NewTestServer(t, emulator.Options{Hook: func(route string, r *http.Request) {
		if route != "cloudresourcemanager.projects.setIamPolicy" || !fired.CompareAndSwap(false, true) {
			return
		}
		_, _, err := other.ModifyPolicy(context.Background(), other.ProjectPolicy(testProject), func(p *gcp.Policy) (bool, error) {
			return p.AddMember("roles/viewer", "user:carol@acme.com"), nil
		})
		hookErr <- err
	}})
	slept := &sleeps{}
	other = newClient(t, srv, slept)
	e := &env{srv: srv, slept: slept, client: newClient(t, srv, slept)}
	e.eng = New(e.client, Options{Consistency: gcp.RetryPolicy{Sleep: slept.sleep}})

	e.setup(t, testConfig(t, "alice@acme.com"))
	if err := <-hookErr; err != nil {
		t.Fatalf("the concurrent writer failed: %v", err)
	}
	pol := e.projectPolicy(t)
	if !pol.HasMember("roles/viewer", "user:carol@acme.com") {
		t.Error("the concurrent writer's grant was lost")
	}
	if !pol.HasMember("roles/bigquery.user", ServiceAccountMember(saEmail("fedctl-alice"))) {
		t.Error("fedctl's grant was lost")
	}
	if n := e.srv.Stats().ByRoute["cloudresourcemanager.projects.setIamPolicy"]; n != 3 {
		t.Errorf("project setIamPolicy calls = %d, want 3 (ours rejected, theirs, ours again)", n)
	}
}

// A just-created service account is invisible for a while (404 on its
// policy, 400 "does not exist" when bound): setup waits it out with the
// injected backoff — the fake clock moves, nobody sleeps — and converges.
// The IAM propagation delay does not concern setup at all.
func TestVisibilityDelaySurvived(t *testing.T) {
	clock := emulator.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnvClock(t, emulator.Options{VisibilityDelay: 20 * time.Second, PropagationDelay: 2 * time.Minute}, clock)
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	e.setup(t, cfg)

	if e.slept.count() == 0 {
		t.Error("no retry waited: the visibility delay was not exercised")
	}
	pol := e.projectPolicy(t)
	for _, id := range []string{"fedctl-alice", "fedctl-bob"} {
		if !pol.HasMember("roles/bigquery.user", ServiceAccountMember(saEmail(id))) {
			t.Errorf("%s: data role missing", id)
		}
		if !e.saPolicy(t, saEmail(id)).HasMember(RoleTokenCreator, ServiceAccountMember(saEmail("fedctl-admin"))) {
			t.Errorf("%s: Token Creator missing", id)
		}
	}
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Errorf("not converged: %+v", p.Counts())
	}
}

// Past the consistency budget, a service account that never shows up is an
// error, not a hang.
func TestVisibilityRetriesAreBounded(t *testing.T) {
	clock := emulator.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnvClock(t, emulator.Options{VisibilityDelay: time.Hour}, clock)
	_, err := e.eng.Apply(context.Background(), e.plan(t, testConfig(t, "alice@acme.com")))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Failed == 0 {
		t.Fatalf("err = %v, want an ApplyError with failures", err)
	}
	if n := e.slept.count(); n > 4*int(ConsistencyRetry.Budget/ConsistencyRetry.Initial) {
		t.Errorf("%d waits: retries are not bounded", n)
	}
}

// 503 and 429 answers are retried by the gcp layer.
func TestTransientErrorsSurvived(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.srv.InjectFault(emulator.Fault{Route: "iam.projects.serviceAccounts.create", Times: 2, Status: http.StatusServiceUnavailable})
	e.srv.InjectFault(emulator.Fault{Route: "cloudresourcemanager.projects.setIamPolicy", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "1"})
	cfg := testConfig(t, "alice@acme.com")
	e.setup(t, cfg)
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Errorf("not converged: %+v", p.Counts())
	}
}

// Cancelling the context stops launching steps; what was done is reported,
// and a re-run converges.
func TestCancelStopsAndRerunConverges(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	eng := New(e.client, Options{Concurrency: 1, Consistency: gcp.RetryPolicy{Sleep: e.slept.sleep}, Progress: func(ev Event) {
		if ev.Status == StepFinished {
			cancel() // after the first step (enabling the APIs)
		}
	}})
	p, err := eng.PlanSetup(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := eng.Apply(ctx, p)
	var ae *ApplyError
	if !errors.As(err, &ae) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want a cancelled ApplyError", err)
	}
	if o, _ := res.Outcome(`api["iam.googleapis.com"]`); o.Status != OutcomeApplied {
		t.Errorf("the APIs step = %s, want applied", o.Status)
	}
	if o, _ := res.Outcome("iam_policy.project"); o.Status != OutcomeSkipped {
		t.Errorf("the project policy = %s, want skipped", o.Status)
	}
	if ae.Skipped == 0 {
		t.Error("nothing reported as not started")
	}

	e.setup(t, cfg)
	if p := e.plan(t, cfg); p.HasChanges() {
		t.Errorf("re-run did not converge: %+v", p.Counts())
	}
}
