// Package config holds fedctl's federation configuration: the YAML file
// (SPEC §2 "Configuration file"), the flag overlay, users files, identity
// template rendering and the preflight validation that runs before any API
// call. Nothing here talks to Google.
//
// The usual pipeline, as cmd and the wizard run it:
//
//	cfg, err := config.Load(path)     // or &config.Config{} without --config
//	err = cfg.Apply(flags)            // flags override the file when set
//	if cfg.Project == "" { cfg.Project = resolvedProject } // cmdutil's fallback
//	cfg.ApplyDefaults()               // SPEC §1/§2 defaults for empty fields
//	err = cfg.Validate()              // *PreflightError listing every problem
package config

import "time"

// Mode is the federation mode (SPEC §1).
type Mode string

const (
	ModeImpersonation Mode = "impersonation"
	ModeWIF           Mode = "wif"
	ModeOAuth         Mode = "oauth"
)

// Modes lists the valid modes in the order the SPEC gives them.
var Modes = []Mode{ModeImpersonation, ModeWIF, ModeOAuth}

// Grant says where the admin SA receives Token Creator.
type Grant string

const (
	// GrantPerUser is Pattern A: Token Creator on each user SA (default).
	GrantPerUser Grant = "per-user"
	// GrantProject is Pattern B: Token Creator on the whole project.
	GrantProject Grant = "project"
)

// Config is the whole federation configuration. Field tags are the YAML keys
// of SPEC §2; every key is optional in the file (defaults fill the rest).
//
// It never holds a secret: AdminKeyFile and HoopPolicy are *output paths*
// (where setup writes a key / policy), which are as safe to commit as any
// other path, so they are accepted in the file as well as by flag.
type Config struct {
	// Name is the federation's name (SPEC §7.1; --name, default "fedctl"):
	// the resources it creates carry it in their ownership mark.
	Name          string        `yaml:"name,omitempty"`
	Project       string        `yaml:"project,omitempty"`
	Mode          Mode          `yaml:"mode,omitempty"`
	Impersonation Impersonation `yaml:"impersonation,omitempty"`
	WIF           WIF           `yaml:"wif,omitempty"`
	OAuth         OAuth         `yaml:"oauth,omitempty"`
	Audit         Audit         `yaml:"audit,omitempty"`

	// Verifier is an IAM member (user:you@acme.com) granted Token Creator on
	// the admin SA so that it can verify keylessly (--verifier, SPEC §3).
	Verifier string `yaml:"verifier,omitempty"`

	// AdminKeyFile is where setup writes an admin SA key (--admin-key-file).
	AdminKeyFile string `yaml:"admin_key_file,omitempty"`
	// HoopPolicy is where setup writes Hoop's federation policy (--hoop-policy).
	HoopPolicy string `yaml:"hoop_policy,omitempty"`
	// HoopTokenTTL is the policy's token_ttl_seconds (--hoop-token-ttl; 0 =
	// one hour). Over an hour needs the user SAs listed in the org policy
	// constraints/iam.allowServiceAccountCredentialLifetimeExtension.
	HoopTokenTTL time.Duration `yaml:"hoop_token_ttl,omitempty"`
	// Concurrency bounds parallel API calls (--concurrency; 0 = default).
	Concurrency int `yaml:"concurrency,omitempty"`
	// Wait is how long to wait for IAM propagation (--wait; 0 = default).
	Wait time.Duration `yaml:"wait,omitempty"`

	// MixedCaseUsers are the users as typed where that was not lowercase
	// (fedctl lowercases them; Hoop keeps an email's case as typed, so its
	// {user.email} would render a different, illegal SA name). Never written.
	MixedCaseUsers []string `yaml:"-"`

	// Preflight tunes the checks against Google's limits (SPEC §7.3). Flags
	// only (--sa-quota, --allow-privileged-roles, --data-role-bundle):
	// never written to YAML.
	Preflight Preflight `yaml:"-"`

	// Notes are informational messages produced while loading and applying
	// flags (e.g. duplicate users dropped). Never written to YAML.
	Notes []string `yaml:"-"`

	// source names the file the config came from, for messages.
	source string
}

// --dry-run and --yes are deliberately not configuration keys: they are
// per-invocation decisions, and a committed "yes: true" would turn every
// run of the file into an unattended apply.

// Preflight are the per-invocation settings of the preflight checks.
type Preflight struct {
	// SAQuota is the project's service-account quota when raised above
	// Google's default of 100 (0: the default).
	SAQuota int
	// AllowPrivilegedRoles accepts data roles that grant more than data
	// access (owner, editor, *.admin, Token Creator, ...).
	AllowPrivilegedRoles bool
	// DataRoleBundle, when set, is the ID of a project custom role holding
	// the union of the data roles' permissions, bound once per identity
	// instead of each role.
	DataRoleBundle string
}

// Impersonation is the impersonation (Hoop gcp_iam) section.
type Impersonation struct {
	// AdminServiceAccount is the admin SA's account ID (not its email).
	AdminServiceAccount string `yaml:"admin_service_account,omitempty"`
	// IdentityTemplate renders each user's SA email; see RenderIdentity.
	// A template without {user.email} names one shared SA for all users.
	IdentityTemplate string   `yaml:"identity_template,omitempty"`
	Grant            Grant    `yaml:"grant,omitempty"`
	Users            []string `yaml:"users,omitempty,flow"`
	Roles            []string `yaml:"roles,omitempty,flow"`
}

// WIF is the Workload Identity Federation section.
type WIF struct {
	Pool     Pool     `yaml:"pool,omitempty"`
	Provider Provider `yaml:"provider,omitempty"`
	// ServiceAccount is the target SA's account ID (--target-sa).
	ServiceAccount string `yaml:"service_account,omitempty"`
	// PrincipalSet scopes who may impersonate the target SA, relative to the
	// pool: "attribute.NAME/VALUE", "group/GROUP" or "*" (whole pool, refused
	// by the engine unless forced; see WIF.Wildcard).
	PrincipalSet string `yaml:"principal_set,omitempty"`
	// Principal is the single-subject alternative to PrincipalSet:
	// "subject/SUB" or the full principal://…/subject/SUB member.
	Principal string `yaml:"principal,omitempty"`
	// Direct grants the data roles to the federated principal itself
	// instead of through a target SA (ServiceAccount is then unused).
	Direct bool `yaml:"direct,omitempty"`
	// Preset names the wizard preset the section came from (gumloop,
	// github, …); informational only.
	Preset string   `yaml:"preset,omitempty"`
	Roles  []string `yaml:"roles,omitempty,flow"`
}

// Pool is a workload identity pool.
type Pool struct {
	ID          string `yaml:"id,omitempty"`
	DisplayName string `yaml:"display_name,omitempty"`
}

// Provider is an OIDC workload identity pool provider.
type Provider struct {
	ID                 string            `yaml:"id,omitempty"`
	IssuerURI          string            `yaml:"issuer_uri,omitempty"`
	AttributeMapping   map[string]string `yaml:"attribute_mapping,omitempty"`
	AttributeCondition string            `yaml:"attribute_condition,omitempty"`
	AllowedAudiences   []string          `yaml:"allowed_audiences,omitempty,flow"`
	// JWKSJSON is an inline JWKS for issuers whose keys are not published
	// (public keys only; not a secret).
	JWKSJSON string `yaml:"jwks_json,omitempty"`
}

// OAuth is the oauth (Hoop gcp_oauth) section.
type OAuth struct {
	// ClientFile is the OAuth client's JSON (--oauth-client): Hoop's
	// {client_id, client_secret} or Google's {"web"|"installed": …}
	// download. A path, like admin_key_file: the secret stays in the file.
	ClientFile string   `yaml:"client_file,omitempty"`
	Users      []string `yaml:"users,omitempty,flow"`
	Roles      []string `yaml:"roles,omitempty,flow"`
}

// Audit is the audit section.
type Audit struct {
	// DataAccessLogs also enables the Data Access logs (--data-access-logs).
	DataAccessLogs bool `yaml:"data_access_logs,omitempty"`
	Sink           Sink `yaml:"sink,omitempty"`
}

// Sink is the audit log sink (audit sink create).
type Sink struct {
	Name     string `yaml:"name,omitempty"`
	Dataset  string `yaml:"dataset,omitempty"`
	Location string `yaml:"location,omitempty"`
}

// IsZero reports whether no sink field is set (so none is wanted).
func (s Sink) IsZero() bool { return s == Sink{} }

// Users returns the users of the active mode (nil in wif mode).
func (c *Config) Users() []string {
	switch c.effectiveMode() {
	case ModeImpersonation:
		return c.Impersonation.Users
	case ModeOAuth:
		return c.OAuth.Users
	}
	return nil
}

// SetUsers replaces the users of the active mode (ignored in wif mode).
func (c *Config) SetUsers(users []string) {
	switch c.effectiveMode() {
	case ModeImpersonation:
		c.Impersonation.Users = users
	case ModeOAuth:
		c.OAuth.Users = users
	}
}

// Roles returns the data roles of the active mode.
func (c *Config) Roles() []string {
	switch c.effectiveMode() {
	case ModeImpersonation:
		return c.Impersonation.Roles
	case ModeWIF:
		return c.WIF.Roles
	case ModeOAuth:
		return c.OAuth.Roles
	}
	return nil
}

// SetRoles replaces the data roles of the active mode.
func (c *Config) SetRoles(roles []string) {
	switch c.effectiveMode() {
	case ModeImpersonation:
		c.Impersonation.Roles = roles
	case ModeWIF:
		c.WIF.Roles = roles
	case ModeOAuth:
		c.OAuth.Roles = roles
	}
}

// effectiveMode is the mode with the default applied, so accessors work
// before ApplyDefaults.
func (c *Config) effectiveMode() Mode {
	if c.Mode == "" {
		return DefaultMode
	}
	return c.Mode
}

// Source is the file the configuration was loaded from ("" if none).
func (c *Config) Source() string { return c.source }

// FederationName is the federation's name, the default when unset.
func (c *Config) FederationName() string {
	if c.Name == "" {
		return DefaultName
	}
	return c.Name
}
