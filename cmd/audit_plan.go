package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/engine"
)

// planFlags are the flags of a command whose writes are an engine plan
// (audit enable, audit sink create): shown first, then applied on --yes
// or a confirmation; --dry-run stops after the plan and
// --detailed-exitcode exits 4 when changes are pending.
type planFlags struct {
	yes, dryRun, detailedExitCode bool
}

// planApplyJSON is the one JSON document of such a command: the plan and,
// when it ran, what apply did (the shape setup and teardown use).
type planApplyJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *engine.Summary  `json:"apply"`
}

// runPlan shows plan, asks (or takes --yes), applies it with eng and shows
// what was done: the same path as setup and teardown, for the commands
// whose plan is built elsewhere. done runs after a successful apply, or
// when there was nothing to apply, for text that follows the summary.
func runPlan(ctx context.Context, f *cmdutil.Factory, eng *engine.Engine, plan *engine.Plan, pf planFlags, question string, done func()) (err error) {
	ios := f.IOStreams
	jsonOut := f.Output().IsJSON()
	doc := &planApplyJSON{FormatVersion: engine.PlanFormatVersion, Plan: plan.JSON()}
	defer func() {
		if jsonOut {
			if perr := cmdutil.PrintJSON(ios.Out, doc); err == nil {
				err = perr
			}
		}
	}()
	if err := renderPlan(f, plan); err != nil {
		return err
	}
	pending := func() error {
		if pf.detailedExitCode && plan.HasChanges() {
			n := plan.Counts()
			return cmdutil.Silence(&cmdutil.PendingChangesError{
				Message: fmt.Sprintf("changes pending: %d to add, %d to change, %d to destroy", n.Add, n.Change, n.Destroy)})
		}
		return nil
	}
	if !plan.HasChanges() {
		if done != nil && !jsonOut {
			done()
		}
		return nil
	}
	if pf.dryRun {
		return pending()
	}
	if err := confirmWrite(ctx, f, pf.yes, question); err != nil {
		return err
	}
	res, err := eng.Apply(ctx, plan)
	doc.Apply = engine.NewSummary(res)
	if !jsonOut {
		fmt.Fprintln(ios.Out)
		if rerr := engine.RenderSummaryText(ios.Out, doc.Apply, ios.ColorScheme()); rerr != nil && err == nil {
			err = rerr
		}
		if err == nil && done != nil {
			done()
		}
	}
	return err
}

func addPlanFlags(cmd *cobra.Command, pf *planFlags) {
	fl := cmd.Flags()
	fl.BoolVar(&pf.yes, "yes", false, "Apply without asking")
	fl.BoolVar(&pf.dryRun, "dry-run", false, "Show the plan and make no change")
	fl.BoolVar(&pf.detailedExitCode, "detailed-exitcode", false, "With --dry-run: exit 4 when changes are pending")
}
