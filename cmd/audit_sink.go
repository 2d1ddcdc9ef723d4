package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
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
	yes, dryRun             bool
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

Prints the SQL that reads the exported, partitioned tables.`,
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
	fl.BoolVar(&opts.yes, "yes", false, "Apply without asking")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "Show the changes and make none")
	return cmd
}

type auditSinkJSON struct {
	Sink        string            `json:"sink"`
	Destination string            `json:"destination"`
	Filter      string            `json:"filter"`
	Plan        *audit.SinkPlan   `json:"plan"`
	Result      *audit.SinkResult `json:"result,omitempty"`
	SQL         string            `json:"sql"`
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
	fed, err := auditFederation(cfg)
	if err != nil {
		return err
	}
	spec := audit.SinkSpec{Project: cfg.Project, Name: sinkCfg.Name, Dataset: sinkCfg.Dataset, Location: sinkCfg.Location,
		Filter: audit.SinkFilter(cfg.Project, fed)}
	ctx := cmd.Context()
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	sinks := &audit.Sinks{C: client}
	plan, err := sinks.Plan(ctx, spec)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	jsonOut := f.Output().IsJSON()
	out := auditSinkJSON{Sink: spec.Name, Destination: spec.Destination(), Filter: spec.Filter, Plan: plan,
		SQL: audit.EventsSQL(cfg.Project, spec.Dataset)}
	info := ios.Out
	if jsonOut {
		info = ios.ErrOut
	}
	cs := ios.ColorScheme()
	if plan.Empty() {
		fmt.Fprintf(info, "%s Sink %s → %s is set up; nothing to change.\n", cs.SuccessIcon(), spec.Name, spec.Destination())
	} else {
		fmt.Fprintf(info, "Changes for project %s:\n", cfg.Project)
		for _, s := range plan.Steps() {
			fmt.Fprintf(info, "  + %s\n", s)
		}
		fmt.Fprintf(info, "Sink filter:\n  %s\n", spec.Filter)
		if opts.dryRun {
			if jsonOut {
				return cmdutil.PrintJSON(ios.Out, out)
			}
			fmt.Fprintln(info, "Dry run: nothing changed.")
			return nil
		}
		if err := confirmWrite(ctx, f, opts.yes, "Create the audit sink?"); err != nil {
			return err
		}
		res, err := sinks.Apply(ctx, plan)
		if err != nil {
			return err
		}
		out.Result = res
		fmt.Fprintf(info, "%s Sink %s writes as %s, which has WRITER on dataset %s.\n", cs.SuccessIcon(), spec.Name, res.Writer, spec.Dataset)
	}
	if jsonOut {
		return cmdutil.PrintJSON(ios.Out, out)
	}
	fmt.Fprintf(ios.Out, "\nQuery the exported trail (tables appear once the first entries are exported):\n\n%s\n", out.SQL)
	return nil
}
