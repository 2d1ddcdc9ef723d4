package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/verify"
)

type teardownOptions struct {
	fed    fedFlags
	dryRun bool
	yes    bool
	// users to offboard (--user, and --users/--users-file on teardown).
	users  []string
	delete bool
	// inv is how teardown was run, for the fixes of the closing table.
	inv fixhint.Invocation
}

func newTeardownCmd(f *cmdutil.Factory) *cobra.Command { return newTeardownCmdRun(f, nil) }

// newTeardownCmdRun is teardown with its run replaceable: flag-parsing
// tests pass a runF that records the options (cli/cli's pattern);
// runTeardown is tested without cobra.
func newTeardownCmdRun(f *cmdutil.Factory, runF func(*teardownOptions, *config.Config) error) *cobra.Command {
	opts := &teardownOptions{}
	cmd := &cobra.Command{
		Use:   "teardown",
		Short: "Remove what setup created, or offboard some users",
		Long: `Remove what the federation (--name, default fedctl) owns, in reverse
order, and nothing else: the members it added leave the project and service
account policies (other members, other roles, conditional bindings and
audit configs stay), then the service accounts it created (found by the
ownership mark in their description, docs/lifecycle.md) are deleted, the
pool and provider it created soft-deleted. Adopted resources (that existed
before fedctl) lose only the federation's bindings. APIs stay enabled and
Data Access logs stay on.

With --user EMAIL (repeatable; --users and --users-file name users too),
only those identities are offboarded: their bindings are removed and their
service accounts disabled at once (Google: their tokens are rejected from
then on); --delete also deletes them (and completes an earlier disable).
The admin SA, the pool and the provider are never touched. The closing
table proves the revocation (verify --revoked).

Asks on a terminal; scripts pass --yes. --dry-run shows the plan only.`,
		Example: `  fedctl teardown --config federation.yaml --yes
  fedctl teardown --user bob@acme.com --yes
  fedctl teardown --user bob@acme.com --delete --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadFedConfig(cmd, f, &opts.fed, loadOptions{usersOptional: true})
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("users") || cmd.Flags().Changed("users-file") {
				opts.users = append(opts.users, cfg.Users()...)
			}
			for _, u := range opts.users {
				if !config.ValidEmail(u) {
					return cmdutil.FlagErrorf("--user %q is not an email address", u)
				}
			}
			if len(opts.users) > 0 && cfg.Mode == config.ModeWIF {
				return cmdutil.FlagErrorf("--user: wif mode has no per-user identities; narrow --principal-set and run setup, or tear the federation down")
			}
			if opts.delete && len(opts.users) == 0 {
				return cmdutil.FlagErrorf("--delete goes with --user EMAIL (a full teardown already deletes what the federation owns)")
			}
			opts.inv = invocationOf(cmd, f, cfg.Project)
			if runF != nil {
				return runF(opts, cfg)
			}
			return runTeardown(cmd.Context(), f, cfg, opts)
		},
	}
	addFedFlags(cmd, &opts.fed, fedTeardown)
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	cmd.Flags().BoolVarP(&opts.yes, "yes", "y", false, "Remove without asking (required when not on a terminal)")
	cmd.Flags().StringArrayVar(&opts.users, "user", nil, "Offboard only this identity (`EMAIL`; repeatable): bindings removed, SA disabled")
	cmd.Flags().BoolVar(&opts.delete, "delete", false, "With --user: also delete the service accounts (undeletable for 30 days)")
	return cmd
}

// teardownJSON is teardown's one JSON document.
type teardownJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *engine.Summary  `json:"apply"`
	// Revoked is the proof of revocation after an offboarding.
	Revoked *verify.Report `json:"revoked,omitempty"`
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
	client, eng, err := newEngine(ctx, f, cfg)
	if err != nil {
		return err
	}
	f.Progressf("Reading the live state of project %s…\n", cfg.Project)
	var plan *engine.Plan
	if len(opts.users) > 0 {
		plan, err = eng.PlanOffboard(ctx, cfg, engine.OffboardOptions{Users: opts.users, Delete: opts.delete})
	} else {
		plan, err = eng.PlanTeardown(ctx, cfg)
	}
	if err != nil {
		return err
	}
	contextualizePlan(plan, opts.inv)
	doc.Plan = plan.JSON()
	if err := renderPlan(f, plan); err != nil {
		return err
	}
	if opts.dryRun || !plan.HasChanges() {
		return nil
	}
	q := "Remove these resources?"
	if len(opts.users) > 0 {
		q = fmt.Sprintf("Offboard %d identit%s?", len(opts.users), plural(len(opts.users), "y", "ies"))
	}
	if err := confirmWrite(ctx, f, opts.yes, q); err != nil {
		return err
	}
	revs := heldTokens(ctx, f, client, cfg, plan)
	res, err := eng.Apply(ctx, plan)
	doc.Apply = engine.NewSummary(res)
	if !jsonOut {
		fmt.Fprintln(ios.Out)
		if rerr := engine.RenderSummaryText(ios.Out, doc.Apply, ios.ColorScheme()); rerr != nil && err == nil {
			err = rerr
		}
		renderUndo(f, plan)
	}
	if err != nil {
		return err
	}
	if cfg.Mode == config.ModeWIF {
		return proveRevokedWIF(ctx, f, client, cfg, opts.inv, &doc.Revoked)
	}
	if len(revs) == 0 {
		return nil
	}
	return proveRevoked(ctx, f, client, cfg, opts.inv, revs, &doc.Revoked)
}
