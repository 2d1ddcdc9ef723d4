package cmd

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"cloud.google.com/go/bigquery"
	"github.com/spf13/cobra"
	"google.golang.org/api/iterator"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
)

type auditReportOptions struct {
	af       auditFedFlags
	since    string
	strict   bool
	fromSink bool
	dataset  string
}

func newAuditReportCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &auditReportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Summarise mints, queries and bypasses per principal",
		Long: `Per principal over --since: tokens minted for it, mints it made, queries,
failed queries, bypasses (see audit bypass), first and last seen.

Read from the Logging API, streamed page by page; --from-sink runs the
equivalent SQL over the sink's BigQuery dataset instead (the Logging API
keeps Data Access entries 30 days; the sink keeps them as long as the
dataset does). Bypasses need the federation's rules and are counted from
the Logging API only.`,
		Example: `  fedctl audit report --since 7d
  fedctl audit report --from-sink --dataset audit_logs --since 90d --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditReport(cmd, f, opts) },
	}
	addAuditFedFlags(cmd, &opts.af)
	fl := cmd.Flags()
	fl.StringVar(&opts.since, "since", "7d", "Start of the window: a duration back from now (30m, 24h, 7d) or an RFC 3339 time")
	fl.BoolVar(&opts.strict, "strict", false, "Count jobs by identities outside the federation as bypasses")
	fl.BoolVar(&opts.fromSink, "from-sink", false, "Read the sink's BigQuery dataset instead of the Logging API")
	fl.StringVar(&opts.dataset, "dataset", "", "The sink's dataset `ID`, for --from-sink (default audit_logs)")
	return cmd
}

func runAuditReport(cmd *cobra.Command, f *cmdutil.Factory, opts *auditReportOptions) error {
	if opts.fromSink && f.Globals.Sandbox {
		// The sandbox keeps its audit log for the Logging API; its sinks
		// export nothing to BigQuery, so the query could only 404.
		return cmdutil.FlagErrorf("--from-sink needs a real BigQuery sink: the sandbox's sinks do not export entries to BigQuery; drop --from-sink to read the sandbox's audit log through the Logging API")
	}
	since, err := parseSince(opts.since, time.Now())
	if err != nil {
		return err
	}
	cfg, err := auditConfig(cmd, f, &opts.af)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	var rows []audit.PrincipalStats
	if opts.fromSink {
		dataset := cfg.Audit.Sink.WithDefaults().Dataset
		if opts.dataset != "" {
			dataset = opts.dataset
		}
		bq, err := client.BigQuery(ctx, cfg.Project, nil)
		if err != nil {
			return err
		}
		defer bq.Close()
		if rows, err = reportFromSink(cmd, bq, audit.ReportSQL(cfg.Project, dataset, since)); err != nil {
			return err
		}
	} else {
		fed, err := auditFederation(cfg)
		if err != nil {
			return err
		}
		rep := &audit.Report{Federation: fed, Strict: opts.strict}
		reader := audit.NewReader(client)
		if err := reader.Read(ctx, audit.Selection{Project: cfg.Project, Since: since},
			func(e *audit.Event) error { rep.Add(e); return nil }); err != nil {
			return err
		}
		rows = rep.Rows()
	}
	ios := f.IOStreams
	if f.Output().IsJSON() {
		if rows == nil {
			rows = []audit.PrincipalStats{}
		}
		return cmdutil.PrintJSON(ios.Out, map[string]any{"project": cfg.Project, "since": since, "principals": rows})
	}
	if len(rows) == 0 {
		fmt.Fprintf(ios.Out, "No token mints or BigQuery jobs since %s.\n", sinceLabel(since))
		return nil
	}
	tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINCIPAL\tTOKENS MINTED\tMINTS MADE\tQUERIES\tFAILED\tBYPASSES\tFIRST SEEN\tLAST SEEN")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", r.Principal, r.TokensMinted, r.Mints, r.Queries, r.FailedQueries,
			r.Bypasses, r.FirstSeen.UTC().Format(time.RFC3339), r.LastSeen.UTC().Format(time.RFC3339))
	}
	return tw.Flush()
}

// reportFromSink runs audit.ReportSQL and reads its rows.
func reportFromSink(cmd *cobra.Command, bq *bigquery.Client, sql string) ([]audit.PrincipalStats, error) {
	q := bq.Query(sql)
	it, err := q.Read(cmd.Context())
	if err != nil {
		return nil, fmt.Errorf("querying the sink's dataset: %w", err)
	}
	var rows []audit.PrincipalStats
	for {
		var r struct {
			Principal     bigquery.NullString `bigquery:"principal"`
			TokensMinted  int64               `bigquery:"tokens_minted"`
			Mints         int64               `bigquery:"mints"`
			Queries       int64               `bigquery:"queries"`
			FailedQueries int64               `bigquery:"failed_queries"`
			FirstSeen     time.Time           `bigquery:"first_seen"`
			LastSeen      time.Time           `bigquery:"last_seen"`
		}
		err := it.Next(&r)
		if errors.Is(err, iterator.Done) {
			return rows, nil
		}
		if err != nil {
			return nil, fmt.Errorf("reading the report rows: %w", err)
		}
		rows = append(rows, audit.PrincipalStats{Principal: r.Principal.StringVal, TokensMinted: int(r.TokensMinted),
			Mints: int(r.Mints), Queries: int(r.Queries), FailedQueries: int(r.FailedQueries),
			FirstSeen: r.FirstSeen, LastSeen: r.LastSeen})
	}
}
