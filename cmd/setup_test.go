package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/iostreams"
)

// newFedServer is an emulator whose operations complete at once: the
// Factory's gcp client polls operations with real waits, which command tests
// must not incur.
func newFedServer(t *testing.T) *emulator.TestServer {
	return emulator.NewTestServer(t, emulator.Options{OperationPolls: -1})
}

// setupWrites counts the requests that change what setup and teardown
// manage (the verification table's mints and probes are not among them).
func setupWrites(st emulator.Stats) int64 {
	var n int64
	for route, c := range st.ByRoute {
		switch route {
		case "serviceusage.services.enable", "serviceusage.services.batchEnable",
			"iam.projects.serviceAccounts.create", "iam.projects.serviceAccounts.delete",
			"iam.projects.serviceAccounts.setIamPolicy", "iam.projects.serviceAccounts.keys.create",
			"cloudresourcemanager.projects.setIamPolicy":
			n += c
		}
	}
	return n
}

// runFed runs fedctl against the test emulator srv (through --api-endpoint
// and the operator's token) with non-terminal test streams.
func runFed(t *testing.T, srv *emulator.TestServer, args ...string) result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "1.2.3")
	env := map[string]string{cmdutil.EnvAccessToken: srv.Token}
	f.Getenv = func(k string) string { return env[k] }
	args = append([]string{"--api-endpoint", srv.Endpoint, "--project", "demo-project"}, args...)
	code := run(context.Background(), f, args)
	return result{code, out.String(), errOut.String(), ios}
}

func TestSetupScriptedConvergesThenNoChanges(t *testing.T) {
	srv := newFedServer(t)
	args := []string{"setup", "--yes", "--users", "alice@acme.com,bob@acme.com", "--verifier", "user:operator@example.com"}
	r := runFed(t, srv, args...)
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`+ service_account.user["alice@acme.com"]`, "Plan: 5 to add, 4 to change, 0 to destroy.", "Setup complete", "alice@acme.com → fedctl-alice@demo-project.iam.gserviceaccount.com"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	// Progress: one line per step on stderr, nothing of it on stdout.
	if !strings.Contains(r.stderr, `create service_account.user["alice@acme.com"]`) || strings.Contains(r.stdout, "✓ create") {
		t.Errorf("progress lines misplaced\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}

	before := srv.Stats()
	r = runFed(t, srv, args...)
	if r.code != 0 {
		t.Fatalf("second run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "No changes. Federation is up to date.") {
		t.Errorf("second run does not say No changes:\n%s", r.stdout)
	}
	// The verification table still mints and probes; setup writes nothing.
	if got := setupWrites(srv.Stats()) - setupWrites(before); got != 0 {
		t.Errorf("second run made %d write request(s):\n%s", got, srv.Stats())
	}
}

func TestSetupWithoutTTYNeedsYes(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "setup", "--users", "alice@acme.com")
	if r.code != cmdutil.ExitUsage {
		t.Errorf("exit %d, want %d", r.code, cmdutil.ExitUsage)
	}
	if !strings.Contains(r.stdout, "Plan: ") {
		t.Errorf("the plan was not printed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, "must pass --yes when not running interactively") {
		t.Errorf("stderr: %s", r.stderr)
	}
	if srv.Stats().Writes != 0 {
		t.Errorf("%d writes without --yes", srv.Stats().Writes)
	}
}

func TestSetupDryRunChangesNothing(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "setup", "--dry-run", "--users", "alice@acme.com")
	if r.code != 0 || srv.Stats().Writes != 0 || !strings.Contains(r.stdout, "Plan: 4 to add") {
		t.Errorf("exit %d, %d writes, stdout:\n%s", r.code, srv.Stats().Writes, r.stdout)
	}
}

// Every bad input is reported, all at once, before any request: exit 2 and
// zero API calls.
func TestBadInputsMakeNoAPICalls(t *testing.T) {
	dir := t.TempDir()
	badYAML := filepath.Join(dir, "bad.yaml")
	os.WriteFile(badYAML, []byte("project: demo-project\nimpersonation:\n  userz: [a@b.com]\n"), 0o644)
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"bad email":          {[]string{"--users", "not-an-email"}, []string{"not-an-email"}},
		"bad role":           {[]string{"--users", "alice@acme.com", "--roles", "bigquery.user"}, []string{"bigquery.user"}},
		"illegal SA id":      {[]string{"--users", "j.doe@acme.com"}, []string{"j.doe@acme.com", "fedctl-j.doe"}},
		"colliding SA ids":   {[]string{"--users", "alice@acme.com,alice@other.org"}, []string{"alice@acme.com", "alice@other.org"}},
		"bad placeholder":    {[]string{"--users", "alice@acme.com", "--template", "x-{user.name}"}, []string{"{user.name}"}},
		"bad grant":          {[]string{"--users", "alice@acme.com", "--grant", "everyone"}, []string{"everyone"}},
		"bad name":           {[]string{"--users", "alice@acme.com", "--name", "Team_B"}, []string{"--name", "Team_B"}},
		"unknown YAML key":   {[]string{"--config", badYAML}, []string{"userz", ":3"}},
		"several at once":    {[]string{"--users", "bad1,alice@acme.com", "--roles", "nope"}, []string{"bad1", "nope"}},
		"missing users file": {[]string{"--users-file", filepath.Join(dir, "nope.txt")}, []string{"nope.txt"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFedServer(t)
			for _, cmd := range []string{"setup", "plan", "teardown"} {
				r := runFed(t, srv, append([]string{cmd, "--yes"}, tc.args...)...)
				if cmd == "plan" {
					r = runFed(t, srv, append([]string{cmd}, tc.args...)...)
				}
				if r.code != cmdutil.ExitUsage {
					t.Errorf("%s: exit %d, want 2; stderr:\n%s", cmd, r.code, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, r.stderr)
					}
				}
			}
			if n := srv.Stats().Total; n != 0 {
				t.Errorf("%d API request(s) before preflight passed", n)
			}
		})
	}
}

func TestPlanDetailedExitCode(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "plan", "--detailed-exitcode", "--users", "alice@acme.com")
	if r.code != cmdutil.ExitPending {
		t.Fatalf("pending: exit %d, want 4\n%s", r.code, r.stderr)
	}
	if r := runFed(t, srv, "plan", "--users", "alice@acme.com"); r.code != 0 {
		t.Errorf("without --detailed-exitcode: exit %d", r.code)
	}
	if r := runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com", "--verifier", "user:operator@example.com"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	r = runFed(t, srv, "plan", "--detailed-exitcode", "--users", "alice@acme.com", "--verifier", "user:operator@example.com")
	if r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("up to date: exit %d\n%s", r.code, r.stdout)
	}
}

func TestJSONOutputIsOneDocument(t *testing.T) {
	srv := newFedServer(t)
	for _, args := range [][]string{
		{"plan", "--output", "json", "--users", "alice@acme.com"},
		{"setup", "--yes", "--output", "json", "--users", "alice@acme.com", "--verifier", "user:operator@example.com"},
		{"teardown", "--yes", "--output", "json", "--users", "alice@acme.com", "--verifier", "user:operator@example.com"},
	} {
		r := runFed(t, srv, args...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], r.code, r.stderr)
		}
		dec := json.NewDecoder(strings.NewReader(r.stdout))
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, r.stdout)
		}
		if dec.More() {
			t.Errorf("%s: more than one document on stdout", args[0])
		}
		if doc["format_version"] != "1.0" {
			t.Errorf("%s: format_version = %v", args[0], doc["format_version"])
		}
		if args[0] != "plan" {
			if doc["plan"] == nil || doc["apply"] == nil {
				t.Errorf("%s: plan/apply missing: %v", args[0], doc)
			}
		}
	}
}

func TestTeardownLeavesForeignAndNeedsYes(t *testing.T) {
	srv := newFedServer(t)
	users := []string{"--users", "alice@acme.com", "--verifier", "user:operator@example.com"}
	if r := runFed(t, srv, append([]string{"setup", "--yes"}, users...)...); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	// A full teardown needs no users: it finds what the federation owns by
	// its marks (--users on teardown names users to offboard).
	users = []string{"--verifier", "user:operator@example.com"}
	r := runFed(t, srv, append([]string{"teardown"}, users...)...)
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "--yes") || !strings.Contains(r.stdout, "- service_account.admin") {
		t.Errorf("teardown without --yes: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, append([]string{"teardown", "--yes"}, users...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Teardown complete") {
		t.Fatalf("teardown: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, append([]string{"teardown", "--yes"}, users...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Nothing to tear down") {
		t.Errorf("second teardown: exit %d\n%s", r.code, r.stdout)
	}
}

// On a terminal without --yes, setup shows the plan and asks; "n" aborts
// (exit 130) with nothing written, "y" applies.
// On a terminal, setup with --output json (no wizard: stdout is a JSON
// document) asks on stderr before applying.
func TestSetupConfirmsOnTerminal(t *testing.T) {
	srv := newFedServer(t)
	for _, tc := range []struct {
		answer string
		code   int
	}{{"n\n", cmdutil.ExitCancel}, {"y\n", 0}} {
		ios, in, out, errOut := iostreams.Test()
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
		in.WriteString(tc.answer)
		f := cmdutil.NewFactory(ios, "1.2.3")
		f.Getenv = func(k string) string {
			if k == cmdutil.EnvAccessToken {
				return srv.Token
			}
			return ""
		}
		before := setupWrites(srv.Stats())
		code := run(context.Background(), f, []string{"--api-endpoint", srv.Endpoint, "--project", "demo-project",
			"setup", "--output", "json", "--users", "alice@acme.com", "--verifier", "user:operator@example.com"})
		if code != tc.code {
			t.Fatalf("answer %q: exit %d, want %d\n%s\n%s", tc.answer, code, tc.code, out, errOut)
		}
		if !strings.Contains(errOut.String(), "Apply these changes? [y/N]") {
			t.Errorf("no prompt on stderr:\n%s", errOut)
		}
		wrote := setupWrites(srv.Stats()) - before
		if (tc.code == 0) != (wrote > 0) {
			t.Errorf("answer %q: %d writes", tc.answer, wrote)
		}
	}
}

// On a terminal without --yes, setup opens the wizard; its accessible
// (line-prompt) form aborts on end of input with nothing written: the
// wizard never hangs waiting for keys.
func TestSetupOnTerminalOpensWizard(t *testing.T) {
	srv := newFedServer(t)
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	f := cmdutil.NewFactory(ios, "1.2.3")
	f.Getenv = func(k string) string {
		if k == cmdutil.EnvAccessToken {
			return srv.Token
		}
		return ""
	}
	code := run(context.Background(), f, []string{"--api-endpoint", srv.Endpoint, "--project", "demo-project",
		"setup", "--accessible", "--users", "alice@acme.com"})
	if code != cmdutil.ExitCancel {
		t.Fatalf("exit %d, want %d (abort on end of input)\n%s\n%s", code, cmdutil.ExitCancel, out, errOut)
	}
	if w := setupWrites(srv.Stats()); w != 0 {
		t.Errorf("the aborted wizard made %d writes", w)
	}
	if strings.Contains(errOut.String(), "Apply these changes? [y/N]") {
		t.Errorf("the scripted prompt appeared instead of the wizard:\n%s", errOut)
	}
}
