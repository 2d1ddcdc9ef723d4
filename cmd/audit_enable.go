package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
)

type auditEnableOptions struct {
	yes, dryRun bool
}

func newAuditEnableCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &auditEnableOptions{}
	cmd := &cobra.Command{
		Use:   "enable",
		Short: "Turn on the Data Access audit logs federation needs",
		Long: `Turn on the Data Access audit logs that federation evidence needs, by an
etag-safe edit of the project's auditConfigs that keeps every other entry
and every exemption: ADMIN_READ, DATA_READ and DATA_WRITE for
iam.googleapis.com and bigquery.googleapis.com.

GenerateAccessToken is an ADMIN_READ Data Access log of
iamcredentials.googleapis.com, which can only be enabled through
iam.googleapis.com (or allServices); BigQuery's job entries are Data Access
logs too.

Shows the change first; asks on a terminal, or pass --yes. Idempotent.`,
		Example: `  fedctl audit enable --dry-run
  fedctl audit enable --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditEnable(cmd, f, opts) },
	}
	cmd.Flags().BoolVar(&opts.yes, "yes", false, "Apply without asking")
	cmd.Flags().BoolVar(&opts.dryRun, "dry-run", false, "Show the change and make none")
	return cmd
}

type auditEnableJSON struct {
	Project        string            `json:"project"`
	Changes        []audit.LogChange `json:"changes"`
	AlreadyEnabled bool              `json:"alreadyEnabled"`
	Applied        bool              `json:"applied"`
	DryRun         bool              `json:"dryRun,omitempty"`
}

func runAuditEnable(cmd *cobra.Command, f *cmdutil.Factory, opts *auditEnableOptions) error {
	ctx := cmd.Context()
	project, err := f.Project()
	if err != nil {
		return err
	}
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	res := client.ProjectPolicy(project)
	plan, err := audit.PlanEnable(ctx, res)
	if err != nil {
		return err
	}
	out := auditEnableJSON{Project: project, Changes: plan.Changes, AlreadyEnabled: len(plan.Changes) == 0, DryRun: opts.dryRun}
	if out.Changes == nil {
		out.Changes = []audit.LogChange{}
	}
	ios := f.IOStreams
	if len(plan.Changes) == 0 {
		if f.Output().IsJSON() {
			return cmdutil.PrintJSON(ios.Out, out)
		}
		fmt.Fprintf(ios.Out, "Data Access audit logs are already enabled for %s on project %s; nothing to change.\n",
			"iam.googleapis.com and bigquery.googleapis.com", project)
		return nil
	}
	// The change goes where the user reads it: stdout for text; with JSON
	// stdout carries the one document, so the diff goes to stderr.
	diffOut := ios.Out
	if f.Output().IsJSON() {
		diffOut = ios.ErrOut
	}
	fmt.Fprintf(diffOut, "Project %s IAM policy, audit logging:\n%s", project, audit.AuditConfigDiff(plan.Before, plan.After))
	if opts.dryRun {
		if f.Output().IsJSON() {
			return cmdutil.PrintJSON(ios.Out, out)
		}
		fmt.Fprintln(ios.Out, "Dry run: nothing changed.")
		return nil
	}
	if err := confirmWrite(ctx, f, opts.yes, "Enable these Data Access audit logs?"); err != nil {
		return err
	}
	wrote, err := audit.ApplyEnable(ctx, client, res)
	if err != nil {
		return err
	}
	out.Applied = wrote
	if f.Output().IsJSON() {
		return cmdutil.PrintJSON(ios.Out, out)
	}
	cs := ios.ColorScheme()
	if wrote {
		fmt.Fprintf(ios.Out, "%s Data Access audit logs enabled for iam.googleapis.com and bigquery.googleapis.com.\n", cs.SuccessIcon())
	} else {
		fmt.Fprintf(ios.Out, "%s Already enabled (changed meanwhile); nothing written.\n", cs.SuccessIcon())
	}
	return nil
}
