package cmd

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/config"
)

// suggestFlag adds "did you mean --users?" to pflag's unknown-flag error,
// as cobra does for a mistyped command.
func suggestFlag(c *cobra.Command, err error) error {
	name, ok := strings.CutPrefix(err.Error(), "unknown flag: --")
	if !ok || c == nil {
		return err
	}
	best, bestD := "", 3 // at most two edits away, as cobra's SuggestionsMinimumDistance
	visit := func(f *pflag.Flag) {
		if f.Hidden {
			return
		}
		d := config.EditDistance(strings.ToLower(name), f.Name)
		if strings.HasPrefix(f.Name, name) && len(name) >= 3 {
			d = min(d, 1)
		}
		if d < bestD {
			best, bestD = f.Name, d
		}
	}
	c.Flags().VisitAll(visit)
	c.InheritedFlags().VisitAll(visit)
	if best == "" {
		return err
	}
	return fmt.Errorf("%w\n\nDid you mean this?\n\t--%s", err, best)
}
