package cmd

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestKeysDocsWalkthrough runs docs/keys.md's sandbox walkthrough as
// written, line by line, against a test emulator (the --sandbox flag
// dropped: runFed points fedctl at the emulator; `sandbox reset` is the
// fresh emulator), and checks what the page says to look for.
func TestKeysDocsWalkthrough(t *testing.T) {
	page, err := os.ReadFile(filepath.Join("..", "docs", "keys.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(page), "## Sandbox walkthrough")
	m := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(after)
	if !ok || m == nil {
		t.Fatal("docs/keys.md has no sandbox walkthrough block")
	}
	srv := newFedServer(t)
	t.Chdir(t.TempDir())
	outputs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(m[1]), "\n") {
		args := strings.Fields(line)
		if len(args) == 0 || args[0] != "fedctl" {
			t.Fatalf("not a fedctl line: %q", line)
		}
		args = args[1:]
		if strings.HasPrefix(strings.Join(args, " "), "sandbox reset") {
			continue
		}
		var kept []string
		for _, a := range args {
			if a != "--sandbox" {
				kept = append(kept, a)
			}
		}
		r := runFed(t, srv, kept...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\nstdout:\n%s\nstderr:\n%s", line, r.code, r.stdout, r.stderr)
		}
		outputs[strings.Join(kept, " ")] += r.stdout
	}
	list := outputs["keys list"]
	for _, want := range []string{"fedctl-admin@demo-project.iam.gserviceaccount.com", "fedctl,gateway", "GenerateAccessToken", "No user-managed keys"} {
		if !strings.Contains(list, want) {
			t.Errorf("keys list (before and after) lacks %q:\n%s", want, list)
		}
	}
	if dry := outputs["keys prune --admin-key-file shared-key.json --dry-run"]; !strings.Contains(dry, "kept: the key of --admin-key-file") {
		t.Errorf("dry run:\n%s", dry)
	}
	if dis := outputs["keys prune --all --disable-only --yes"]; !strings.Contains(dis, "A GATEWAY USES THIS KEY") || !strings.Contains(dis, "1 to change") {
		t.Errorf("disable:\n%s", dis)
	}
	// After enforce, setup cannot make a new admin key.
	r := runFed(t, srv, "setup", "--yes", "--users", "alice@example.com", "--verifier", "user:operator@example.com", "--admin-key-file", "again.json")
	// Preflight (SPEC §7.3) refuses it before any write, naming the policy.
	if r.code == 0 || !strings.Contains(r.stdout+r.stderr, "constraints/iam.disableServiceAccountKeyCreation is enforced") {
		t.Errorf("setup --admin-key-file after enforce: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
