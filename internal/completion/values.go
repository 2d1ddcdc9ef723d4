// Package completion holds the dynamic shell-completion functions fedctl's
// flags register with cobra (RegisterFlagCompletionFunc), so the values a
// flag accepts are listed once and every shell (bash, zsh, fish,
// PowerShell) offers them.
package completion

import (
	"strings"

	"github.com/spf13/cobra"
)

// Func is the signature cobra.Command.RegisterFlagCompletionFunc takes.
type Func = func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective)

// Values completes a flag that takes exactly one of vals, offering those
// that start with what was typed and never falling back to file names.
func Values(vals ...string) Func {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		return withPrefix(vals, toComplete, nil), cobra.ShellCompDirectiveNoFileComp
	}
}

// List completes a comma-separated flag (--roles r1,r2) one element at a
// time: the part before the last comma is kept, the last element is
// completed from vals, and elements already given are not offered again.
// No space is added, so another comma can follow.
func List(vals ...string) Func {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		head, last := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			head, last = toComplete[:i+1], toComplete[i+1:]
		}
		given := map[string]bool{}
		for _, v := range strings.Split(head, ",") {
			given[v] = true
		}
		var out []string
		for _, v := range withPrefix(vals, last, given) {
			out = append(out, head+v)
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// None says a flag takes a free-form value (an email, a duration): the
// shell offers nothing rather than file names.
func None(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return nil, cobra.ShellCompDirectiveNoFileComp
}

func withPrefix(vals []string, prefix string, skip map[string]bool) []string {
	var out []string
	for _, v := range vals {
		if strings.HasPrefix(v, prefix) && !skip[v] {
			out = append(out, v)
		}
	}
	return out
}
