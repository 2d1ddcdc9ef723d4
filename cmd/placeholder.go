package cmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
)

// notBuilt is the RunE of commands whose implementation has not landed yet:
// they exist so help, completion and scripts see the whole SPEC §2 surface,
// and fail plainly (exit 1) when run.
func notBuilt(cmd *cobra.Command, _ []string) error {
	return fmt.Errorf("%q is not implemented yet", cmd.CommandPath())
}

// groupRunE makes a command that only holds subcommands show its help when
// run bare, and reject an unknown subcommand as a usage error (cobra itself
// would print help and exit 0 for `fedctl audit bogus`).
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return cmdutil.FlagErrorf("unknown command %q for %q", args[0], cmd.CommandPath())
	}
	return cmd.Help()
}
