package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/internal/jsoncase"
)

// TestJSONOutputIsSnakeCase runs every command that prints JSON, through
// the real clients on the emulator, and rejects any key that is not
// snake_case: one naming convention for every --output json document
// (plan, setup, verify, token, teardown, the audit commands, version).
func TestJSONOutputIsSnakeCase(t *testing.T) {
	srv := newFedServer(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token.jwt")
	aud := "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc"
	wif := wifArgs("--attribute-condition", "assertion.org == 'acme'")
	imp := []string{"--users", "alice@acme.com,bob@acme.com", "--verifier", "user:operator@example.com"}
	steps := []struct {
		args []string
		code int
	}{
		{[]string{"version"}, 0},
		{append([]string{"plan"}, imp...), 0},
		{append([]string{"setup", "--yes", "--data-access-logs"}, imp...), 0},
		{append([]string{"verify", "--all"}, imp...), 0},
		{[]string{"token", "--user", "alice@acme.com", "--users", "alice@acme.com"}, 0},
		{[]string{"audit", "enable", "--dry-run"}, 0},
		{[]string{"audit", "sink", "create", "--yes", "--users", "alice@acme.com"}, 0},
		{[]string{"audit", "tail", "--since", "1h"}, 0},
		{[]string{"audit", "bypass", "--users", "alice@acme.com,bob@acme.com"}, 0},
		{[]string{"audit", "report", "--since", "1h"}, 0},
		{[]string{"keys", "list", "--all-sas"}, 0},
		{[]string{"keys", "prune", "--dry-run"}, 0},
		{append([]string{"teardown", "--dry-run"}, imp...), 0},
		{append([]string{"setup", "--yes"}, wif...), 0},
		{append([]string{"verify", "--subject-token-file", tokenFile}, wif...), 0},
	}
	for i, s := range steps {
		if i == len(steps)-1 {
			jwt, _ := srv.MintSubjectToken("demo", map[string]any{"sub": "wf-1", "org": "acme", "aud": aud})
			if err := os.WriteFile(tokenFile, []byte(jwt), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		r := runFed(t, srv, append([]string{"--output", "json"}, s.args...)...)
		name := strings.Join(s.args[:min(3, len(s.args))], " ")
		if r.code != s.code {
			t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", name, r.code, s.code, r.stdout, r.stderr)
		}
		problems, err := jsoncase.Problems([]byte(r.stdout))
		if err != nil || strings.TrimSpace(r.stdout) == "" {
			t.Errorf("%s: stdout is not JSON (%v):\n%s", name, err, r.stdout)
		}
		for _, p := range problems {
			t.Errorf("%s: key %s is not snake_case", name, p)
		}
	}
}
