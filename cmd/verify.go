package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/verify"
)

type verifyOptions struct {
	ff         fedFlags
	users      []string
	all        bool
	probeQuery string
	showToken  bool
	revoked    bool
	// wif: a subject token (live exchange) or claims (local evaluation).
	subjectTokenFile, claimsFile string
	oauth                        oauthVerifyFlags

	// Built from the flags: the federation and verify's options (users,
	// key, probe, token...). runVerifyChecks needs nothing else.
	cfg *config.Config
	run verify.Options
}

func newVerifyCmd(f *cmdutil.Factory) *cobra.Command { return newVerifyCmdRun(f, nil) }

// newVerifyCmdRun is verify with its run replaceable: flag-parsing tests
// pass a runF that records the options (cli/cli's pattern).
func newVerifyCmdRun(f *cmdutil.Factory, runF func(*verifyOptions) error) *cobra.Command {
	opts := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [--user EMAIL]... [--all]",
		Short: "Check that federation works for each identity",
		Long: `Print the verification table: one row per check with its status (pass,
fail, warn, skip), what was seen, and the fix. Checks the project, and each
identity given with --user EMAIL (repeatable) or --all: service accounts,
Token Creator grants, data roles, a live token mint as the admin and a
BigQuery probe with that token.

Minting as the admin is keyless when you hold Token Creator on the admin SA
(setup --verifier user:YOU); with --admin-key-file it mints with the admin's
key, as a gateway does. Tokens are never printed unless --show-token.

In oauth mode with --oauth-client FILE, each --user's consent runs as the
user would: Google's consent page opens in $BROWSER (else the system's
opener; --consent prints the URL and waits where there is neither), the
consented account must be the user, the probe runs with the user's own token,
and the token is revoked unless --keep-token (docs/oauth.md).

With --revoked, the proof of revocation runs alone for each --user (SPEC
§7.2, docs/lifecycle.md): the SA is disabled or deleted, the admin's mint
for it is refused, no binding names it, no user-managed key is left. In
wif mode it proves the principal (set) unbound (with --subject-token-file,
that the exchange and impersonation now fail) and says until when tokens
already minted for the target SA stay valid. It exits 3 while access
remains.

Exits 0 when every check passes (warnings allowed), 3 when any fails.`,
		Example: `  fedctl verify --all
  fedctl verify --user alice@acme.com --user bob@acme.com
  fedctl verify --config federation.yaml --all --output json
  fedctl verify --revoked --user bob@acme.com
  fedctl verify --mode oauth --oauth-client client.json --user alice@acme.com`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVerify(cmd, f, opts, runF)
		},
	}
	addFedFlags(cmd, &opts.ff, fedVerify)
	fl := cmd.Flags()
	fl.StringArrayVar(&opts.users, "user", nil, "Verify this identity (`EMAIL`; repeatable)")
	fl.BoolVar(&opts.all, "all", false, "Verify every user of the configuration")
	fl.StringVar(&opts.probeQuery, "probe-query", verify.DefaultProbeQuery, "BigQuery `SQL` run with each minted token")
	fl.BoolVar(&opts.showToken, "show-token", false, "Print the minted tokens (secrets!)")
	fl.StringVar(&opts.subjectTokenFile, "subject-token-file", "", "wif: a JWT from the workload's IdP (`FILE`): evaluated locally, then exchanged (STS → impersonation → probe)")
	fl.StringVar(&opts.claimsFile, "claims", "", "wif: a token's claims as a JSON `FILE`: evaluated locally (issuer, audience, expiry, mapping, condition, binding)")
	fl.BoolVar(&opts.oauth.consent, "consent", false, "oauth: without a browser, print the consent page's URL and wait for it (up to --wait)")
	fl.BoolVar(&opts.oauth.keepToken, "keep-token", false, "oauth: do not revoke the token the consent produced")
	fl.IntVar(&opts.oauth.redirectPort, "redirect-port", -1, "oauth: loopback `PORT` of the redirect URI (default: any for a desktop client, else 8085)")
	fl.BoolVar(&opts.revoked, "revoked", false, "Prove each --user's access is revoked (offboarded): exit 3 while access remains")
	cmd.MarkFlagsMutuallyExclusive("subject-token-file", "claims")
	cmd.MarkFlagsMutuallyExclusive("revoked", "all")
	return cmd
}

func runVerify(cmd *cobra.Command, f *cmdutil.Factory, opts *verifyOptions, runF func(*verifyOptions) error) error {
	if opts.all && len(opts.users) > 0 {
		return cmdutil.FlagErrorf("--all and --user cannot be used together")
	}
	// A typo is a usage error, as in teardown: verify --revoked would
	// otherwise "prove" the revocation of an identity that never was.
	for _, u := range opts.users {
		if !config.ValidEmail(u) {
			return cmdutil.FlagErrorf("--user %q is not an email address", u)
		}
	}
	cfg, problems, err := loadVerifyConfig(cmd, f, &opts.ff)
	if err != nil {
		return err
	}
	users := opts.users
	if opts.revoked && len(users) == 0 && cfg.Mode != config.ModeWIF {
		return cmdutil.FlagErrorf("--revoked needs --user EMAIL (repeatable): whose revocation to prove")
	}
	if opts.all {
		if users = cfg.Users(); len(users) == 0 {
			return cmdutil.FlagErrorf("--all: the configuration lists no users (pass --users, --users-file or --config)")
		}
	}
	vo, err := verifyRunOptions(cmd, f, cfg, opts.ff.adminKeyFile)
	if err != nil {
		return err
	}
	vo.Users, vo.Preflight = users, problems
	vo.ProbeQuery, vo.ShowToken = opts.probeQuery, opts.showToken
	if err := wifTokenOptions(&vo, opts.subjectTokenFile, opts.claimsFile); err != nil {
		return err
	}
	if vo.OAuth, err = oauthOptions(f, cfg, opts.oauth); err != nil {
		return err
	}
	opts.cfg, opts.run = cfg, vo
	if runF != nil {
		return runF(opts)
	}
	return runVerifyChecks(cmd.Context(), f, opts)
}

// runVerifyChecks runs the table (or the revocation proof) for opts and
// prints it; exit 3 when a check fails.
func runVerifyChecks(ctx context.Context, f *cmdutil.Factory, opts *verifyOptions) error {
	cfg, vo, users := opts.cfg, opts.run, opts.run.Users
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		f.Progressf("Verifying %d identit%s in %s…\n", len(users), plural(len(users), "y", "ies"), cfg.Project)
	}
	var rep *verify.Report
	if opts.revoked {
		if cfg.Mode == config.ModeWIF {
			rep, err = verify.RunRevokedWIF(ctx, client, cfg, vo)
		} else {
			rep, err = verify.RunRevoked(ctx, client, cfg, vo, verify.RevocationsFor(cfg, users))
		}
	} else {
		rep, err = verify.Run(ctx, client, cfg, vo)
	}
	if err != nil {
		return err
	}
	ios := f.IOStreams
	if f.Output().IsJSON() {
		err = verify.RenderJSON(ios.Out, rep)
	} else {
		err = renderVerifyText(f, rep)
	}
	if err != nil {
		return err
	}
	return checksFailed(rep)
}

// renderVerifyText writes rep's table to stdout, fitted to the terminal.
func renderVerifyText(f *cmdutil.Factory, rep *verify.Report) error {
	ios := f.IOStreams
	return verify.RenderText(ios.Out, rep, verify.TextOptions{TTY: ios.IsStdoutTTY(), Color: ios.ColorEnabled(), Width: ios.TerminalWidth()})
}

// checksFailed is exit 3 when a check of rep failed (nil otherwise). The
// table already says what failed: it is not repeated — unless a check
// could not be made, which is said on stderr too ("could not check: …"):
// that run verified less than it shows.
func checksFailed(rep *verify.Report) error {
	if !rep.Failed() {
		return nil
	}
	err := &cmdutil.ChecksFailedError{Message: rep.FailureMessage()}
	if rep.Summary.Unchecked > 0 {
		return err
	}
	return cmdutil.Silence(err)
}

// verifyRunOptions are the verify.Options of verify and token
// (verify.OptionsFrom, as setup and the wizard build theirs): the admin
// key, --wait, --concurrency, the fixes' context, progress on stderr.
func verifyRunOptions(cmd *cobra.Command, f *cmdutil.Factory, cfg *config.Config, keyFlag string) (verify.Options, error) {
	vo, err := verify.OptionsFrom(cfg, verify.From{
		KeyFlag:    keyFlag != "",
		Invocation: invocationOf(cmd, f, cfg.Project),
		Progress:   func(format string, args ...any) { f.Progressf(format+"\n", args...) },
	})
	vo.Users = nil // the caller's --user/--all say whom
	return vo, err
}

// loadVerifyConfig is the configuration of verify and token: users may
// come from --user alone, and per-user problems are rows of the table
// (loadOptions.perUser).
func loadVerifyConfig(cmd *cobra.Command, f *cmdutil.Factory, ff *fedFlags) (*config.Config, []config.Problem, error) {
	return loadFedConfig(cmd, f, ff, loadOptions{perUser: true})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
