package cmd

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/verify"
)

type setupOptions struct {
	fed    fedFlags
	dryRun bool
	yes    bool
}

func newSetupCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &setupOptions{}
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Set up keyless BigQuery access for identities",
		Long: `Set up keyless, per-identity BigQuery access in one of three modes:
impersonation, wif (Workload Identity Federation) or oauth.

Non-interactively from flags and/or --config FILE: setup reads the live
state, shows a plan, applies it on confirmation (--yes in scripts), then runs
the verification table. --dry-run shows the plan and changes nothing.
Running it again changes nothing and says so.`,
		Example: `  fedctl setup --yes --project my-proj --users alice@acme.com,bob@acme.com
  fedctl setup --config federation.yaml --dry-run
  fedctl setup --yes --users-file users.txt --verifier user:me@acme.com --hoop-policy hoop.yaml`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, f, &opts.fed)
			if err != nil {
				return err
			}
			return runSetup(cmd.Context(), f, cfg, opts)
		},
	}
	addFedFlags(cmd, &opts.fed, fedSetup)
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "Apply without asking (required when not on a terminal)")
	return cmd
}

// setupJSON is setup's one JSON document: the plan, what was applied and
// the verification table (each null when that stage did not run).
type setupJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *engine.Summary  `json:"apply"`
	Verify        *verify.Report   `json:"verify"`
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
	doc.Plan = plan.JSON()
	if err := renderPlan(f, plan); err != nil {
		return err
	}
	if opts.dryRun {
		return nil
	}

	// TODO(wizard): on a terminal without --yes, setup becomes the TUI
	// wizard; until it lands, the plan above is confirmed with a prompt.
	if plan.HasChanges() && !opts.yes {
		if !ios.CanPrompt() {
			return cmdutil.NoTTYError("--yes")
		}
		ok, err := cmdutil.Confirm(ctx, ios, "Apply these changes?")
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.ErrCancel
		}
	}

	if plan.HasChanges() {
		res, err := eng.Apply(ctx, plan)
		doc.Apply = engine.NewSummary(res)
		if !jsonOut {
			fmt.Fprintln(ios.Out)
			if rerr := engine.RenderSummaryText(ios.Out, doc.Apply, ios.ColorScheme()); rerr != nil {
				return rerr
			}
		}
		if err != nil {
			return err
		}
	}
	return runVerification(ctx, f, client, cfg, doc)
}

// runVerification runs the SPEC §3 table for every user after setup.
func runVerification(ctx context.Context, f *cmdutil.Factory, client *gcp.Client, cfg *config.Config, doc *setupJSON) error {
	vopts := verify.Options{Users: cfg.Users(), Wait: cfg.Wait, Concurrency: cfg.Concurrency}
	if cfg.AdminKeyFile != "" {
		if key, err := os.ReadFile(cfg.AdminKeyFile); err == nil {
			vopts.AdminKey, vopts.AdminKeyFile = key, cfg.AdminKeyFile
		}
	}
	f.Progressf("Verifying…\n")
	rep, err := verify.Run(ctx, client, cfg, vopts)
	if err != nil {
		return err
	}
	doc.Verify = rep
	if !f.Output().IsJSON() {
		ios := f.IOStreams
		fmt.Fprintln(ios.Out)
		if err := verify.RenderText(ios.Out, rep, verify.TextOptions{TTY: ios.IsStdoutTTY(), Color: ios.ColorEnabled(), Width: ios.TerminalWidth()}); err != nil {
			return err
		}
	}
	if rep.Failed() {
		return cmdutil.Silence(&cmdutil.ChecksFailedError{})
	}
	return nil
}
