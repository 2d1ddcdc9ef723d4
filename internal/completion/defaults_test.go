package completion

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// directive runs cobra's __complete for args on tree and returns the
// directive line (":4" no files, ":0" default file completion).
func directive(t *testing.T, root *cobra.Command, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	return lines[len(lines)-1]
}

func TestNoFilesByDefault(t *testing.T) {
	root := &cobra.Command{Use: "fedctl"}
	root.PersistentFlags().String("project", "", "Google Cloud project ID")
	setup := &cobra.Command{Use: "setup", Run: func(*cobra.Command, []string) {}}
	fl := setup.Flags()
	fl.String("users", "", "Identities, comma-separated (`a@x.com,b@x.com`)")
	fl.String("users-file", "", "Identities from a `FILE`")
	fl.String("hoop-policy", "", "Write the policy here")
	_ = setup.MarkFlagFilename("hoop-policy", "yaml")
	fl.String("mode", "", "Federation mode")
	_ = setup.RegisterFlagCompletionFunc("mode", Values(Modes...))
	fl.Bool("yes", false, "Apply without asking")
	root.AddCommand(setup)

	NoFilesByDefault(root)

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"setup", "--users", ""}, ":4"},       // free-form: no files
		{[]string{"setup", "--project", ""}, ":4"},     // inherited persistent flag too
		{[]string{"setup", "--users-file", ""}, ":0"},  // FILE placeholder: files
		{[]string{"setup", "--hoop-policy", ""}, ":8"}, // MarkFlagFilename kept (FilterFileExt)
	} {
		if got := directive(t, root, tc.args...); got != tc.want {
			t.Errorf("%v: directive %s, want %s", tc.args, got, tc.want)
		}
	}
	// The existing --mode completion is kept, not replaced by None.
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{cobra.ShellCompRequestCmd, "setup", "--mode", "w"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "wif\n") {
		t.Errorf("--mode completion replaced: %q", out.String())
	}
}
