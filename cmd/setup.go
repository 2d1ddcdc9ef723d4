package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/verify"
	"github.com/fedctl/fedctl/wizard"
)

type setupOptions struct {
	fed           fedFlags
	dryRun        bool
	yes           bool
	accessible    bool
	enforceNoKeys bool
	// inv is how setup was run, for the fixes it prints.
	inv fixhint.Invocation
}

func newSetupCmd(f *cmdutil.Factory) *cobra.Command {
	return newSetupCmdRun(f, nil)
}

// newSetupCmdRun is setup with its scripted run replaceable: flag-parsing
// tests pass a runF that records the options and the configuration
// (cli/cli's pattern); runSetup is tested without cobra.
func newSetupCmdRun(f *cmdutil.Factory, runF func(*setupOptions, *config.Config) error) *cobra.Command {
	opts := &setupOptions{}
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up keyless BigQuery access for identities",
		Long: `Set up keyless, per-identity BigQuery access in one of three modes:
impersonation, wif (Workload Identity Federation) or oauth.

On a terminal without --yes (or --dry-run) setup is a wizard that asks for
everything step by step, prefilled from the flags and --config; --accessible
(or TERM=dumb) asks line by line instead. Non-interactively from flags
and/or --config FILE: setup reads the live
state, shows a plan, applies it on confirmation (--yes in scripts), then runs
the verification table. --dry-run shows the plan and changes nothing.
Running it again changes nothing and says so.`,
		Example: `  fedctl setup --yes --project my-proj --users alice@acme.com,bob@acme.com
  fedctl setup --config federation.yaml --dry-run
  fedctl setup --yes --users-file users.txt --verifier user:me@acme.com --hoop-policy hoop.yaml
  fedctl setup --yes --preset gumloop --principal-set attribute.org/ORG123 --target-sa bigquery-runner
  fedctl setup --yes --preset github --preset-values repository_owner_id=1234567,repository=acme/app \
    --target-sa gh-runner --cred-config creds.json --credential-source /var/run/oidc/token`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if useWizard(f, opts) {
				return runWizard(cmd, f, opts)
			}
			cfg, err := loadConfig(cmd, f, &opts.fed)
			if err != nil {
				return err
			}
			if err := checkEnforceNoKeys(opts.enforceNoKeys, cfg); err != nil {
				return err
			}
			if err := wifPreflight(f, cfg, &opts.fed); err != nil {
				return err
			}
			opts.inv = invocationOf(cmd, f, cfg.Project)
			if runF != nil {
				return runF(opts, cfg)
			}
			return runSetup(cmd.Context(), f, cfg, opts)
		},
	}
	addFedFlags(cmd, &opts.fed, fedSetup)
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "Apply without asking (required when not on a terminal)")
	cmd.Flags().BoolVar(&opts.accessible, "accessible", false, "Run the wizard as plain line prompts (also with TERM=dumb)")
	addEnforceNoKeysFlag(cmd, &opts.enforceNoKeys)
	return cmd
}

// useWizard: on a terminal (stdin and stdout), without --yes or --dry-run,
// and with text output, setup is the wizard (SPEC §2). Everywhere else the
// scripted path runs, and without a terminal the wizard never starts.
func useWizard(f *cmdutil.Factory, opts *setupOptions) bool {
	// --enforce-no-keys is not a wizard question: the scripted path shows
	// it in the plan and asks.
	return !opts.enforceNoKeys && !opts.yes && !opts.dryRun && f.IOStreams.CanPrompt() && !f.Output().IsJSON()
}

// runWizard is setup on a terminal. --config and the flags (the wif ones
// and --preset through applyWIF, as on the scripted path) only prefill the
// wizard, whose screens ask for what is missing and validate each answer;
// a malformed file or flag is still a usage error. The wif preflight
// (engine.PreflightWIF) runs in the wizard on the final answers, before it
// plans, with --allow-unconditioned/--allow-wildcard as its starting
// forces; --cred-config is written once the federation is in place.
func runWizard(cmd *cobra.Command, f *cmdutil.Factory, opts *setupOptions) error {
	ff := &opts.fed
	cfg, _, err := loadFedConfig(cmd, f, ff, loadOptions{prefill: true})
	if err != nil {
		return err
	}
	if err := ff.checkCredConfig(f); err != nil {
		return err
	}
	ctx := cmd.Context()
	return wizard.Run(ctx, f, cfg, wizard.Options{
		Accessible: opts.accessible,
		Invocation: invocationOf(cmd, f, cfg.Project),
		Verifier:   suggestedVerifier(f),
		WIFAllow:   ff.wifAllow(),
		WIFOutputs: func(out *engine.WIFOutputs) error {
			client, err := f.GCP(ctx)
			if err != nil {
				return err
			}
			return writeCredConfig(client, out, ff)
		},
	})
}

// suggestedVerifier is the member the wizard offers as --verifier: the
// signed-in gcloud account when the environment names it, the sandbox's
// operator with --sandbox.
func suggestedVerifier(f *cmdutil.Factory) string {
	if f.Globals.Sandbox {
		return emulator.DefaultSeed.Operator
	}
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	acct := getenv("CLOUDSDK_CORE_ACCOUNT")
	switch {
	case acct == "":
		return ""
	case strings.HasSuffix(acct, ".gserviceaccount.com"):
		return "serviceAccount:" + acct
	}
	return "user:" + acct
}

// setupJSON is setup's one JSON document: the plan, what was applied and
// the verification table (each null when that stage did not run).
type setupJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *engine.Summary  `json:"apply"`
	Verify        *verify.Report   `json:"verify"`
	// Revoked is the proof of revocation of the users the plan offboarded.
	Revoked *verify.Report `json:"revoked,omitempty"`
}

func runSetup(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, opts *setupOptions) (err error) {
	ios := f.IOStreams
	jsonOut := f.Output().IsJSON()
	doc := &setupJSON{FormatVersion: engine.PlanFormatVersion}
	defer func() {
		// One JSON document, whatever happened after the plan.
		if jsonOut && doc.Plan != nil {
			if perr := cmdutil.PrintJSON(ios.Out, doc); err == nil {
				err = perr
			}
		}
	}()

	printNotes(f, cfg)
	client, eng, err := newEngine(ctx, f, cfg)
	if err != nil {
		return err
	}
	f.Progressf("Reading the live state of project %s…\n", cfg.Project)
	plan, err := eng.PlanSetup(ctx, cfg)
	if err != nil {
		return err
	}
	if opts.enforceNoKeys {
		// SPEC §7.6: the key-creation policy, in the plan like the rest.
		if err := planEnforceNoKeys(ctx, client, cfg.Project, plan); err != nil {
			return err
		}
	}
	contextualizePlan(plan, opts.inv)
	doc.Plan = plan.JSON()
	if err := renderPlan(f, plan); err != nil {
		return err
	}
	if err := preflightErr(plan); err != nil {
		return err // before any write (SPEC §7.3)
	}
	if opts.dryRun {
		return nil
	}

	// On a terminal without --yes the wizard ran instead (useWizard); a
	// terminal reaches this prompt only with --output json.
	if plan.HasChanges() {
		if err := confirmWrite(ctx, f, opts.yes, "Apply these changes?"); err != nil {
			return err
		}
	}

	var revs []verify.Revocation
	if plan.HasChanges() {
		revs = heldTokens(ctx, f, client, cfg, plan)
		res, err := eng.Apply(ctx, plan)
		doc.Apply = engine.NewSummary(res)
		if err == nil {
			err = writeCredConfig(client, doc.Apply.WIF, &opts.fed)
		}
		if !jsonOut {
			fmt.Fprintln(ios.Out)
			if rerr := engine.RenderSummaryText(ios.Out, doc.Apply, ios.ColorScheme()); rerr != nil {
				return rerr
			}
			renderUndo(f, plan)
		}
		if err != nil {
			return err
		}
	}
	if !plan.HasChanges() {
		// Nothing to apply, but the integration values and the credential
		// configuration are still what the operator came for.
		out := plan.Desired().WIFOutputs()
		if err := writeCredConfig(client, out, &opts.fed); err != nil {
			return err
		}
		if out != nil && !jsonOut {
			engine.RenderWIFOutputsTo(ios.Out, out, ios.ColorScheme())
		}
		if h := engine.HoopSummaryFor(plan.Desired()); h != nil && !jsonOut {
			engine.RenderHoopSummaryTo(ios.Out, h, ios.ColorScheme())
		}
	}
	printOAuthRedirect(f, cfg)
	verr := runVerification(ctx, f, client, cfg, doc, opts.inv)
	if len(revs) > 0 {
		if rerr := proveRevoked(ctx, f, client, cfg, opts.inv, revs, &doc.Revoked); rerr != nil && verr == nil {
			verr = rerr
		}
	}
	return verr
}

// runVerification runs the SPEC §3 table for every user after setup.
func runVerification(ctx context.Context, f *cmdutil.Factory, client *gcp.Client, cfg *config.Config, doc *setupJSON, inv fixhint.Invocation) error {
	vopts, err := verify.OptionsFrom(cfg, verify.From{Invocation: inv,
		Progress: func(format string, args ...any) { f.Progressf(format+"\n", args...) }})
	if err != nil {
		return err
	}
	if cfg.Mode == config.ModeOAuth && cfg.OAuth.ClientFile != "" {
		// The client file's row; the consent rows say how to run them
		// (verify --consent): setup does not open a browser.
		if cf, err := cfg.OAuthClient(); err == nil {
			vopts.OAuth = &verify.OAuthOptions{Client: cf, ClientFile: cfg.OAuth.ClientFile,
				SkipConsent: "setup opens no browser: the consent is the user's own step"}
		}
	}
	f.Progressf("Verifying…\n")
	rep, err := verify.Run(ctx, client, cfg, vopts)
	if err != nil {
		return err
	}
	doc.Verify = rep
	if !f.Output().IsJSON() {
		fmt.Fprintln(f.IOStreams.Out)
		if err := renderVerifyText(f, rep); err != nil {
			return err
		}
	}
	return checksFailed(rep)
}
