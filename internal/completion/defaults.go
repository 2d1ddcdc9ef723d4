package completion

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// NoFilesByDefault registers None for every flag in root's tree that takes
// a free-form value (an email, an ID, a duration) and has no completion of
// its own, so pressing Tab after --users offers nothing instead of the
// current directory's files. Left alone: boolean flags, flags that already
// complete, flags marked with MarkFlagFilename/MarkFlagDirname, and flags
// whose usage names a `FILE` (or `DIR`) placeholder — those keep the
// shell's file completion.
//
// Call it once, after every command is added (at the end of newRootCmd).
func NoFilesByDefault(root *cobra.Command) {
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) { noFiles(c, f) })
		c.PersistentFlags().VisitAll(func(f *pflag.Flag) { noFiles(c, f) })
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func noFiles(c *cobra.Command, f *pflag.Flag) {
	if f.NoOptDefVal != "" { // a boolean: no value to complete
		return
	}
	if _, ok := c.GetFlagCompletionFunc(f.Name); ok {
		return
	}
	if _, ok := f.Annotations[cobra.BashCompFilenameExt]; ok {
		return
	}
	if _, ok := f.Annotations[cobra.BashCompSubdirsInDir]; ok {
		return
	}
	if meta, _ := pflag.UnquoteUsage(f); strings.Contains(meta, "FILE") || strings.Contains(meta, "DIR") {
		return
	}
	_ = c.RegisterFlagCompletionFunc(f.Name, None)
}
