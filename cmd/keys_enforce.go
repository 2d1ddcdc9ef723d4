package cmd

import (
	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
)

func newKeysEnforceCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:    "enforce",
		Short:  "Forbid new service-account keys in the project",
		Args:   cmdutil.NoArgs,
		Hidden: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return cmdutil.FlagErrorf("keys enforce is not available yet")
		},
	}
	return cmd
}
