package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
)

// Preflight through the command line: privileged roles are a usage error
// (exit 2) with nothing written; warnings and errors appear in the plan's
// text and JSON; --data-role-bundle and --sa-quota reach the engine.
func TestPreflightOnTheCommandLine(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com", "--roles", "roles/owner")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stdout, "Preflight error: privileged data role(s): roles/owner") ||
		!strings.Contains(r.stdout, "--allow-privileged-roles") || strings.Contains(r.stdout, "bigquery.jobs.create") {
		t.Fatalf("roles/owner: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if w := setupWrites(srv.Stats()); w != 0 {
		t.Fatalf("%d writes", w)
	}

	r = runFed(t, srv, "plan", "--users", "alice@acme.com", "--roles", "roles/bigquery.dataViewer", "--output", "json")
	var doc struct {
		Preflight []struct {
			Check    string `json:"check"`
			Severity string `json:"severity"`
			Message  string `json:"message"`
			Fix      string `json:"fix"`
		} `json:"preflight"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &doc) != nil || len(doc.Preflight) != 1 ||
		doc.Preflight[0].Check != "query_permission" || doc.Preflight[0].Severity != "warning" || !strings.Contains(doc.Preflight[0].Fix, "roles/bigquery.jobUser") {
		t.Fatalf("dataViewer-only plan JSON: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}

	r = runFed(t, srv, "plan", "--users", "alice@acme.com,bob@acme.com", "--sa-quota", "2", "--data-role-bundle")
	if r.code != 0 || !strings.Contains(r.stdout, "Preflight warning: the project would hold 3 service accounts") ||
		!strings.Contains(r.stdout, "+ custom_role.data_roles") || !strings.Contains(r.stdout, "projects/demo-project/roles/fedctlDataRoles") {
		t.Fatalf("plan with --sa-quota and --data-role-bundle: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runFed(t, srv, "plan", "--users", "alice@acme.com", "--data-role-bundle=no spaces"); r.code != cmdutil.ExitUsage {
		t.Errorf("bad bundle ID: exit %d", r.code)
	}
	if r := runFed(t, srv, "plan", "--users", "alice@acme.com"); r.code != 0 || strings.Contains(r.stdout, "Preflight") {
		t.Errorf("valid plan: exit %d\n%s", r.code, r.stdout)
	}
}

// setup --data-role-bundle converges and its own verification passes
// (verify knows the one role the identities hold); teardown removes it.
func TestDataRoleBundleSetupVerifyTeardown(t *testing.T) {
	srv := newFedServer(t)
	args := []string{"--users", "alice@acme.com", "--verifier", "user:operator@example.com", "--data-role-bundle"}
	if r := runFed(t, srv, append([]string{"setup", "--yes"}, args...)...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if r := runFed(t, srv, "verify", "--users", "alice@acme.com", "--data-role-bundle"); r.code != 0 {
		t.Fatalf("verify: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r := runFed(t, srv, "teardown", "--yes", "--data-role-bundle") // the whole federation
	if r.code != 0 || !strings.Contains(r.stdout, "- custom_role.data_roles") {
		t.Fatalf("teardown: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
}
