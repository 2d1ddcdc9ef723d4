package cmd

import (
	"path/filepath"
	"strings"
	"testing"
)

// Every fix a sandbox run prints works when pasted: the plan's notes and
// preflight fixes and the ownership refusal's fix carry --sandbox, the
// owner's name and the operator, not placeholders.
func TestSandboxPlanHintsCarryTheInvocation(t *testing.T) {
	t.Run("oauth stray note", func(t *testing.T) {
		s := newSandboxCLI(t)
		if r := s.run("", "--sandbox", "setup", "--yes", "--mode", "oauth", "--users", "alice@example.com,bob@example.com"); r.code != 0 && r.code != 3 {
			t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r := s.run("", "--sandbox", "plan", "--mode", "oauth", "--users", "alice@example.com")
		if !strings.Contains(r.stdout, "`fedctl --sandbox teardown --mode oauth --user bob@example.com`") {
			t.Errorf("plan: exit %d, the note lacks the sandbox teardown:\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
	t.Run("ownership refusal", func(t *testing.T) {
		s := newSandboxCLI(t)
		if r := s.run("", "--sandbox", "setup", "--yes", "--users", "alice@example.com"); r.code != 0 {
			t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
		}
		r := s.run("", "--sandbox", "setup", "--yes", "--name", "team-b", "--users", "alice@example.com")
		if r.code == 0 || !strings.Contains(r.stderr, "fedctl --sandbox teardown --name fedctl") || strings.Contains(r.stderr, "NAME") {
			t.Errorf("refusal: exit %d, the fix is not the owner's sandbox teardown:\n%s", r.code, r.stderr)
		}
		r = s.run("", "--sandbox", "--output", "json", "setup", "--yes", "--name", "team-b", "--users", "alice@example.com")
		if !strings.Contains(r.stdout, "fedctl --sandbox teardown --name fedctl") {
			t.Errorf("JSON refusal: exit %d, the fix lacks the owner's sandbox teardown:\n%s", r.code, r.stdout)
		}
	})
	t.Run("key policy preflight", func(t *testing.T) {
		s := newSandboxCLI(t)
		if r := s.run("", "sandbox", "org-policy", "set", "iam.disableServiceAccountKeyCreation", "--enforce"); r.code != 0 {
			t.Fatalf("org-policy set: exit %d\n%s", r.code, r.stderr)
		}
		key := filepath.Join(t.TempDir(), "admin.json")
		r := s.run("", "--sandbox", "plan", "--users", "alice@example.com", "--admin-key-file", key)
		if !strings.Contains(r.stdout, "Preflight error") || !strings.Contains(r.stdout, "--verifier user:operator@example.com") || strings.Contains(r.stdout, "user:YOU") {
			t.Errorf("plan: exit %d, the fix names no operator:\n%s\n%s", r.code, r.stdout, r.stderr)
		}
	})
}
