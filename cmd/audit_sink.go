package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

func newAuditSinkCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sink <command>",
		Short: "Export the federation audit trail to BigQuery",
		RunE:  groupRunE,
	}
	cmd.AddCommand(newAuditSinkCreateCmd(f))
	return cmd
}

type auditSinkOptions struct {
	af                      auditFedFlags
	name, dataset, location string
	plan                    planFlags
}

func newAuditSinkCreateCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &auditSinkOptions{}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create the audit log sink and its dataset",
		Long: `Create the BigQuery dataset (if missing) and a log sink into it whose filter
keeps both halves of the evidence: the GenerateAccessToken entries made by
the admin SA (which carry no delegation info: the admin is the caller), and
the BigQuery jobs of the federated principals. The sink gets a unique writer
identity, which is granted WRITER on the dataset (keeping the dataset's
other access entries). Idempotent: a second run changes nothing.

The changes are a plan, as setup's (the same resources setup makes with
audit.sink); prints the SQL that reads the exported, partitioned tables.`,
		Example: `  fedctl audit sink create --dry-run
  fedctl audit sink create --dataset audit_logs --location EU --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditSinkCreate(cmd, f, opts) },
	}
	addAuditFedFlags(cmd, &opts.af)
	fl := cmd.Flags()
	fl.StringVar(&opts.name, "name", "", "Sink `ID` (default fedctl-federation-audit)")
	fl.StringVar(&opts.dataset, "dataset", "", "Destination dataset `ID` (default audit_logs)")
	fl.StringVar(&opts.location, "location", "", "Location of a new dataset (default US)")
	addPlanFlags(cmd, &opts.plan)
	return cmd
}

func runAuditSinkCreate(cmd *cobra.Command, f *cmdutil.Factory, opts *auditSinkOptions) error {
	cfg, err := auditConfig(cmd, f, &opts.af)
	if err != nil {
		return err
	}
	sinkCfg := cfg.Audit.Sink.WithDefaults()
	for _, o := range []struct {
		flag, val string
		dst       *string
	}{
		{"name", opts.name, &sinkCfg.Name}, {"dataset", opts.dataset, &sinkCfg.Dataset}, {"location", opts.location, &sinkCfg.Location},
	} {
		if cmd.Flags().Changed(o.flag) {
			if o.val == "" {
				return cmdutil.FlagErrorf("--%s must not be empty", o.flag)
			}
			*o.dst = o.val
		}
	}
	// Bad IDs are a usage error before any API call, as in setup's
	// preflight, not a 400 from BigQuery halfway through the apply.
	if probs := sinkCfg.Problems(); len(probs) > 0 {
		for i := range probs {
			probs[i].Flag = map[string]string{"audit.sink.name": "--name", "audit.sink.dataset": "--dataset"}[probs[i].Field]
		}
		return cmdutil.FlagErrorWrap(&config.PreflightError{Problems: probs})
	}
	fed, err := auditFederation(cfg)
	if err != nil {
		return err
	}
	spec := audit.SinkSpec{Project: cfg.Project, Name: sinkCfg.Name, Dataset: sinkCfg.Dataset, Location: sinkCfg.Location,
		Filter: audit.SinkFilter(cfg.Project, fed)}
	ctx := cmd.Context()
	_, eng, err := newEngine(ctx, f, cfg)
	if err != nil {
		return err
	}
	f.Progressf("Reading the audit sink of project %s…\n", cfg.Project)
	plan, err := eng.PlanAuditSink(ctx, spec)
	if err != nil {
		return err
	}
	// The summary after an apply shows the SQL; with nothing to apply it
	// is still what the operator came for.
	showSQL := func() {
		if !plan.HasChanges() {
			fmt.Fprintf(f.IOStreams.Out, "\nQuery the exported trail (tables appear once the first entries are exported):\n\n%s\n",
				audit.EventsSQL(cfg.Project, spec.Dataset))
		}
	}
	return runPlan(ctx, f, eng, plan, opts.plan, "Create the audit sink?", showSQL)
}
