// Package clitree hands the tools that document fedctl (the man page and
// completion generator, the docs test) the real cobra command tree, built
// exactly as `fedctl` builds it, so nothing about the CLI is written twice.
package clitree

import (
	_ "unsafe" // for go:linkname below

	"github.com/spf13/cobra"

	_ "github.com/fedctl/fedctl/cmd" // links in the function named below
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// newRootCmd is cmd's unexported constructor of the command tree.
//
// TODO(lead): once package cmd exports it, replace this declaration and
// the go:linkname with a plain call to cmd.NewRootCmd. Until then the
// linkname is the only way to reach the tree without editing cmd; it
// fails at link time, not silently, if the function is renamed.
//
//go:linkname newRootCmd github.com/fedctl/fedctl/cmd.newRootCmd
func newRootCmd(f *cmdutil.Factory) *cobra.Command

// Root returns fedctl's command tree over streams that go nowhere, with the
// commands cobra otherwise adds only at Execute time (help, completion)
// already in place, so a walk over it sees every command a user can run.
func Root() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "")
	f.Getenv = func(string) string { return "" }
	root := newRootCmd(f)
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
