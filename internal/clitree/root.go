// Package clitree hands the tools that document fedctl (the man page and
// completion generator, the docs test) the real cobra command tree, built
// exactly as `fedctl` builds it, so nothing about the CLI is written twice.
package clitree

import (
	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmd"
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// Root returns fedctl's command tree over streams that go nowhere, with the
// commands cobra otherwise adds only at Execute time (help, completion)
// already in place, so a walk over it sees every command a user can run.
func Root() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "")
	f.Getenv = func(string) string { return "" }
	root := cmd.NewRootCmd(f)
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd()
	initHelpFlags(root)
	return root
}

// initHelpFlags adds -h/--help to every command, as cobra does on Execute.
func initHelpFlags(c *cobra.Command) {
	c.InitDefaultHelpFlag()
	for _, sub := range c.Commands() {
		initHelpFlags(sub)
	}
}

// Walk calls fn for c and every command below it, depth first, in the
// order cobra lists them. It skips what help and man pages skip: hidden
// and deprecated commands and the help command.
func Walk(c *cobra.Command, fn func(*cobra.Command)) {
	fn(c)
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			Walk(sub, fn)
		}
	}
}
