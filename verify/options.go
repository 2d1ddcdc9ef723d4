package verify

import (
	"context"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// Defaults for Options.
const (
	DefaultProbeQuery  = "SELECT 1"
	DefaultWait        = 2 * time.Minute
	DefaultConcurrency = 16
	// DefaultLifetime is the session token's lifetime: Google's default for
	// generateAccessToken, and what a gateway asks for.
	DefaultLifetime = time.Hour
)

// Options say what to verify and how.
type Options struct {
	// Users to verify (emails). Empty: project checks only. Callers expand
	// --all to cfg.Users().
	Users []string
	// AdminKey is the admin SA's key file JSON (--admin-key-file): verify
	// then mints as the admin directly, as a gateway does. Without it,
	// verify mints keylessly through a delegation chain from the operator.
	AdminKey []byte
	// AdminKeyFile is where AdminKey came from, for messages.
	AdminKeyFile string
	// ProbeQuery is the BigQuery probe (default SELECT 1).
	ProbeQuery string
	// ProbeTimeout bounds one probe query (default gcp.DefaultRetry's
	// budget): the BigQuery client retries a 5xx on its own until its
	// context ends, so without a bound a BigQuery that keeps failing would
	// hang verify; past it the probe is "could not check".
	ProbeTimeout time.Duration
	// Wait bounds the retries of a 403 that is only IAM propagation
	// (default 2m; negative: no retries).
	Wait time.Duration
	// Concurrency bounds how many users are verified at once (default 16).
	Concurrency int
	// Lifetime of the minted session token (default 1h).
	Lifetime time.Duration
	// ShowToken puts the minted tokens into the report (--show-token).
	ShowToken bool
	// Sleep waits between retries; nil sleeps for real (honouring ctx).
	// Tests inject one that advances a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock for token TTLs (default time.Now).
	Now func() time.Time
	// SetupCommand is the fedctl command that (re)applies this
	// configuration, used in fixes ("fedctl setup --config federation.yaml").
	// Empty: derived from the configuration.
	SetupCommand string
	// Invocation is how fedctl was run (--sandbox, --config, the
	// federation flags): every fedctl command in a fix repeats it, so that
	// the fix works when pasted.
	Invocation fixhint.Invocation
	// Preflight are the per-user problems config.Validate found (illegal or
	// colliding SA IDs, Problem.User set): they become those users'
	// template rows instead of stopping the whole run.
	Preflight []config.Problem
	// SubjectToken is a JWT from the workload's IdP (wif: --subject-token-file):
	// its claims are evaluated locally, then it is exchanged live (STS →
	// impersonation → probe). Never shown.
	SubjectToken string
	// Claims are a token's claims without the token (wif: --claims FILE):
	// local evaluation only.
	Claims map[string]any
	// SubjectTokenSource names where the token or claims came from (rows'
	// subject).
	SubjectTokenSource string
	// OAuth, in oauth mode with a client file, runs each user's consent
	// flow (SPEC §7.5); nil: the data roles only.
	OAuth *OAuthOptions
	// Progress, when set, hears about long waits (IAM propagation), for a
	// line on stderr.
	Progress func(format string, args ...any)
}

func (o Options) withDefaults() Options {
	if o.ProbeQuery == "" {
		o.ProbeQuery = DefaultProbeQuery
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = gcp.DefaultRetry.Budget
	}
	if o.Wait == 0 {
		o.Wait = DefaultWait
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Lifetime <= 0 {
		o.Lifetime = DefaultLifetime
	}
	if o.Sleep == nil {
		o.Sleep = gcp.Sleep
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}
