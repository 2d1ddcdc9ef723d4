package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
)

// --workflow never overwrites a file it did not write: an existing file
// that differs from the workflow setup would write is a usage error naming
// it, before any API call, and stays as it was; the same workflow again
// (a re-run) is no refusal.
func TestWorkflowRefusesAnExistingFile(t *testing.T) {
	srv := newFedServer(t)
	wfFile := filepath.Join(t.TempDir(), "ci.yml")
	mine := "name: my own CI\non: push\n"
	if err := os.WriteFile(wfFile, []byte(mine), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"setup", "--yes", "--mode", "wif", "--preset", "github", "--preset-values", "repository_owner_id=42,repository=acme/app",
		"--target-sa", "gh-runner", "--workflow", wfFile}
	srv.ResetStats()
	r := runFed(t, srv, args...)
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, wfFile) {
		t.Errorf("existing file: exit %d, want a usage error naming it\n%s", r.code, r.stderr)
	}
	if n := srv.Stats().Total; n != 0 {
		t.Errorf("the refusal made %d API calls", n)
	}
	if b, _ := os.ReadFile(wfFile); string(b) != mine {
		t.Fatalf("the file was overwritten:\n%s", b)
	}

	// Written by setup, then the same setup again: identical, no refusal.
	if err := os.Remove(wfFile); err != nil {
		t.Fatal(err)
	}
	if r := runFed(t, srv, args...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	written, _ := os.ReadFile(wfFile)
	if r := runFed(t, srv, args...); r.code != 0 {
		t.Fatalf("setup again over its own workflow: exit %d\n%s", r.code, r.stderr)
	}
	if b, _ := os.ReadFile(wfFile); string(b) != string(written) {
		t.Errorf("the workflow changed on the re-run")
	}
}
