package clitree

import (
	"slices"
	"testing"

	"github.com/spf13/cobra"
)

func TestRootHasTheSpecCommands(t *testing.T) {
	root := Root()
	var paths []string
	Walk(root, func(c *cobra.Command) { paths = append(paths, c.CommandPath()) })
	for _, want := range []string{
		"fedctl", "fedctl setup", "fedctl plan", "fedctl teardown", "fedctl verify",
		"fedctl token", "fedctl audit enable", "fedctl audit sink create",
		"fedctl sandbox serve", "fedctl completion bash", "fedctl version",
	} {
		if !slices.Contains(paths, want) {
			t.Errorf("tree lacks %q; have %v", want, paths)
		}
	}
	if slices.Contains(paths, "fedctl help") {
		t.Error("Walk visits the help command, which man pages skip")
	}
	if root.Flag("sandbox") == nil && root.PersistentFlags().Lookup("sandbox") == nil {
		t.Error("root lacks the global --sandbox flag")
	}
}

func TestRootIsFreshEachCall(t *testing.T) {
	a, b := Root(), Root()
	if a == b {
		t.Fatal("Root returned the same tree twice; callers mutate it")
	}
}
