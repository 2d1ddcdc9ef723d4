package engine

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

const testProject = "demo-project"

// sleeps records the waits a retry policy asked for, without waiting; with
// a fake clock, each wait advances it instead.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
	clock *emulator.FakeClock
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if s.clock != nil {
		s.clock.Advance(d)
	}
	return ctx.Err()
}

func (s *sleeps) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.waits)
}

type env struct {
	srv    *emulator.TestServer
	client *gcp.Client
	eng    *Engine
	slept  *sleeps
	events []Event
}

// newEnv starts an emulator and an engine over a real gcp client pointed at
// it; every retry wait is recorded instead of slept.
func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	return newEnvClock(t, opts, nil)
}

// newEnvClock is newEnv with a fake clock that retry waits advance.
func newEnvClock(t *testing.T, opts emulator.Options, clock *emulator.FakeClock) *env {
	t.Helper()
	return newEnvWrapped(t, opts, clock, func(h http.Handler) http.Handler { return h })
}

// newEnvWrapped is newEnvClock with wrap (a fault injector) in front of the
// emulator.
func newEnvWrapped(t *testing.T, opts emulator.Options, clock *emulator.FakeClock, wrap func(http.Handler) http.Handler) *env {
	t.Helper()
	if clock != nil {
		opts.Now = clock.Now
	}
	srv := emulator.NewTestServerWrapped(t, opts, wrap)
	e := &env{srv: srv, slept: &sleeps{clock: clock}}
	e.client = newClient(t, srv, e.slept)
	e.eng = New(e.client, Options{Consistency: gcp.RetryPolicy{Sleep: e.slept.sleep}, Progress: func(ev Event) { e.events = append(e.events, ev) }})
	return e
}

func newClient(t testing.TB, srv *emulator.TestServer, s *sleeps) *gcp.Client {
	t.Helper()
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token, Retry: gcp.RetryPolicy{Sleep: s.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testConfig is a validated impersonation config for users.
func testConfig(t testing.TB, users ...string) *config.Config {
	t.Helper()
	cfg := &config.Config{Project: testProject}
	cfg.SetUsers(users)
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	return cfg
}

func (e *env) setup(t *testing.T, cfg *config.Config) (*Plan, *Result) {
	t.Helper()
	ctx := context.Background()
	p, err := e.eng.PlanSetup(ctx, cfg)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	res, err := e.eng.Apply(ctx, p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return p, res
}

func (e *env) projectPolicy(t *testing.T) *gcp.Policy {
	t.Helper()
	p, err := e.client.ProjectPolicy(testProject).Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func (e *env) saPolicy(t *testing.T, email string) *gcp.Policy {
	t.Helper()
	p, err := e.client.ServiceAccountPolicy(email).Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// plan computes the setup plan.
func (e *env) plan(t *testing.T, cfg *config.Config) *Plan {
	t.Helper()
	p, err := e.eng.PlanSetup(context.Background(), cfg)
	if err != nil {
		t.Fatalf("plan: %v", err)
	}
	return p
}

// teardown plans and applies a teardown.
func (e *env) teardown(t *testing.T, cfg *config.Config) (*Plan, *Result) {
	t.Helper()
	ctx := context.Background()
	p, err := e.eng.PlanTeardown(ctx, cfg)
	if err != nil {
		t.Fatalf("plan teardown: %v", err)
	}
	res, err := e.eng.Apply(ctx, p)
	if err != nil {
		t.Fatalf("apply teardown: %v", err)
	}
	return p, res
}

// modifyProject edits the project policy as another admin would.
func (e *env) modifyProject(t *testing.T, fn func(*gcp.Policy)) {
	t.Helper()
	_, _, err := e.client.ModifyPolicy(context.Background(), e.client.ProjectPolicy(testProject), func(p *gcp.Policy) (bool, error) {
		fn(p)
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func saEmail(id string) string { return id + "@" + testProject + ".iam.gserviceaccount.com" }

// preexistingSA enables the IAM API and creates the service account id as
// someone else would, before fedctl (description desc: "" or a mark).
func (e *env) preexistingSA(t *testing.T, id, display, desc string) {
	t.Helper()
	ctx := context.Background()
	if err := e.client.EnableServices(ctx, testProject, []string{"iam.googleapis.com"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CreateServiceAccount(ctx, testProject, id, display, desc); err != nil {
		t.Fatal(err)
	}
}
