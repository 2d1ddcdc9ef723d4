package cmd

import (
	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
)

func newAuditCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "audit <command>",
		Short: "Enable, read and report on the federation audit trail",
		Long: `Enable the Data Access audit logs that federation evidence needs, and read
them: who minted which token, which queries ran, and through whom.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(
		newAuditEnableCmd(f),
		newAuditTailCmd(f),
		newAuditBypassCmd(f),
		newAuditSinkCmd(f),
		newAuditReportCmd(f),
	)
	return cmd
}
