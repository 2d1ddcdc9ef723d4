package cmd

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// Fixes printed on the sandbox are fedctl --sandbox commands: pasted as
// they are, they act on the sandbox, not on a real project named
// demo-project. These are the walkthroughs' (docs/lifecycle.md,
// docs/keys.md) commands, run as a new user would.

const qaVerifier = "user:operator@example.com"

// verify --revoked on a user who still has access: the fix is the
// sandbox's teardown --user.
func TestQASandboxRevokedFixIsSandboxTeardown(t *testing.T) {
	s := newSandboxCLI(t)
	if r := s.run("", "--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", qaVerifier); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := s.run("", "--sandbox", "verify", "--revoked", "--user", "alice@example.com")
	if r.code != 3 {
		t.Fatalf("verify --revoked: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "fedctl --sandbox teardown --user alice@example.com") {
		t.Errorf("the fix is not the sandbox's teardown:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "--project demo-project") {
		t.Errorf("a fix names --project demo-project on the sandbox:\n%s", r.stdout)
	}
}

// keys list's "Remove them" command on the sandbox is keys prune with
// --sandbox.
func TestQASandboxKeysListPruneHint(t *testing.T) {
	s := newSandboxCLI(t)
	key := filepath.Join(s.dir, "shared-key.json")
	if r := s.run("", "--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", qaVerifier, "--admin-key-file", key); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := s.run("", "--sandbox", "keys", "list")
	if r.code != 0 {
		t.Fatalf("keys list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "Remove them: fedctl --sandbox keys prune --sa fedctl-admin@demo-project.iam.gserviceaccount.com") {
		t.Errorf("the prune hint is not the sandbox's:\n%s", r.stdout)
	}
}

// A second federation's fixes keep its --name: without it a pasted setup
// plans federation "fedctl", which refuses team-b's admin SA.
func TestQAFixesKeepFederationName(t *testing.T) {
	s := newSandboxCLI(t)
	fed := []string{"--name", "team-b", "--admin-sa", "teamb-admin", "--template", "teamb-{user.email}@{project}.iam.gserviceaccount.com"}
	setup := append([]string{"--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", qaVerifier}, fed...)
	if r := s.run("", setup...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := s.run("", append([]string{"--sandbox", "verify", "--user", "dave@example.com"}, fed...)...)
	if r.code != 3 {
		t.Fatalf("verify dave: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	want := "fedctl --sandbox setup --name team-b --admin-sa teamb-admin"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("no fix %q:\n%s", want, r.stdout)
	}
}

// audit sink create checks the sink and dataset IDs as setup's preflight
// does: a usage error (exit 2) before any API call, with one JSON error
// document, instead of BigQuery's 400 halfway through the apply.
func TestQAAuditSinkCreateBadIDsAreUsageErrors(t *testing.T) {
	srv := newFedServer(t)
	for _, args := range [][]string{
		{"--dataset", "bad-name"},
		{"--name", "bad name"},
	} {
		before := srv.Stats().Total
		r := runFed(t, srv, append([]string{"--output", "json", "audit", "sink", "create", "--yes"}, args...)...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		var doc struct {
			Error struct {
				Message  string `json:"message"`
				ExitCode int    `json:"exit_code"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Error.ExitCode != 2 || !strings.Contains(doc.Error.Message, args[0]) {
			t.Errorf("%v: stdout is not the error document naming %s (%v):\n%s", args, args[0], err, r.stdout)
		}
		if n := srv.Stats().Total - before; n != 0 {
			t.Errorf("%v: %d API request(s) before the usage error", args, n)
		}
	}
}

// Google's refusal of a write under an org policy (FAILED_PRECONDITION)
// is not cured by running the command again: the fix says so and where
// the policies are, instead of "a re-run applies only what is still
// missing".
func TestQAOrgPolicyRefusalFixIsNotRerun(t *testing.T) {
	w := newKeysWorld(t)
	sa, err := w.c.CreateServiceAccount(w.ctx, keysProject, "qa-keyed", "qa", "")
	if err != nil {
		t.Fatal(err)
	}
	if r := runFed(t, w.srv, "keys", "enforce", "--yes"); r.code != 0 {
		t.Fatalf("enforce: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	_, err = w.c.CreateKey(w.ctx, sa.Email)
	if gcp.KindOf(err) != gcp.KindFailedPrecondition {
		t.Fatalf("key create under the policy: %v, want FAILED_PRECONDITION", err)
	}
	for _, in := range []fixhint.Invocation{{Project: keysProject}, {Sandbox: true, Project: keysProject}} {
		fix := fixhint.ForError(err, in)
		if strings.Contains(fix, "run the command again") || !strings.Contains(fix, "org-polic") {
			t.Errorf("sandbox=%v: fix %q", in.Sandbox, fix)
		}
	}
}

// keys prune --sa naming no service account of the project (a typo) is an
// error naming it, not "No key to prune." with exit 0.
func TestQAKeysPruneUnknownSA(t *testing.T) {
	w := newKeysWorld(t)
	sa, err := w.c.CreateServiceAccount(w.ctx, keysProject, "qa-keyed", "qa", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.CreateKey(w.ctx, sa.Email); err != nil {
		t.Fatal(err)
	}
	r := runFed(t, w.srv, "keys", "prune", "--yes", "--sa", "qa-keyd@demo-project.iam.gserviceaccount.com")
	if r.code != 1 || !strings.Contains(r.stderr, "qa-keyd@demo-project.iam.gserviceaccount.com: no such service account in project demo-project") {
		t.Errorf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if n := len(w.userKeys(sa.Email)); n != 1 {
		t.Errorf("%d keys left, want 1", n)
	}
	if r := runFed(t, w.srv, "keys", "prune", "--dry-run", "--sa", sa.Email); r.code != 0 || !strings.Contains(r.stdout, "1 to destroy") {
		t.Errorf("the right --sa: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// --user on verify (and --revoked) and token is an email, checked before
// any API call as teardown does: a typo must not "prove" a revocation.
func TestQAUserFlagIsAnEmail(t *testing.T) {
	srv := newFedServer(t)
	for _, args := range [][]string{
		{"verify", "--revoked", "--user", "notanemail"},
		{"verify", "--user", "alice@example.com", "--user", "notanemail"},
		{"token", "--user", "notanemail"},
		{"--output", "json", "verify", "--revoked", "--user", "notanemail"},
	} {
		before := srv.Stats().Total
		r := runFed(t, srv, args...)
		if r.code != 2 || !strings.Contains(r.stderr, `--user "notanemail" is not an email address`) {
			t.Errorf("%v: exit %d, want 2\n%s\n%s", args, r.code, r.stdout, r.stderr)
		}
		if n := srv.Stats().Total - before; n != 0 {
			t.Errorf("%v: %d API request(s) before the usage error", args, n)
		}
	}
}

// verify --user X (no --users) where nothing is set up: the fixes are a
// setup for X, which runs when pasted, not a setup with no users (a usage
// error).
func TestQAVerifyFixSetupNamesTheUsers(t *testing.T) {
	s := newSandboxCLI(t)
	r := s.run("", "--sandbox", "verify", "--user", "dave@example.com")
	if r.code != 3 {
		t.Fatalf("verify: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, "fedctl --sandbox setup") && !strings.Contains(line, "--users dave@example.com") {
			t.Errorf("a setup fix without the user: %q", line)
		}
	}
	setup := []string{"--sandbox", "setup", "--yes", "--users", "dave@example.com", "--verifier", qaVerifier}
	if r := s.run("", setup...); r.code != 0 {
		t.Fatalf("the fix's setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// A usage error cobra finds before it parses --output json (an unknown
// command; an unknown flag ahead of --output) still prints the one JSON
// error document on stdout, exit 2.
func TestQAJSONErrorDocumentBeforeFlagParse(t *testing.T) {
	for _, args := range [][]string{
		{"--output", "json", "bogus"},
		{"setup", "--bogus", "--output", "json"},
		{"teardown", "--detailed-exitcode", "--output=json"},
	} {
		r := runCLI(t, args...)
		var doc struct {
			Error struct {
				Message  string `json:"message"`
				ExitCode int    `json:"exit_code"`
			} `json:"error"`
		}
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2", args, r.code)
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Error.ExitCode != 2 || doc.Error.Message == "" {
			t.Errorf("%v: stdout is not the JSON error document (%v):\n%q", args, err, r.stdout)
		}
	}
	if r := runCLI(t, "setup", "--bogus"); r.stdout != "" {
		t.Errorf("text run printed on stdout: %q", r.stdout)
	}
}

// wif: the revocation table's fixes repeat the federation flags: the
// teardown fix of verify --revoked, and teardown's "try the workload's
// token" fix, which is verify's (teardown takes no --subject-token-file).
func TestQAWIFRevokedFixesCarryTheFederation(t *testing.T) {
	s := newSandboxCLI(t)
	w := []string{"--preset", "github", "--issuer-uri", "https://oidc.fedctl.invalid/demo",
		"--preset-values", "repository_owner_id=42,repository=acme/app", "--target-sa", "bigquery-runner"}
	if r := s.run("", append([]string{"--sandbox", "setup", "--yes"}, w...)...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := s.run("", append([]string{"--sandbox", "verify", "--revoked"}, w...)...)
	if r.code != 3 || !strings.Contains(r.stdout, "fedctl --sandbox teardown --issuer-uri https://oidc.fedctl.invalid/demo --target-sa bigquery-runner --preset github") {
		t.Errorf("verify --revoked: exit %d, no teardown fix with the federation flags:\n%s", r.code, r.stdout)
	}
	r = s.run("", append([]string{"--sandbox", "teardown", "--yes"}, w...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "fedctl --sandbox verify --issuer-uri https://oidc.fedctl.invalid/demo --target-sa bigquery-runner --preset github --preset-values repository_owner_id=42,repository=acme/app --revoked --subject-token-file FILE") {
		t.Errorf("teardown: exit %d, no verify fix with the federation flags:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// verify --consent with no browser prints the URL and waits; when nobody
// answers, its fix keeps --consent (without it, no browser means the
// consent is skipped, not waited for).
func TestQAConsentTimeoutFixKeepsConsent(t *testing.T) {
	srv, file, _ := oauthFed(t, "google")
	r := runAgainst(t, srv, "verify", "--mode", "oauth", "--oauth-client", file, "--user", "alice@acme.com", "--consent", "--wait", "20ms")
	if r.code != 3 || !strings.Contains(r.stdout, "--user alice@acme.com --consent --wait 5m") {
		t.Errorf("exit %d, want 3 and a fix with --consent:\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}

// verify --user bob, when the federation already has alice: the setup fix
// lists alice too, so pasting it does not offboard her (a setup's user
// list is the federation's whole list, SPEC §7.1).
func TestVerifyFixSetupKeepsTheFederationsUsers(t *testing.T) {
	s := newSandboxCLI(t)
	if r := s.run("", "--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", qaVerifier); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	r := s.run("", "--sandbox", "verify", "--user", "bob@example.com")
	if r.code != 3 {
		t.Fatalf("verify: exit %d, want 3\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var fix string
	for _, line := range strings.Split(r.stdout, "\n") {
		if i := strings.Index(line, "fedctl --sandbox setup"); i >= 0 {
			fix = strings.TrimSpace(line[i:])
		}
	}
	if !strings.Contains(fix, "bob@example.com") || !strings.Contains(fix, "alice@example.com") {
		t.Fatalf("the setup fix must list bob and the federation's alice: %q\n%s", fix, r.stdout)
	}
	args := append(strings.Fields(strings.TrimPrefix(fix, "fedctl ")), "--output", "json", "--dry-run")
	r = s.run("", args...)
	if r.code != 0 || !strings.Contains(r.stdout, `"destroy": 0`) {
		t.Errorf("pasting the fix plans a removal: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
