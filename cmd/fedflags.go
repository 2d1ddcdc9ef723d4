package cmd

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/wif"
)

// fedScope says which of the shared federation flags a command takes (SPEC
// §2: "the same names in plan, teardown and verify where they apply").
type fedScope int

const (
	// fedIdentity: what names the identities — --config, --mode, users,
	// admin SA, template, grant, roles, the wif pool/provider/target flags,
	// --verifier, --concurrency, --wait. Every federation command has these.
	fedIdentity fedScope = 1 << iota
	// fedOutputs: what setup writes or turns on besides identities —
	// --data-access-logs, --admin-key-file, --hoop-policy.
	fedOutputs
	// fedKeyFile: --admin-key-file alone (verify mints with it as a gateway
	// does).
	fedKeyFile
	// fedSink: --sink, the audit log sink (setup makes it, teardown
	// deletes it).
	fedSink

	fedSetup    = fedIdentity | fedOutputs | fedKeyFile | fedSink
	fedTeardown = fedIdentity | fedSink
	fedVerify   = fedIdentity | fedKeyFile
)

// fedFlags holds the shared federation flags of setup, plan, teardown and
// verify. Each is also a key of the configuration file, which they
// override when given.
type fedFlags struct {
	configFile string
	name       string

	mode, usersFile, adminSA, template, grant string
	users, roles                              string

	pool, provider, issuerURI, attributeMapping, attributeCondition string
	allowedAudiences, targetSA, principalSet                        string

	// wif extras (flags only: per-invocation decisions or file inputs).
	preset, presetValues, principal, jwksFile string
	direct                                    bool
	allowUnconditioned, allowWildcard         bool
	credConfig, credSource                    string
	workflow                                  string
	hoopTokenTTL                              time.Duration

	dataAccessLogs           bool
	verifier                 string
	adminKeyFile, hoopPolicy string
	oauthClient              string
	sink                     string
	concurrency              int
	wait                     time.Duration

	pre preflightFlags // preflight_flags.go
}

// addFedFlags registers the flags of scope on cmd.
func addFedFlags(cmd *cobra.Command, ff *fedFlags, scope fedScope) {
	fl := cmd.Flags()
	fl.StringVar(&ff.configFile, "config", "", "Federation configuration `FILE` (YAML, SPEC §2); flags override it")
	fl.StringVar(&ff.name, "name", "", "Federation `NAME` that owns what setup creates (default fedctl; 1–30 of a-z, 0-9, '-')")
	fl.StringVar(&ff.mode, "mode", "", "Federation mode: impersonation, wif or oauth (default impersonation)")
	fl.StringVar(&ff.users, "users", "", "Identities, comma-separated (`a@x.com,b@x.com`)")
	fl.StringVar(&ff.usersFile, "users-file", "", "Identities from a `FILE`, one email a line, # comments")
	fl.StringVar(&ff.adminSA, "admin-sa", "", "Admin service account `ID` (default fedctl-admin)")
	fl.StringVar(&ff.template, "template", "", "Identity template (default fedctl-{user.email}@{project}.iam.gserviceaccount.com)")
	fl.StringVar(&ff.grant, "grant", "", "Where the admin gets Token Creator: per-user (Pattern A, default) or project (Pattern B)")
	fl.StringVar(&ff.roles, "roles", "", "Data roles, comma-separated (default roles/bigquery.user,roles/bigquery.dataViewer)")
	fl.StringVar(&ff.pool, "pool", "", "wif: workload identity pool `ID`")
	fl.StringVar(&ff.provider, "provider", "", "wif: OIDC provider `ID`")
	fl.StringVar(&ff.issuerURI, "issuer-uri", "", "wif: the OIDC issuer `URL`")
	fl.StringVar(&ff.attributeMapping, "attribute-mapping", "", "wif: attribute mapping `k=v,...`")
	fl.StringVar(&ff.attributeCondition, "attribute-condition", "", "wif: attribute condition (`CEL`)")
	fl.StringVar(&ff.allowedAudiences, "allowed-audiences", "", "wif: allowed audiences, comma-separated")
	fl.StringVar(&ff.targetSA, "target-sa", "", "wif: target service account `ID`")
	fl.StringVar(&ff.principalSet, "principal-set", "", "wif: who may impersonate the target SA (`attribute.NAME/VALUE`)")
	fl.StringVar(&ff.preset, "preset", "", "wif: fill issuer, mapping and a tenant-pinning condition for `NAME` ("+strings.Join(wif.PresetNames(), ", ")+")")
	fl.StringVar(&ff.presetValues, "preset-values", "", "wif: the preset's tenant values, `k=v,...` (e.g. repository_owner_id=123,repository=acme/app)")
	fl.StringVar(&ff.principal, "principal", "", "wif: one federated subject may impersonate the target SA (`subject/SUB`) instead of a principal set")
	fl.BoolVar(&ff.direct, "direct", false, "wif: no target SA; grant the data roles to the principal set itself")
	fl.StringVar(&ff.jwksFile, "jwks-file", "", "wif: the issuer's public keys (JWKS JSON `FILE`) for issuers that do not publish them")
	fl.StringVar(&ff.oauthClient, "oauth-client", "", "oauth: the OAuth client `FILE` (Hoop's {client_id, client_secret} or Google's downloaded JSON); never printed")
	fl.StringVar(&ff.verifier, "verifier", "", "Let `MEMBER` (e.g. user:you@acme.com) verify keylessly: Token Creator on the admin SA")
	fl.IntVar(&ff.concurrency, "concurrency", 0, "Parallel API calls (default 16)")
	fl.DurationVar(&ff.wait, "wait", 0, "How long to wait for IAM propagation")
	if scope&fedOutputs != 0 {
		fl.BoolVar(&ff.allowUnconditioned, "allow-unconditioned", false, "wif: accept a provider without an attribute condition (any token of the issuer passes)")
		fl.BoolVar(&ff.allowWildcard, "allow-wildcard", false, "wif: accept the whole pool (principalSet …/*) as who may impersonate")
		fl.StringVar(&ff.credConfig, "cred-config", "", "wif: write an external_account credential configuration to `FILE` (as gcloud create-cred-config)")
		fl.StringVar(&ff.credSource, "credential-source", "", "wif: where the workload reads its OIDC token, a file `PATH` or an http(s) URL (for --cred-config)")
		fl.StringVar(&ff.workflow, "workflow", "", "wif with GitHub's issuer (--preset github): write a minimal GitHub Actions workflow to `FILE`")
		fl.BoolVar(&ff.dataAccessLogs, "data-access-logs", false, "Also enable the Data Access audit logs of IAM and BigQuery")
		fl.StringVar(&ff.hoopPolicy, "hoop-policy", "", "Write Hoop's federation policy (gcp_iam, or gcp_oauth in oauth mode) to `FILE`")
		fl.DurationVar(&ff.hoopTokenTTL, "hoop-token-ttl", 0, "token_ttl_seconds of the Hoop policy (default 1h; over 1h needs the user SAs in the lifetime-extension org policy)")
	}
	if scope&fedSink != 0 {
		fl.StringVar(&ff.sink, "sink", "", sinkFlagUsage)
	}
	addPreflightFlags(fl, &ff.pre, scope)
	if scope&fedKeyFile != 0 {
		fl.StringVar(&ff.adminKeyFile, "admin-key-file", "", "Admin service account key `FILE` (setup writes it, mode 0600, never overwriting)")
	}
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"impersonation", "wif", "oauth"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("preset", cobra.FixedCompletions(wif.PresetNames(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("grant", cobra.FixedCompletions([]string{"per-user", "project"}, cobra.ShellCompDirectiveNoFileComp))
}

// loadOptions say how lenient loadFedConfig is; setup, plan and teardown
// use the zero value (every preflight problem is a usage error).
type loadOptions struct {
	// prefill: the configuration only prefills the wizard, whose screens
	// ask for what is missing and validate each answer: no preflight, and a
	// preset still missing its tenant values is not an error (the wif
	// Provider screen asks for them).
	prefill bool
	// perUser (verify, token): the identities to check may come from
	// --user alone, so a configuration without users is fine; and a user
	// whose SA ID the template cannot render is a failing row of the table,
	// not a usage error that stops every other user's check, so such
	// problems are returned instead. Every other preflight problem is still
	// a usage error.
	perUser bool
	// usersOptional (teardown): a configuration without users is fine —
	// teardown finds what the federation owns by its marks.
	usersOptional bool
}

// loadConfig is loadFedConfig with the full preflight: setup's scripted
// path, plan and teardown.
func loadConfig(cmd *cobra.Command, f *cmdutil.Factory, ff *fedFlags) (*config.Config, error) {
	cfg, _, err := loadFedConfig(cmd, f, ff, loadOptions{})
	return cfg, err
}

// loadFedConfig builds the federation configuration of a command: --config
// FILE, then the flags that were given (the wif ones and the preset
// through applyWIF, --sink through applySink), then the factory's project when neither named one,
// then the defaults; and runs the preflight as o says. Every failure is a
// usage error (exit 2) and happens before any API call — the gcp client
// is not even built. The problems returned are perUser's.
func loadFedConfig(cmd *cobra.Command, f *cmdutil.Factory, ff *fedFlags, o loadOptions) (*config.Config, []config.Problem, error) {
	if err := checkFlagConflicts(cmd.Flags()); err != nil {
		return nil, nil, err
	}
	cfg := &config.Config{}
	if ff.configFile != "" {
		var err error
		if cfg, err = config.Load(ff.configFile); err != nil {
			return nil, nil, cmdutil.FlagErrorWrap(err)
		}
	}
	ov, err := ff.overlay(cmd.Flags(), f)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.Apply(ov); err != nil {
		return nil, nil, cmdutil.FlagErrorWrap(err)
	}
	if err := ff.applyWIF(cmd.Flags(), cfg); err != nil {
		var mp *wif.MissingParamsError
		if !o.prefill || !errors.As(err, &mp) {
			return nil, nil, cmdutil.FlagErrorWrap(err)
		}
	}
	if err := ff.applySink(cmd.Flags(), cfg); err != nil {
		return nil, nil, err
	}
	if err := sandboxProject(f, cfg); err != nil {
		return nil, nil, err
	}
	if err := checkModeConflicts(cmd.Flags(), cfg); err != nil {
		return nil, nil, err
	}
	if cfg.Project == "" {
		// Ambient project (env, gcloud). Without one, Validate reports the
		// missing project together with every other problem.
		if p, err := f.Project(); err == nil {
			cfg.Project = p
		}
	}
	cfg.ApplyDefaults()
	if err := ff.pre.apply(cfg); err != nil {
		return nil, nil, err
	}
	if o.prefill {
		return cfg, nil, nil
	}
	err = cfg.Validate()
	var pe *config.PreflightError
	if err == nil {
		return cfg, nil, nil
	}
	if o.usersOptional && errors.As(err, &pe) {
		var rest []config.Problem
		for _, p := range pe.Problems {
			if len(cfg.Users()) == 0 && (p.Field == "impersonation.users" || p.Field == "oauth.users") {
				continue
			}
			rest = append(rest, p)
		}
		if len(rest) == 0 {
			return cfg, nil, nil
		}
		err = &config.PreflightError{Problems: rest}
	}
	if !o.perUser || !errors.As(err, &pe) {
		return nil, nil, cmdutil.FlagErrorWrap(err)
	}
	var perUser, fatal []config.Problem
	noUsers := len(cfg.Users()) == 0
	for _, p := range pe.Problems {
		switch {
		case p.User != "":
			perUser = append(perUser, p)
		case noUsers && (p.Field == "impersonation.users" || p.Field == "oauth.users"):
			// verify --user EMAIL needs no users list.
		default:
			fatal = append(fatal, p)
		}
	}
	if len(fatal) > 0 {
		return nil, nil, cmdutil.FlagErrorWrap(&config.PreflightError{Problems: fatal})
	}
	return cfg, perUser, nil
}

// overlay is the config.Flags of the flags set on the command line (a
// changed flag overrides the file even when empty), plus --project.
func (ff *fedFlags) overlay(fl *pflag.FlagSet, f *cmdutil.Factory) (config.Flags, error) {
	var out config.Flags
	str := func(name string, v *string) *string {
		if fl.Lookup(name) != nil && fl.Changed(name) {
			return v
		}
		return nil
	}
	list := func(name string, v string) *[]string {
		if fl.Lookup(name) != nil && fl.Changed(name) {
			l := config.SplitList(v)
			return &l
		}
		return nil
	}
	if f.Globals.Project != "" {
		out.Project = &f.Globals.Project
	}
	out.Name = str("name", &ff.name)
	out.Mode = str("mode", &ff.mode)
	out.Users = list("users", ff.users)
	out.UsersFile = str("users-file", &ff.usersFile)
	out.AdminSA = str("admin-sa", &ff.adminSA)
	out.Template = str("template", &ff.template)
	out.Grant = str("grant", &ff.grant)
	out.Roles = list("roles", ff.roles)
	out.Pool = str("pool", &ff.pool)
	out.Provider = str("provider", &ff.provider)
	out.IssuerURI = str("issuer-uri", &ff.issuerURI)
	out.AttributeMapping = str("attribute-mapping", &ff.attributeMapping)
	out.AttributeCondition = str("attribute-condition", &ff.attributeCondition)
	out.AllowedAudiences = list("allowed-audiences", ff.allowedAudiences)
	out.TargetSA = str("target-sa", &ff.targetSA)
	out.PrincipalSet = str("principal-set", &ff.principalSet)
	out.Verifier = str("verifier", &ff.verifier)
	out.AdminKeyFile = str("admin-key-file", &ff.adminKeyFile)
	out.HoopPolicy = str("hoop-policy", &ff.hoopPolicy)
	out.OAuthClient = str("oauth-client", &ff.oauthClient)
	if fl.Lookup("data-access-logs") != nil && fl.Changed("data-access-logs") {
		out.DataAccessLogs = &ff.dataAccessLogs
	}
	if fl.Changed("concurrency") {
		out.Concurrency = &ff.concurrency
	}
	if fl.Changed("wait") {
		out.Wait = &ff.wait
	}
	if fl.Lookup("hoop-token-ttl") != nil && fl.Changed("hoop-token-ttl") {
		out.HoopTokenTTL = &ff.hoopTokenTTL
	}
	return out, usersFromStdin(&out, f)
}

// newEngine builds the gcp client (only now, after preflight) and an engine
// whose progress lines go to stderr unless --quiet.
func newEngine(ctx context.Context, f *cmdutil.Factory, cfg *config.Config) (*gcp.Client, *engine.Engine, error) {
	client, err := f.GCP(ctx)
	if err != nil {
		return nil, nil, err
	}
	opts := engine.Options{Concurrency: cfg.Concurrency}
	if !f.Globals.Quiet {
		opts.Progress = engine.LinePrinter(f.IOStreams.ErrOut, f.IOStreams.ErrColorScheme())
	}
	return client, engine.New(client, opts), nil
}

// printNotes shows the configuration's notes (duplicate users dropped…) on
// stderr.
func printNotes(f *cmdutil.Factory, cfg *config.Config) {
	for _, n := range cfg.Notes {
		f.Progressf("note: %s\n", n)
	}
}

// renderPlan writes the plan as text to stdout (or nothing in JSON mode:
// the caller puts it into its one document) and its warnings.
func renderPlan(f *cmdutil.Factory, p *engine.Plan) error {
	if f.Output().IsJSON() {
		return nil
	}
	return engine.RenderText(f.IOStreams.Out, p, f.IOStreams.ColorScheme())
}

// wifAllow are the refusals forced by --allow-unconditioned and
// --allow-wildcard.
func (ff *fedFlags) wifAllow() engine.WIFAllow {
	return engine.WIFAllow{Unconditioned: ff.allowUnconditioned, Wildcard: ff.allowWildcard}
}

// checkCredConfig: --cred-config needs to know where the workload reads
// its token (checked by wifPreflight and by the wizard path).
func (ff *fedFlags) checkCredConfig(f *cmdutil.Factory) error {
	if ff.credConfig != "" && ff.credSource == "" {
		return cmdutil.FlagErrorf("--cred-config needs --credential-source PATH|URL: where the workload reads its OIDC token")
	}
	// The file's token URLs follow the endpoint fedctl talks to; --sandbox's
	// emulator lives on a temporary port that dies with this command.
	if ff.credConfig != "" && f.Globals.Sandbox {
		return cmdutil.FlagErrorf("--cred-config cannot point at --sandbox's emulator: it runs on a temporary port only while this command does. " +
			"Start one that outlives the command with `fedctl sandbox serve --state FILE` and run setup with --api-endpoint set to its address (instead of --sandbox)")
	}
	return nil
}
