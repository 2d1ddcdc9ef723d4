package cmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
)

type auditBypassOptions struct {
	af     auditFedFlags
	since  string
	strict bool
}

func newAuditBypassCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &auditBypassOptions{}
	cmd := &cobra.Command{
		Use:   "bypass",
		Short: "Find BigQuery jobs that did not go through federation",
		Long: `List BigQuery jobs that did not go through federation, each with its
evidence from the audit log:

  admin-direct        the admin service account ran a job as itself;
  no-delegation       a federated service account ran a job with no
                      delegation chain through the admin (its key used
                      directly, or someone impersonating it another way);
  outside-federation  with --strict: any identity outside the federation.

Exits 3 when there are any.`,
		Example: `  fedctl audit bypass --since 7d
  fedctl audit bypass --config federation.yaml --strict --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditBypass(cmd, f, opts) },
	}
	addAuditFedFlags(cmd, &opts.af)
	cmd.Flags().StringVar(&opts.since, "since", "24h", "Start of the window: a duration back from now (30m, 24h, 7d) or an RFC 3339 time")
	cmd.Flags().BoolVar(&opts.strict, "strict", false, "Also report jobs by identities outside the federation")
	return cmd
}

type auditBypassJSON struct {
	Project  string          `json:"project"`
	Since    time.Time       `json:"since"`
	Bypasses []*audit.Bypass `json:"bypasses"`
}

func runAuditBypass(cmd *cobra.Command, f *cmdutil.Factory, opts *auditBypassOptions) error {
	since, err := parseSince(opts.since, time.Now())
	if err != nil {
		return err
	}
	cfg, err := auditConfig(cmd, f, &opts.af)
	if err != nil {
		return err
	}
	fed, err := auditFederation(cfg)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	cs := ios.ColorScheme()
	jsonOut := f.Output().IsJSON()
	out := auditBypassJSON{Project: cfg.Project, Since: since, Bypasses: []*audit.Bypass{}}
	reader := audit.NewReader(client)
	n := 0
	err = audit.FindBypasses(ctx, reader, audit.Selection{Project: cfg.Project, Since: since}, fed, opts.strict,
		func(b *audit.Bypass) error {
			n++
			if jsonOut {
				out.Bypasses = append(out.Bypasses, b) // one finding per job: small
				return nil
			}
			e := b.Event
			_, err := fmt.Fprintf(ios.Out, "%s %s  %s  %s  job %s\n    %s\n", cs.FailureIcon(), e.Time.UTC().Format(time.RFC3339),
				cs.Bold(b.Rule), e.Principal, e.JobID, b.Evidence)
			return err
		})
	if err != nil {
		return err
	}
	if jsonOut {
		if err := cmdutil.PrintJSON(ios.Out, out); err != nil {
			return err
		}
	} else if n == 0 {
		fmt.Fprintf(ios.Out, "%s No BigQuery job bypassed federation since %s.\n", cs.SuccessIcon(), sinceLabel(since))
	}
	if n > 0 {
		msg := fmt.Sprintf("%d BigQuery job(s) bypassed federation since %s", n, sinceLabel(since))
		if !jsonOut {
			fmt.Fprintln(ios.ErrOut, msg)
		}
		return cmdutil.Silence(&cmdutil.ChecksFailedError{Message: msg})
	}
	return nil
}
