package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
)

type planOptions struct {
	fed              fedFlags
	detailedExitCode bool
	enforceNoKeys    bool

	// cfg is the federation the flags and --config describe (preflight
	// passed): all runPlan needs besides the factory.
	cfg *config.Config
	// inv is how plan was run, for the fixes it prints.
	inv fixhint.Invocation
}

func newPlanCmd(f *cmdutil.Factory) *cobra.Command { return newPlanCmdRun(f, nil) }

// newPlanCmdRun is plan with its run replaceable: flag-parsing tests pass a
// runF that records the options (cli/cli's pattern).
func newPlanCmdRun(f *cmdutil.Factory, runF func(*planOptions) error) *cobra.Command {
	opts := &planOptions{}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what setup would change",
		Long: `Show the plan alone: what setup would create, update or remove, with the
same flags as setup. Nothing is changed.

With --detailed-exitcode, exit 4 when changes are pending (0 when none).
With --output json, the plan is one JSON document (format_version "1.0").`,
		Example: `  fedctl plan --users alice@acme.com,bob@acme.com
  fedctl plan --config federation.yaml --detailed-exitcode
  fedctl plan --config federation.yaml --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
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
			opts.cfg = cfg
			opts.inv = invocationOf(cmd, f, cfg.Project)
			if runF != nil {
				return runF(opts)
			}
			return runPlanCmd(cmd.Context(), f, opts)
		},
	}
	addFedFlags(cmd, &opts.fed, fedSetup)
	cmd.Flags().BoolVar(&opts.detailedExitCode, "detailed-exitcode", false, "Exit 4 when changes are pending")
	addEnforceNoKeysFlag(cmd, &opts.enforceNoKeys)
	return cmd
}

// runPlanCmd reads the live state, prints the plan (text or the one JSON
// document) and, with --detailed-exitcode, exits 4 on pending changes.
func runPlanCmd(ctx context.Context, f *cmdutil.Factory, opts *planOptions) error {
	cfg := opts.cfg
	printNotes(f, cfg)
	client, eng, err := newEngine(ctx, f, cfg)
	if err != nil {
		return err
	}
	p, err := eng.PlanSetup(ctx, cfg)
	if err != nil {
		return err
	}
	if opts.enforceNoKeys {
		if err := planEnforceNoKeys(ctx, client, cfg.Project, p); err != nil {
			return err
		}
	}
	contextualizePlan(p, opts.inv)
	if f.Output().IsJSON() {
		err = engine.RenderJSON(f.IOStreams.Out, p)
	} else {
		err = renderPlan(f, p)
	}
	if err != nil {
		return err
	}
	if err := preflightErr(p); err != nil {
		return err // SPEC §7.3: Google would refuse this plan
	}
	if opts.detailedExitCode && p.HasChanges() {
		n := p.Counts()
		return cmdutil.Silence(&cmdutil.PendingChangesError{
			Message: fmt.Sprintf("changes pending: %d to add, %d to change, %d to destroy", n.Add, n.Change, n.Destroy)})
	}
	return nil
}
