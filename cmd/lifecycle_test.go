package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Offboarding from the command line: setup drops bob (plan exit 4, the
// proof rows pass, the other users still verify), verify --revoked exits 0
// for bob and 3 for alice, teardown --user never plans the admin SA, and a
// setup listing bob again re-enables him.
func TestOffboardingCommands(t *testing.T) {
	srv := newFedServer(t)
	three := []string{"--users", "alice@acme.com,bob@acme.com,carol@acme.com", "--verifier", "user:operator@example.com"}
	two := []string{"--users", "alice@acme.com,carol@acme.com", "--verifier", "user:operator@example.com"}
	if r := runFed(t, srv, append([]string{"setup", "--yes"}, three...)...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r := runFed(t, srv, append([]string{"plan", "--detailed-exitcode", "--output", "json"}, two...)...)
	if r.code != 4 {
		t.Fatalf("plan without bob: exit %d, want 4\n%s", r.code, r.stderr)
	}
	var doc struct {
		Summary struct{ Destroy int } `json:"summary"`
		Changes []struct {
			Address  string `json:"address"`
			Action   string `json:"action"`
			Offboard bool   `json:"offboard"`
		} `json:"changes"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatal(err)
	}
	var offboarded []string
	for _, c := range doc.Changes {
		if c.Offboard {
			offboarded = append(offboarded, c.Action+" "+c.Address)
		}
	}
	if doc.Summary.Destroy != 1 || len(offboarded) != 1 || offboarded[0] != `delete service_account.user["bob@acme.com"]` {
		t.Errorf("plan JSON: destroy %d, offboarded %q", doc.Summary.Destroy, offboarded)
	}

	r = runFed(t, srv, append([]string{"setup", "--yes"}, two...)...)
	if r.code != 0 {
		t.Fatalf("setup without bob: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"pass alice@acme.com: Session would start", "pass carol@acme.com: Session would start",
		"earlier token rejected  bob@acme.com  a token minted before the offboarding is now rejected (401)",
		"pass bob@acme.com: Access revoked", "Undo: gcloud iam service-accounts enable fedctl-bob@"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("setup output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "ya29.fedctl.") {
		t.Error("a token was printed")
	}

	if r := runFed(t, srv, "verify", "--revoked", "--user", "bob@acme.com"); r.code != 0 {
		t.Errorf("verify --revoked bob: exit %d\n%s", r.code, r.stdout)
	}
	if r := runFed(t, srv, "verify", "--revoked", "--user", "alice@acme.com"); r.code != 3 {
		t.Errorf("verify --revoked alice: exit %d, want 3\n%s", r.code, r.stdout)
	}
	if r := runFed(t, srv, "verify", "--revoked"); r.code != 2 {
		t.Errorf("verify --revoked without --user: exit %d, want 2", r.code)
	}

	r = runFed(t, srv, "teardown", "--user", "carol@acme.com", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, `- service_account.user["carol@acme.com"]`) || strings.Contains(r.stdout, "service_account.admin") {
		t.Errorf("teardown --user carol: exit %d\n%s", r.code, r.stdout)
	}
	if r := runFed(t, srv, "teardown", "--delete", "--yes"); r.code != 2 {
		t.Errorf("teardown --delete without --user: exit %d, want 2", r.code)
	}

	// bob is back: re-enabled; his proof now fails (exit 3).
	if r := runFed(t, srv, append([]string{"setup", "--yes"}, three...)...); r.code != 0 || !strings.Contains(r.stdout, "re-enabled") {
		t.Fatalf("setup with bob again: exit %d\n%s", r.code, r.stdout)
	}
	if r := runFed(t, srv, "verify", "--revoked", "--user", "bob@acme.com"); r.code != 3 {
		t.Errorf("verify --revoked bob after re-enabling: exit %d, want 3", r.code)
	}
}

// wif: after a teardown the workload's token can no longer be exchanged
// and impersonate the target; verify --revoked says so (exit 0), and
// before the teardown it exits 3.
func TestWIFRevokedAfterTeardown(t *testing.T) {
	srv := newFedServer(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token.jwt")
	args := wifArgs("--attribute-condition", "assertion.org == 'acme'")
	if r := runFed(t, srv, append([]string{"setup", "--yes"}, args...)...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	aud := "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc"
	jwt, err := srv.MintSubjectToken("demo", map[string]any{"sub": "wf-1", "org": "acme", "aud": aud})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(jwt), 0o600); err != nil {
		t.Fatal(err)
	}
	revoked := append([]string{"verify", "--revoked", "--subject-token-file", tokenFile}, args...)
	if r := runFed(t, srv, revoked...); r.code != 3 {
		t.Errorf("verify --revoked before teardown: exit %d, want 3\n%s", r.code, r.stdout)
	}
	r := runFed(t, srv, append([]string{"teardown", "--yes"}, args...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "principal unbound") {
		t.Fatalf("teardown: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, revoked...)
	if r.code != 0 || !strings.Contains(r.stdout, "STS refuses the token") {
		t.Errorf("verify --revoked after teardown: exit %d\n%s", r.code, r.stdout)
	}
}
