package cmd

import (
	"fmt"
	"strings"

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
// would print help and exit 0 for `fedctl audit bogus`). With --output json
// run bare is a usage error too: a script gets the one JSON error
// document, not help text on stdout with exit 0.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
		if cmd.SuggestionsMinimumDistance <= 0 {
			cmd.SuggestionsMinimumDistance = 2 // cobra's default, set only on the root
		}
		if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
			msg += "\n\nDid you mean this?\n\t" + strings.Join(s, "\n\t")
		}
		return cmdutil.FlagErrorf("%s", msg)
	}
	if o := cmd.Flag("output"); o != nil && o.Value.String() == string(cmdutil.OutputJSON) {
		var subs []string
		for _, c := range cmd.Commands() {
			if c.IsAvailableCommand() && c.Name() != "help" && c.Name() != "completion" {
				subs = append(subs, c.Name())
			}
		}
		return cmdutil.FlagErrorf("%s needs a subcommand (one of: %s); --output json prints no help", cmd.CommandPath(), strings.Join(subs, ", "))
	}
	return cmd.Help()
}
