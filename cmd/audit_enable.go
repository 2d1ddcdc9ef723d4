package cmd

import (
	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

type auditEnableOptions struct {
	plan planFlags
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

The change is a plan, as setup's (text, or with --output json the same
document as setup's plan and apply); asks on a terminal, or pass --yes.
Idempotent: "No changes." once enabled.`,
		Example: `  fedctl audit enable --dry-run
  fedctl audit enable --dry-run --detailed-exitcode
  fedctl audit enable --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			project, err := f.Project()
			if err != nil {
				return err
			}
			return runAuditEnable(cmd, f, project, opts)
		},
	}
	addPlanFlags(cmd, &opts.plan)
	return cmd
}

func runAuditEnable(cmd *cobra.Command, f *cmdutil.Factory, project string, opts *auditEnableOptions) error {
	ctx := cmd.Context()
	_, eng, err := newEngine(ctx, f, &config.Config{Project: project})
	if err != nil {
		return err
	}
	f.Progressf("Reading the IAM policy of project %s…\n", project)
	plan, err := eng.PlanAuditEnable(ctx, project)
	if err != nil {
		return err
	}
	return runPlan(ctx, f, eng, plan, opts.plan, "Enable these Data Access audit logs?", nil)
}
