package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/keys"
)

type keysPruneOptions struct {
	olderThan, unusedFor string
	sas, keep            []string
	disableOnly          bool
	adminKeyFile         string
	dryRun, yes, all     bool
	now                  func() time.Time
}

func newKeysPruneCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &keysPruneOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "prune",
		Short: "Delete or disable user-managed keys, as a plan you confirm",
		Long: `Plan the deletion (or, with --disable-only, the disabling) of the
project's user-managed keys, show it — one "-" per key deleted, "~" per key
disabled — then apply it after a confirmation, or at once with --yes.

Criteria combine: --older-than keeps younger keys, --unused-for keeps keys
the audit log shows in use within that time (and keys it cannot vouch for:
a log that does not reach back that far proves nothing), --sa limits the
run to some service accounts. Applying with none of the three needs --all:
every user-managed key of the project, fedctl's or not, is then in the
plan (--dry-run shows that plan without it). Never touched: the keys named by --keep and
the key of --admin-key-file. A key a gateway uses (the fedctl admin SA's
key, or one that minted tokens) is called out in the plan.`,
		Example: `  fedctl keys prune --unused-for 30d
  fedctl keys prune --sa ci@my-proj.iam.gserviceaccount.com --disable-only --yes
  fedctl keys prune --admin-key-file admin-key.json --keep 1f3c5d7e9a0b`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runKeysPrune(cmd.Context(), f, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.olderThan, "older-than", "", "Only keys created more than `D` ago (30d, 12h)")
	fl.StringVar(&opts.unusedFor, "unused-for", "", "Only keys with no use in the audit log for `D` (30d)")
	fl.StringArrayVar(&opts.sas, "sa", nil, "Only the keys of this service account `EMAIL` (repeatable)")
	fl.BoolVar(&opts.disableOnly, "disable-only", false, "Disable the keys instead of deleting them (undo: gcloud iam service-accounts keys enable)")
	fl.StringArrayVar(&opts.keep, "keep", nil, "Never touch this key `ID` (or its first 8+ hex digits; repeatable)")
	fl.StringVar(&opts.adminKeyFile, "admin-key-file", "", "The gateway's admin key `FILE`: its key is never touched")
	fl.BoolVar(&opts.all, "all", false, "With no --older-than, --unused-for or --sa: prune every user-managed key of the project")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	fl.BoolVarP(&opts.yes, "yes", "y", false, "Apply without asking (required when not on a terminal)")
	return cmd
}

// keysPruneJSON is prune's one JSON document.
type keysPruneJSON struct {
	FormatVersion string           `json:"format_version"`
	Plan          *engine.PlanJSON `json:"plan"`
	Apply         *keysApplyJSON   `json:"apply"`
}

type keysApplyJSON struct {
	Outcomes []engine.Outcome `json:"outcomes"`
	Failed   int              `json:"failed"`
}

func runKeysPrune(ctx context.Context, f *cmdutil.Factory, opts *keysPruneOptions) (err error) {
	po := keys.PruneOptions{DisableOnly: opts.disableOnly, ServiceAccounts: opts.sas}
	if po.OlderThan, err = parseAge("--older-than", opts.olderThan); err != nil {
		return err
	}
	if po.UnusedFor, err = parseAge("--unused-for", opts.unusedFor); err != nil {
		return err
	}
	// A bare `keys prune --yes` would delete every user-managed key in the
	// project, service accounts fedctl has nothing to do with included:
	// that takes a selector or a deliberate --all.
	if !opts.dryRun && !opts.all && opts.olderThan == "" && opts.unusedFor == "" && len(opts.sas) == 0 {
		return cmdutil.FlagErrorf("keys prune with no --older-than, --unused-for or --sa would %s every user-managed key in the project: name a selector, or pass --all (--dry-run shows that plan)",
			map[bool]string{true: "disable", false: "delete"}[opts.disableOnly])
	}
	for _, id := range opts.keep {
		if !keyIDPattern.MatchString(id) {
			return cmdutil.FlagErrorf("--keep %q: want a key ID (8 to 40 hex digits, as `fedctl keys list` shows)", id)
		}
		po.Keep = append(po.Keep, strings.ToLower(id))
	}
	for _, sa := range opts.sas {
		if !strings.Contains(sa, "@") {
			return cmdutil.FlagErrorf("--sa %q: want a service account email", sa)
		}
	}
	if opts.adminKeyFile != "" {
		if po.AdminKeyID, _, err = adminKeyFileID(opts.adminKeyFile); err != nil {
			return err
		}
		po.AdminKeyFile = opts.adminKeyFile
	}
	if _, err := f.Project(); err != nil {
		return err
	}

	inv, err := readInventory(ctx, f, time.Time{}, false)
	if err != nil {
		return err
	}
	// A --sa that names no service account of the project would plan
	// nothing and read as "no key to prune": say it is not there, as
	// Google's 404 would.
	for _, sa := range opts.sas {
		if !slices.ContainsFunc(inv.ServiceAccounts, func(s *keys.ServiceAccount) bool { return strings.EqualFold(s.Email, sa) }) {
			list := fixhint.Invocation{Sandbox: f.Globals.Sandbox}.Contextualize("fedctl keys list --all-sas", "")
			return fmt.Errorf("--sa %s: no such service account in project %s (%s lists them)", sa, inv.Project, list)
		}
	}
	po.Now = opts.now()
	plan := keys.PlanPrune(inv, po)
	question := "Delete these keys?"
	if opts.disableOnly {
		question = "Disable these keys?"
	}
	return runKeysPlan(ctx, f, plan, keysPlanRun{none: "No key to prune.", question: question, dryRun: opts.dryRun, yes: opts.yes},
		func() ([]engine.Outcome, error) {
			client, err := f.GCP(ctx)
			if err != nil {
				return nil, err
			}
			return keys.Apply(ctx, client, plan, 0, func(o engine.Outcome) {
				if o.Status == engine.OutcomeFailed {
					f.Progressf("  failed %s: %s\n", o.Address, o.Error)
				} else {
					f.Progressf("  %s %s\n", map[engine.Action]string{engine.ActionDelete: "deleted", engine.ActionUpdate: "disabled", engine.ActionCreate: "set"}[o.Action], o.Address)
				}
			}), nil
		})
}

// keysPlanRun is how runKeysPlan shows and confirms a keys plan.
type keysPlanRun struct {
	none, question string // what "No changes." adds; the confirmation
	dryRun, yes    bool
}

// runKeysPlan is keys prune's and keys enforce's plan→confirm→apply path
// (runPlan's, for plans that keys.Apply applies): it shows plan, stops
// there on --dry-run or when nothing changes, asks (or takes --yes),
// applies it with apply and reports the outcomes; with --output json it
// prints one keysPruneJSON document.
func runKeysPlan(ctx context.Context, f *cmdutil.Factory, plan *engine.Plan, r keysPlanRun, apply func() ([]engine.Outcome, error)) (err error) {
	doc := &keysPruneJSON{FormatVersion: engine.PlanFormatVersion, Plan: plan.JSON()}
	if f.Output().IsJSON() {
		defer func() {
			if perr := cmdutil.PrintJSON(f.IOStreams.Out, doc); err == nil {
				err = perr
			}
		}()
	} else if err := renderKeysPlan(f, plan, r.none); err != nil {
		return err
	}
	if r.dryRun || !plan.HasChanges() {
		return nil
	}
	if err := confirmWrite(ctx, f, r.yes, r.question); err != nil {
		return err
	}
	outcomes, err := apply()
	if err != nil {
		return err
	}
	return finishKeysApply(ctx, f, doc, outcomes)
}

// finishKeysApply records the outcomes and reports them.
func finishKeysApply(ctx context.Context, f *cmdutil.Factory, doc *keysPruneJSON, outcomes []engine.Outcome) error {
	doc.Apply = &keysApplyJSON{Outcomes: outcomes}
	var done int
	for _, o := range outcomes {
		switch o.Status {
		case engine.OutcomeFailed, engine.OutcomeSkipped:
			doc.Apply.Failed++
		case engine.OutcomeApplied:
			done++
		}
	}
	ios := f.IOStreams
	cs := ios.ColorScheme()
	if doc.Apply.Failed > 0 {
		msg := fmt.Sprintf("%d change(s) failed or did not start", doc.Apply.Failed)
		if !f.Output().IsJSON() {
			fmt.Fprintf(ios.Out, "\n%s %d applied, %s.\n", cs.FailureIcon(), done, msg)
		}
		if ctx.Err() != nil {
			// Ctrl-C: what was under way finished, the rest did not start.
			return &cmdutil.CancelError{Err: ctx.Err()}
		}
		return cmdutil.Silence(fmt.Errorf("%s", msg))
	}
	if !f.Output().IsJSON() {
		fmt.Fprintf(ios.Out, "\n%s Apply complete: %d change(s) applied.\n", cs.SuccessIcon(), done)
	}
	return nil
}

// renderKeysPlan writes a keys plan: the engine's rendering when it has
// changes, then the keys it leaves and why.
func renderKeysPlan(f *cmdutil.Factory, plan *engine.Plan, none string) error {
	ios := f.IOStreams
	cs := ios.ColorScheme()
	if plan.HasChanges() {
		if err := engine.RenderText(ios.Out, plan, cs); err != nil {
			return err
		}
	} else {
		for _, w := range plan.Warnings {
			fmt.Fprintf(ios.Out, "%s %s\n", cs.WarningIcon(), w)
		}
		fmt.Fprintf(ios.Out, "%s\n", cs.Green("No changes. "+none))
	}
	var kept []*engine.Change
	for _, c := range plan.Changes {
		if c.Action == engine.ActionNoop && c.Reason != "" {
			kept = append(kept, c)
		}
	}
	if len(kept) > 0 {
		fmt.Fprintf(ios.Out, "\nLeft as is:\n")
		for _, c := range kept {
			fmt.Fprintf(ios.Out, "    %s  %s\n", c.Address, cs.Gray("# "+c.Reason))
		}
	}
	return nil
}
