package cmdutil

import (
	"github.com/spf13/cobra"
)

// Positional-argument validators that return FlagErrors (exit 2), unlike
// cobra's own, which return plain errors.

// NoArgs rejects any positional argument.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unknown argument %q for %q", args[0], cmd.CommandPath())
	}
	return nil
}

// ExactArgs requires exactly n arguments; msg explains what is expected.
func ExactArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}

// MinimumArgs requires at least n arguments; msg explains what is expected.
func MinimumArgs(n int, msg string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}
