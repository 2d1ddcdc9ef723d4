package completion

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// complete runs cobra's own completion protocol (the hidden __complete
// command the shell scripts call) for args, and returns the offered values
// and the directive line, as a shell would see them.
func complete(t *testing.T, register func(*cobra.Command), args ...string) (vals []string, directive string) {
	t.Helper()
	root := &cobra.Command{Use: "fedctl"}
	sub := &cobra.Command{Use: "setup", Run: func(*cobra.Command, []string) {}}
	root.AddCommand(sub)
	register(sub)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd, "setup"}, args...))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "Completion ended") {
			vals = append(vals, l)
		}
	}
	return vals, lines[len(lines)-1]
}

func TestValuesThroughCobra(t *testing.T) {
	reg := func(c *cobra.Command) {
		c.Flags().String("mode", "", "")
		if err := c.RegisterFlagCompletionFunc("mode", Values(Modes...)); err != nil {
			t.Fatal(err)
		}
	}
	vals, dir := complete(t, reg, "--mode", "")
	if !slices.Equal(vals, Modes) {
		t.Errorf("--mode '' offers %v, want %v", vals, Modes)
	}
	if dir != ":4" { // ShellCompDirectiveNoFileComp
		t.Errorf("directive %q, want :4 (no file completion)", dir)
	}
	vals, _ = complete(t, reg, "--mode", "i")
	if !slices.Equal(vals, []string{"impersonation"}) {
		t.Errorf("--mode i offers %v", vals)
	}
}

func TestListCompletesTheLastElement(t *testing.T) {
	reg := func(c *cobra.Command) {
		c.Flags().String("roles", "", "")
		if err := c.RegisterFlagCompletionFunc("roles", List(DataRoles...)); err != nil {
			t.Fatal(err)
		}
	}
	vals, dir := complete(t, reg, "--roles", "roles/bigquery.user,roles/bigquery.d")
	want := []string{"roles/bigquery.user,roles/bigquery.dataViewer", "roles/bigquery.user,roles/bigquery.dataEditor"}
	if !slices.Equal(vals, want) {
		t.Errorf("offers %v, want %v", vals, want)
	}
	if dir != ":6" { // NoSpace|NoFileComp, so a comma can follow
		t.Errorf("directive %q, want :6", dir)
	}
	vals, _ = complete(t, reg, "--roles", "roles/bigquery.user,")
	if slices.Contains(vals, "roles/bigquery.user,roles/bigquery.user") {
		t.Errorf("offers a role already given: %v", vals)
	}
	if len(vals) != len(DataRoles)-1 {
		t.Errorf("after one role, offers %d values, want %d: %v", len(vals), len(DataRoles)-1, vals)
	}
}

func TestNoneOffersNothingNotFiles(t *testing.T) {
	vals, dir := None(nil, nil, "")
	if len(vals) != 0 || dir != cobra.ShellCompDirectiveNoFileComp {
		t.Errorf("None = %v, %v", vals, dir)
	}
}
