package wizard

import (
	"context"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// Backend is every call the screens make to the outside world. The real one
// (NewBackend) is a thin adapter over the gcp client, the engine and verify:
// the wizard plans, applies and verifies exactly as `fedctl setup --yes`.
type Backend interface {
	// Project reads the project's identity and whether each of apis is on.
	Project(ctx context.Context, project string, apis []string) (*ProjectInfo, error)
	// Plan is engine.PlanSetup: the live state diffed against cfg. No writes.
	Plan(ctx context.Context, cfg *config.Config) (*engine.Plan, error)
	// Apply is engine.Apply, reporting every step to progress.
	Apply(ctx context.Context, plan *engine.Plan, progress func(engine.Event)) (*engine.Result, error)
	// Verify is verify.Run for users (project checks only when empty).
	Verify(ctx context.Context, cfg *config.Config, users []string) (*verify.Report, error)
}

// ProjectInfo is what the Project screen shows.
type ProjectInfo struct {
	ID     string
	Number string
	Name   string
	// APIs are the services setup enables, in RequiredAPIs order.
	APIs []APIState
}

// APIState is one required API and whether it is on already.
type APIState struct {
	Service string
	Enabled bool
}

// BackendOptions tune NewBackend's engine and verify runs the way the
// scripted path's flags do (and let tests inject clocks and sleeps).
type BackendOptions struct {
	Engine engine.Options // Progress is set per Apply
	Verify verify.Options // Users is set per Verify
	// OAuthBrowser opens the consent page of the oauth mode's sign-in
	// (oauth_verify.go); zero: the URL is only shown.
	OAuthBrowser oauthflow.Browser
}

// NewBackend is the Backend over a real gcp client.
func NewBackend(c *gcp.Client, opts BackendOptions) Backend {
	return &gcpBackend{client: c, opts: opts}
}

type gcpBackend struct {
	client *gcp.Client
	opts   BackendOptions
}

func (b *gcpBackend) Project(ctx context.Context, project string, apis []string) (*ProjectInfo, error) {
	p, err := b.client.GetProject(ctx, project)
	if err != nil {
		return nil, err
	}
	states, err := b.client.ServiceStates(ctx, project, apis)
	if err != nil {
		return nil, err
	}
	info := &ProjectInfo{ID: p.ID, Number: p.Number, Name: p.Name}
	for _, s := range apis {
		info.APIs = append(info.APIs, APIState{Service: s, Enabled: states[s]})
	}
	return info, nil
}

func (b *gcpBackend) Plan(ctx context.Context, cfg *config.Config) (*engine.Plan, error) {
	return engine.New(b.client, b.opts.Engine).PlanSetup(ctx, cfg)
}

func (b *gcpBackend) Apply(ctx context.Context, plan *engine.Plan, progress func(engine.Event)) (*engine.Result, error) {
	opts := b.opts.Engine
	opts.Progress = progress
	return engine.New(b.client, opts).Apply(ctx, plan)
}

func (b *gcpBackend) Verify(ctx context.Context, cfg *config.Config, users []string) (*verify.Report, error) {
	opts := b.opts.Verify
	opts.Users = users
	if opts.Wait == 0 {
		opts.Wait = cfg.Wait
	}
	if opts.Concurrency == 0 {
		opts.Concurrency = cfg.Concurrency
	}
	if opts.OAuth == nil {
		opts.OAuth = oauthVerifyOptions(cfg)
	}
	return verify.Run(ctx, b.client, cfg, opts)
}
