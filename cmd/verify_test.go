package cmd

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

// verifyWorld is an emulated project where alice is set up for
// impersonation (admin SA, her SA, Token Creator, data roles) and bob is
// not.
func verifyWorld(t *testing.T) *emulator.TestServer {
	t.Helper()
	srv := emulator.NewTestServer(t, emulator.Options{})
	ctx := context.Background()
	c, err := gcp.New(ctx, gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	const p = "demo-project"
	admin := "fedctl-admin@" + p + ".iam.gserviceaccount.com"
	alice := "fedctl-alice@" + p + ".iam.gserviceaccount.com"
	check := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Enabled in the state directly: EnableServices would poll its
	// operation with a real wait.
	check(srv.WithState(func(st *emulator.State) error {
		for _, api := range []string{"iam.googleapis.com", "iamcredentials.googleapis.com", "bigquery.googleapis.com"} {
			st.Projects[p].Services[api] = true
			st.Projects[p].ServiceEnabledAt[api] = time.Now().Add(-time.Hour)
		}
		return nil
	}))
	for _, id := range []string{"fedctl-admin", "fedctl-alice"} {
		_, err := c.CreateServiceAccount(ctx, p, id, id, "")
		check(err)
	}
	// setup --verifier user:operator@example.com: owner alone may not mint.
	_, _, err = c.ModifyPolicy(ctx, c.ServiceAccountPolicy(admin), func(pol *gcp.Policy) (bool, error) {
		return pol.AddMember("roles/iam.serviceAccountTokenCreator", "user:operator@example.com"), nil
	})
	check(err)
	_, _, err = c.ModifyPolicy(ctx, c.ServiceAccountPolicy(alice), func(pol *gcp.Policy) (bool, error) {
		return pol.AddMember("roles/iam.serviceAccountTokenCreator", "serviceAccount:"+admin), nil
	})
	check(err)
	_, _, err = c.ModifyPolicy(ctx, c.ProjectPolicy(p), func(pol *gcp.Policy) (bool, error) {
		pol.AddMember("roles/bigquery.user", "serviceAccount:"+alice)
		return pol.AddMember("roles/bigquery.dataViewer", "serviceAccount:"+alice), nil
	})
	check(err)
	return srv
}

// runAgainst runs fedctl against the emulator, as the operator.
func runAgainst(t *testing.T, srv *emulator.TestServer, args ...string) result {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "1.2.3")
	env := map[string]string{cmdutil.EnvAPIEndpoint: srv.Endpoint, cmdutil.EnvAccessToken: srv.Token}
	f.Getenv = func(k string) string { return env[k] }
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := run(ctx, f, append([]string{"--project", "demo-project"}, args...))
	return result{code, out.String(), errOut.String(), ios}
}

// noToken fails when any output carries a minted token (they all start
// ya29.fedctl.; the masked form shows 8 characters).
func noToken(t *testing.T, r result) {
	t.Helper()
	if strings.Contains(r.stdout+r.stderr, "ya29.fedctl.") {
		t.Errorf("a token was printed:\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
	}
}

func TestVerifyCommandPasses(t *testing.T) {
	srv := verifyWorld(t)
	r := runAgainst(t, srv, "verify", "--user", "alice@acme.com")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	want := "alice@acme.com: Session would start as fedctl-alice@demo-project.iam.gserviceaccount.com via fedctl-admin@demo-project.iam.gserviceaccount.com, token TTL 60 min"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("stdout lacks the verdict %q:\n%s", want, r.stdout)
	}
	if !strings.Contains(r.stderr, "Verifying 1 identity in demo-project") {
		t.Errorf("stderr = %q", r.stderr)
	}
	noToken(t, r)
}

func TestVerifyCommandFailsWithExit3(t *testing.T) {
	srv := verifyWorld(t)
	r := runAgainst(t, srv, "verify", "--user", "alice@acme.com", "--user", "bob@acme.com")
	if r.code != cmdutil.ExitChecksFailed {
		t.Fatalf("exit %d, want 3\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{
		"FAIL bob@acme.com: Session would NOT start: token mint: 403 (\"or it may not exist\"): fedctl-bob@demo-project.iam.gserviceaccount.com does not exist",
		"fedctl setup --project demo-project --users alice@acme.com,bob@acme.com",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stderr, "checks failed") {
		t.Errorf("the failure is repeated on stderr: %q", r.stderr)
	}
	noToken(t, r)
}

func TestVerifyCommandJSON(t *testing.T) {
	srv := verifyWorld(t)
	r := runAgainst(t, srv, "--output", "json", "verify", "--user", "alice@acme.com", "--user", "bob@acme.com")
	if r.code != cmdutil.ExitChecksFailed {
		t.Fatalf("exit %d, want 3; stderr %s", r.code, r.stderr)
	}
	var doc struct {
		Project string `json:"project"`
		Checks  []struct {
			Scope, Name, Subject, Status, Seen, Fix string
		} `json:"checks"`
		Users []struct {
			Email       string `json:"email"`
			OK          bool   `json:"ok"`
			TokenPrefix string `json:"token_prefix"`
			Token       string `json:"token"`
		} `json:"users"`
		Summary struct{ Pass, Fail, Warn, Skip int } `json:"summary"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, r.stdout)
	}
	if doc.Project != "demo-project" || len(doc.Users) != 2 || !doc.Users[0].OK || doc.Users[1].OK || doc.Summary.Fail == 0 {
		t.Errorf("doc = %+v", doc)
	}
	if doc.Users[0].Token != "" || !strings.HasSuffix(doc.Users[0].TokenPrefix, "…") {
		t.Errorf("alice = %+v", doc.Users[0])
	}
	noToken(t, r)

	r = runAgainst(t, srv, "--output", "json", "verify", "--user", "alice@acme.com", "--show-token")
	if r.code != 0 || !strings.Contains(r.stdout, `"token": "ya29.fedctl.`) {
		t.Errorf("--show-token: exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

func TestVerifyCommandUsage(t *testing.T) {
	srv := verifyWorld(t)
	for _, args := range [][]string{
		{"verify", "--all"}, // no users configured
		{"verify", "--all", "--user", "a@x.com"},
		{"verify", "--user", "alice@acme.com", "--template", "{nope}"},
	} {
		if r := runAgainst(t, srv, args...); r.code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %s", args, r.code, r.stderr)
		}
	}
	// Project rows only: no users needed.
	if r := runAgainst(t, srv, "verify"); r.code != 0 || !strings.Contains(r.stdout, "admin SA exists") {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --all verifies the configuration's users.
	r := runAgainst(t, srv, "verify", "--all", "--users", "alice@acme.com,bob@acme.com")
	if r.code != cmdutil.ExitChecksFailed || !strings.Contains(r.stdout, "pass alice@acme.com") {
		t.Errorf("verify --all: exit %d\n%s", r.code, r.stdout)
	}
}

func TestTokenCommand(t *testing.T) {
	srv := verifyWorld(t)
	r := runAgainst(t, srv, "token", "--user", "alice@acme.com")
	if r.code != 0 || !strings.Contains(r.stdout, "fedctl-alice@demo-project.iam.gserviceaccount.com via fedctl-admin@") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	noToken(t, r)

	r = runAgainst(t, srv, "--output", "json", "token", "--user", "alice@acme.com")
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc["service_account"] != "fedctl-alice@demo-project.iam.gserviceaccount.com" {
		t.Errorf("json: %v\n%s", err, r.stdout)
	}
	noToken(t, r)

	r = runAgainst(t, srv, "token", "--user", "alice@acme.com", "--export")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 ||
		!strings.HasPrefix(lines[0], "export CLOUDSDK_AUTH_ACCESS_TOKEN=ya29.fedctl.") ||
		lines[1] != "export CLOUDSDK_CORE_PROJECT=demo-project" ||
		lines[2] != "export FEDCTL_FEDERATED_PRINCIPAL=fedctl-alice@demo-project.iam.gserviceaccount.com" {
		t.Errorf("--export: exit %d\n%s", r.code, r.stdout)
	}
	if strings.Contains(r.stderr, "ya29.fedctl.") {
		t.Errorf("token on stderr: %s", r.stderr)
	}

	r = runAgainst(t, srv, "token", "--user", "bob@acme.com", "--export")
	if r.code != cmdutil.ExitError || r.stdout != "" || !strings.Contains(r.stderr, "does not exist") ||
		!strings.Contains(r.stderr, "fix: fedctl setup --project demo-project --users bob@acme.com") {
		t.Errorf("bob: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if n := strings.Count(r.stderr, "fix: fedctl setup --project demo-project --users bob@acme.com"); n != 1 {
		t.Errorf("bob: the fix is printed %d times, want once:\n%s", n, r.stderr)
	}
	// With --output json a failure is still one JSON document on stdout.
	r = runAgainst(t, srv, "--output", "json", "token", "--user", "bob@acme.com")
	var fail struct {
		User    string `json:"user"`
		OK      bool   `json:"ok"`
		Verdict string `json:"verdict"`
		Checks  []any  `json:"checks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &fail); err != nil || r.code != cmdutil.ExitError ||
		fail.User != "bob@acme.com" || fail.OK || fail.Verdict == "" || len(fail.Checks) == 0 {
		t.Errorf("bob json: exit %d, err %v\nstdout:\n%s", r.code, err, r.stdout)
	}
	noToken(t, r)
	if r := runAgainst(t, srv, "token"); r.code != cmdutil.ExitUsage {
		t.Errorf("token without --user: exit %d", r.code)
	}
}
