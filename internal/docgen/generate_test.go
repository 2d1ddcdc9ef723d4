package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/internal/clitree"
)

func TestGenerateWritesAPagePerCommand(t *testing.T) {
	dir := t.TempDir()
	// A page left over from a removed command must not survive.
	stale := filepath.Join(dir, ManDir, "fedctl-gone.1")
	if err := os.MkdirAll(filepath.Dir(stale), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stale, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}

	date := time.Date(2025, time.March, 4, 0, 0, 0, 0, time.UTC)
	if err := Generate(clitree.Root(), dir, Header{Version: "1.2.3", Date: &date}); err != nil {
		t.Fatal(err)
	}

	var want []string
	clitree.Walk(clitree.Root(), func(c *cobra.Command) {
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
	})
	got := readDir(t, filepath.Join(dir, ManDir))
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("man pages\n got %v\nwant %v", got, want)
	}
	for _, page := range []string{"fedctl-setup.1", "fedctl-audit-sink-create.1", "fedctl-sandbox-serve.1"} {
		if !slices.Contains(got, page) {
			t.Errorf("no page %s", page)
		}
	}

	setup := readFile(t, filepath.Join(dir, ManDir, "fedctl-setup.1"))
	for _, w := range []string{
		`.TH "FEDCTL-SETUP" "1" "Mar 2025" "fedctl 1.2.3" "fedctl manual"`,
		`\fB--users\fP`,   // a setup flag
		`\fB--sandbox\fP`, // a global flag, under "OPTIONS INHERITED"
		`\fBfedctl(1)\fP`, // SEE ALSO links the parent
	} {
		if !strings.Contains(setup, w) {
			t.Errorf("fedctl-setup.1 lacks %q", w)
		}
	}
	if strings.Contains(setup, "Auto generated") {
		t.Error("man page carries cobra's auto-generated tag (a build date)")
	}
}

func TestGenerateWritesCompletionScripts(t *testing.T) {
	dir := t.TempDir()
	if err := Generate(clitree.Root(), dir, Header{}); err != nil {
		t.Fatal(err)
	}
	for name, marker := range map[string]string{
		"fedctl.bash": "__start_fedctl",
		"fedctl.zsh":  "#compdef fedctl",
		"fedctl.fish": "complete -c fedctl",
		"fedctl.ps1":  "Register-ArgumentCompleter -CommandName 'fedctl'",
	} {
		body := readFile(t, filepath.Join(dir, CompletionsDir, name))
		if !strings.Contains(body, marker) {
			t.Errorf("%s lacks %q", name, marker)
		}
	}
	if got := readDir(t, filepath.Join(dir, CompletionsDir)); len(got) != 4 {
		t.Errorf("completions/ holds %v, want the four scripts", got)
	}
}

func readDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names // os.ReadDir sorts by name
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
