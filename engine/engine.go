package engine

import (
	"context"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// DefaultConcurrency bounds parallel API calls when Options.Concurrency is
// zero (SPEC §2 --concurrency).
const DefaultConcurrency = 16

// Options tune an Engine.
type Options struct {
	// Concurrency bounds the API calls in flight (default 16).
	Concurrency int
	// Consistency is the backoff for IAM's eventual consistency: a service
	// account created in this run that still answers 404, or "does not
	// exist" when bound. Zero fields take ConsistencyRetry's values; tests
	// inject Sleep so that they never wait for real.
	Consistency gcp.RetryPolicy
	// Now is the clock for elapsed times (default time.Now).
	Now func() time.Time
	// Progress receives step events during Apply (nil: none). Calls are
	// serialised; the handler must not block for long.
	Progress func(Event)
}

// ConsistencyRetry is the default backoff for eventual consistency:
// jittered from 500ms doubling to 10s, for up to two minutes — twice what
// Google documents for a new service account to become usable ("about a
// minute"; gcp-wire §10.3).
var ConsistencyRetry = gcp.RetryPolicy{Budget: 2 * time.Minute, Initial: 500 * time.Millisecond, Max: 10 * time.Second}

// Engine plans and applies fedctl's resources through one gcp.Client.
type Engine struct {
	c    *gcp.Client
	opts Options
	sem  *semaphore.Weighted

	progressMu sync.Mutex
}

// New returns an Engine over c.
func New(c *gcp.Client, opts Options) *Engine {
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	r := opts.Consistency
	if r.Budget <= 0 {
		r.Budget = ConsistencyRetry.Budget
	}
	if r.Initial <= 0 {
		r.Initial = ConsistencyRetry.Initial
	}
	if r.Max <= 0 {
		r.Max = ConsistencyRetry.Max
	}
	opts.Consistency = r
	return &Engine{c: c, opts: opts, sem: semaphore.NewWeighted(int64(opts.Concurrency))}
}

// PlanSetup reads the live state and returns what setup would change for
// cfg (which must have passed preflight). It writes nothing.
func (e *Engine) PlanSetup(ctx context.Context, cfg *config.Config) (*Plan, error) {
	sink, err := desiredSink(cfg)
	if err != nil {
		return nil, err
	}
	d, live, err := e.read(ctx, func(n string) (*Desired, error) { return NewDesired(cfg, n) }, cfg.Project, withSinkAPI(cfg.RequiredAPIs(), sink), sink, prepareSetup)
	if err != nil {
		return nil, e.readDenied(ctx, cfg, err)
	}
	if err := checkOwnership(d, live); err != nil {
		return nil, err
	}
	if err := e.checkHoopTokenTTL(ctx, d); err != nil {
		return nil, err
	}
	p := diffSetup(d, live)
	if err := e.planBundle(ctx, p); err != nil {
		return nil, err
	}
	// Preflight (SPEC §7.3): after the live read, before any write.
	e.preflight(ctx, cfg, p)
	return p, nil
}

// PlanTeardown reads the live state and returns what teardown would remove
// for cfg: exactly what setup adds, in reverse order. It writes nothing.
func (e *Engine) PlanTeardown(ctx context.Context, cfg *config.Config) (*Plan, error) {
	sink, err := desiredSink(cfg)
	if err != nil {
		return nil, err
	}
	d, live, err := e.read(ctx, func(n string) (*Desired, error) { return NewDesired(cfg, n) }, cfg.Project, nil, sink, prepareTeardown)
	if err != nil {
		return nil, err
	}
	p := diffTeardown(d, live)
	if err := e.planBundleTeardown(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

// call runs one API operation under the concurrency bound.
func (e *Engine) call(ctx context.Context, fn func() error) error {
	if err := e.sem.Acquire(ctx, 1); err != nil {
		return err
	}
	defer e.sem.Release(1)
	return fn()
}

func (e *Engine) emit(ev Event) {
	if e.opts.Progress == nil {
		return
	}
	e.progressMu.Lock()
	defer e.progressMu.Unlock()
	e.opts.Progress(ev)
}
