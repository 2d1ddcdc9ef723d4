package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

// SandboxProject is the emulated project --sandbox talks to by default.
const SandboxProject = "demo-project"

// Environment variables fedctl reads (SPEC §2, §4).
const (
	EnvAPIEndpoint = "FEDCTL_API_ENDPOINT"
	EnvAccessToken = "FEDCTL_ACCESS_TOKEN"
)

// GlobalOptions are the values of the root command's persistent flags
// (SPEC §2). cmd binds the flags straight into Factory.Globals.
type GlobalOptions struct {
	Project                   string
	Output                    OutputFormat
	NoColor                   bool
	Quiet                     bool
	Verbose                   bool
	APIEndpoint               string
	Sandbox                   bool
	ImpersonateServiceAccount string
}

// SandboxStarter starts the in-process emulator for --sandbox and returns
// where it listens (a §4 endpoint root), the operator's bearer token, and a
// stop function that shuts it down and persists its state.
type SandboxStarter func(ctx context.Context) (endpoint, token string, stop func() error, err error)

// Factory gives commands what they share. Everything expensive (the GCP
// client, the sandbox) is built on first use, so `fedctl --help` and
// `fedctl version` touch neither credentials nor the network.
type Factory struct {
	IOStreams *iostreams.IOStreams
	Globals   GlobalOptions
	// Version is fedctl's version, for the User-Agent.
	Version string
	// Getenv reads the environment; nil means os.Getenv. Tests inject a map.
	Getenv func(string) string
	// SandboxStarter is set by cmd when the emulator is linked in; GCP()
	// calls it once when --sandbox is given.
	SandboxStarter SandboxStarter

	mu          sync.Mutex
	client      *gcp.Client
	sandboxURL  string
	sandboxTok  string
	sandboxStop func() error
}

// NewFactory returns a Factory over ios.
func NewFactory(ios *iostreams.IOStreams, version string) *Factory {
	return &Factory{IOStreams: ios, Version: version}
}

func (f *Factory) getenv(k string) string {
	if f.Getenv != nil {
		return f.Getenv(k)
	}
	return os.Getenv(k)
}

// Output is the validated --output format (text when unset).
func (f *Factory) Output() OutputFormat {
	if f.Globals.Output == "" {
		return OutputText
	}
	return f.Globals.Output
}

// Project resolves the project ID (SPEC §2): --project, then
// CLOUDSDK_CORE_PROJECT, then GOOGLE_CLOUD_PROJECT, then core/project of the
// active gcloud configuration. With none, it is a FlagError naming --project.
//
// With --sandbox only --project counts, else SandboxProject: ambient
// settings name real projects that do not exist in the emulator.
func (f *Factory) Project() (string, error) {
	if p := strings.TrimSpace(f.Globals.Project); p != "" {
		if f.Globals.Sandbox && p != SandboxProject {
			// The emulator would answer 403 like Google for a project the
			// caller cannot see; say plainly why instead.
			return "", FlagErrorf("the sandbox has one project, %s: drop --project %s (or pass --project %s)", SandboxProject, p, SandboxProject)
		}
		return p, nil
	}
	if f.Globals.Sandbox {
		return SandboxProject, nil
	}
	for _, k := range []string{"CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"} {
		if p := strings.TrimSpace(f.getenv(k)); p != "" {
			return p, nil
		}
	}
	if p := gcloudProject(f.getenv); p != "" {
		return p, nil
	}
	return "", FlagErrorf("no project: pass --project, set CLOUDSDK_CORE_PROJECT or GOOGLE_CLOUD_PROJECT, or run `gcloud config set project PROJECT_ID`")
}

// newGCPClient is gcp.New, a variable so tests can see the Config GCP builds.
var newGCPClient func(ctx context.Context, cfg gcp.Config) (*gcp.Client, error)

// GCP returns the client for every Google call, built once. With --sandbox
// it first starts the emulator (once) and talks to it; otherwise the §4
// endpoint override comes from --api-endpoint or FEDCTL_API_ENDPOINT, and
// without one gcp.New uses Application Default Credentials.
func (f *Factory) GCP(ctx context.Context) (*gcp.Client, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.client != nil {
		return f.client, nil
	}
	cfg, err := f.gcpConfig(ctx)
	if err != nil {
		return nil, err
	}
	if newGCPClient == nil {
		return nil, errors.New("internal error: gcp client constructor not linked")
	}
	c, err := newGCPClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	f.client = c
	return c, nil
}

// SetGCP injects the client GCP returns (tests, and callers that built one
// already), as cli/cli's factory injects its HTTP client: a command's run
// then needs neither flags nor credentials to be tested.
func (f *Factory) SetGCP(c *gcp.Client) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.client = c
}

// gcpConfig builds the gcp.Config from the global flags and environment.
// Called with f.mu held.
func (f *Factory) gcpConfig(ctx context.Context) (gcp.Config, error) {
	cfg := gcp.Config{
		ImpersonateServiceAccount: f.Globals.ImpersonateServiceAccount,
		UserAgent:                 "fedctl/" + f.versionOrDev(),
	}
	if f.Globals.Verbose {
		cfg.Trace = f.IOStreams.ErrOut
	}
	if f.Globals.Sandbox {
		if err := f.startSandbox(ctx); err != nil {
			return gcp.Config{}, err
		}
		cfg.Endpoint, cfg.AccessToken = f.sandboxURL, f.sandboxTok
		return cfg, nil
	}
	endpoint, source := f.Globals.APIEndpoint, "--api-endpoint"
	if endpoint == "" {
		endpoint, source = f.getenv(EnvAPIEndpoint), EnvAPIEndpoint
	}
	if endpoint == "" {
		return cfg, nil
	}
	ep, err := NormalizeEndpoint(endpoint)
	if err != nil {
		return gcp.Config{}, FlagErrorf("invalid %s: %v", source, err)
	}
	cfg.Endpoint = ep
	cfg.AccessToken = f.getenv(EnvAccessToken)
	return cfg, nil
}

func (f *Factory) startSandbox(ctx context.Context) error {
	if f.sandboxURL != "" {
		return nil
	}
	if f.SandboxStarter == nil {
		return errors.New("--sandbox is not available in this build")
	}
	ep, tok, stop, err := f.SandboxStarter(ctx)
	if err != nil {
		return fmt.Errorf("starting the sandbox: %w", err)
	}
	f.sandboxStop = stop
	if f.sandboxURL, err = NormalizeEndpoint(ep); err != nil {
		return fmt.Errorf("sandbox endpoint: %w", err)
	}
	f.sandboxTok = tok
	return nil
}

// Close releases what the Factory started: it stops the sandbox, which
// persists its state. cmd.Main calls it after the command ran.
func (f *Factory) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	stop := f.sandboxStop
	f.sandboxStop = nil
	if stop == nil {
		return nil
	}
	if err := stop(); err != nil {
		return fmt.Errorf("stopping the sandbox: %w", err)
	}
	return nil
}

func (f *Factory) versionOrDev() string {
	if f.Version == "" {
		return "dev"
	}
	return f.Version
}

// NormalizeEndpoint checks a §4 endpoint root is an absolute http(s) URL
// and gives it the trailing slash the client options need.
func NormalizeEndpoint(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return "", err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL like http://127.0.0.1:8086/", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("%q must not have a query or fragment", s)
	}
	out := u.String()
	if !strings.HasSuffix(out, "/") {
		out += "/"
	}
	return out, nil
}

// Progressf writes a progress line to ErrOut (never stdout, which may carry
// JSON), unless --quiet.
func (f *Factory) Progressf(format string, args ...any) {
	if f.Globals.Quiet {
		return
	}
	fmt.Fprintf(f.IOStreams.ErrOut, format, args...)
}
