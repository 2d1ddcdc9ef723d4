package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
)

type teardownOptions struct {
	fed    fedFlags
	dryRun bool
	yes    bool
}

func newTeardownCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &teardownOptions{}
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove what setup created",
		Long: `Remove what the same configuration created, in reverse order, and nothing
else: the members setup added leave the project and service account
policies (other members, other roles, conditional bindings and audit
configs stay), then the user service accounts and the admin service account
are deleted. APIs stay enabled and Data Access logs stay on: other workloads
may use the former, and the latter are the audit trail of what the
federation did.

Asks on a terminal; scripts pass --yes. --dry-run shows the plan only.`,
		Example: `  fedctl teardown --users alice@acme.com,bob@acme.com
  fedctl teardown --config federation.yaml --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := loadConfig(cmd, f, &opts.fed)
			if err != nil {
				return err
			}
			return runTeardown(cmd.Context(), f, cfg, opts)
		},
	}
	addFedFlags(cmd, &opts.fed, fedTeardown)
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "Remove without asking (required when not on a terminal)")
	return cmd
}

// teardownJSON is teardown's one JSON document.
type teardownJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *engine.Summary  `json:"apply"`
}

func runTeardown(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, opts *teardownOptions) (err error) {
	ios := f.IOStreams
	jsonOut := f.Output().IsJSON()
	doc := &teardownJSON{FormatVersion: engine.PlanFormatVersion}
	defer func() {
		if jsonOut && doc.Plan != nil {
			if perr := cmdutil.PrintJSON(ios.Out, doc); err == nil {
				err = perr
			}
		}
	}()

	printNotes(f, cfg)
	_, eng, err := newEngine(ctx, f, cfg)
	if err != nil {
		return err
	}
	f.Progressf("Reading the live state of project %s…\n", cfg.Project)
	plan, err := eng.PlanTeardown(ctx, cfg)
	if err != nil {
		return err
	}
	doc.Plan = plan.JSON()
	if err := renderPlan(f, plan); err != nil {
		return err
	}
	if opts.dryRun || !plan.HasChanges() {
		return nil
	}
	if !opts.yes {
		if !ios.CanPrompt() {
			return cmdutil.NoTTYError("--yes")
		}
		ok, err := cmdutil.Confirm(ctx, ios, "Remove these resources?")
		if err != nil {
			return err
		}
		if !ok {
			return cmdutil.ErrCancel
		}
	}
	res, err := eng.Apply(ctx, plan)
	doc.Apply = engine.NewSummary(res)
	if !jsonOut {
		fmt.Fprintln(ios.Out)
		if rerr := engine.RenderSummaryText(ios.Out, doc.Apply, ios.ColorScheme()); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
