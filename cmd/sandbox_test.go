package cmd

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

// `fedctl sandbox serve` answers the real Google clients, and prints the
// export lines that point fedctl at it.
func TestSandboxServeAnswersRealClients(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ready struct{ endpoint, token string }
	readyc := make(chan ready, 1)
	done := make(chan error, 1)
	opts := &SandboxServeOptions{Addr: "127.0.0.1:0", StatePath: filepath.Join(t.TempDir(), "state.json"),
		ready: func(e, tok string) { readyc <- ready{e, tok} }}
	go func() { done <- runSandboxServe(ctx, f, opts) }()
	var r ready
	select {
	case r = <-readyc:
	case err := <-done:
		t.Fatalf("serve stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	if !strings.Contains(out.String(), "export FEDCTL_API_ENDPOINT="+r.endpoint) || !strings.Contains(out.String(), "export FEDCTL_ACCESS_TOKEN=") {
		t.Errorf("export lines missing:\n%s", out.String())
	}
	noSleep := gcp.RetryPolicy{Sleep: func(context.Context, time.Duration) error { return nil }}
	c, err := gcp.New(ctx, gcp.Config{Endpoint: r.endpoint, AccessToken: r.token, Retry: noSleep})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnableServices(ctx, "demo-project", []string{"iam.googleapis.com"}); err != nil {
		t.Fatalf("enable IAM through sandbox serve: %v", err)
	}
	p, err := c.GetProject(ctx, "demo-project")
	if err != nil {
		t.Fatalf("GetProject through sandbox serve: %v", err)
	}
	if p.Number == "" {
		t.Errorf("project number missing: %+v", p)
	}
	sa, err := c.CreateServiceAccount(ctx, "demo-project", "served-sa", "Served", "")
	if err != nil {
		t.Fatalf("create SA: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	// The state file kept what was created.
	ios2, _, _, _ := iostreams.Test()
	f2 := cmdutil.NewFactory(ios2, "test")
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	go func() { done <- runSandboxServe(ctx2, f2, opts) }()
	r = <-readyc
	c2, err := gcp.New(ctx2, gcp.Config{Endpoint: r.endpoint, AccessToken: r.token})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c2.GetServiceAccount(ctx2, sa.Email); err != nil {
		t.Errorf("SA not persisted across serve runs: %v", err)
	}
	cancel2()
	<-done
}

// --sandbox keeps one project across commands, and `sandbox reset` starts over.
func TestSandboxFlagKeepsStateAcrossCommands(t *testing.T) {
	stateHome := t.TempDir()
	runSandbox := func(args ...string) result {
		t.Helper()
		ios, _, out, errOut := iostreams.Test()
		f := cmdutil.NewFactory(ios, "test")
		f.Getenv = func(k string) string {
			if k == "XDG_STATE_HOME" {
				return stateHome
			}
			return ""
		}
		code := run(context.Background(), f, args)
		return result{code, out.String(), errOut.String(), ios}
	}
	setup := []string{"--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", "user:operator@example.com", "--output", "json"}
	r := runSandbox(setup...)
	if r.code != 0 {
		t.Fatalf("first setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Plan struct {
			HasChanges bool `json:"has_changes"`
		} `json:"plan"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || !doc.Plan.HasChanges {
		t.Fatalf("first setup should change things (err %v):\n%s", err, r.stdout)
	}
	r = runSandbox(setup...)
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 0 || doc.Plan.HasChanges {
		t.Fatalf("second setup should find the state of the first (exit %d, err %v):\n%s", r.code, err, r.stdout)
	}
	if r = runSandbox("sandbox", "reset", "--yes"); r.code != 0 {
		t.Fatalf("reset: exit %d: %s", r.code, r.stderr)
	}
	r = runSandbox(setup[:len(setup)-2]...)
	if r.code != 0 || !strings.Contains(r.stdout, "to add") {
		t.Fatalf("after reset, setup should start over (exit %d):\n%s", r.code, r.stdout)
	}
}

// A --sandbox command that stays open (as `audit tail --follow` does) does
// not lock the others out: a second command runs meanwhile, and the first
// sees what it wrote.
func TestSandboxOpenCommandDoesNotBlockOthers(t *testing.T) {
	stateHome := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(k string) string {
		if k == "XDG_STATE_HOME" {
			return stateHome
		}
		return ""
	}
	ctx := context.Background()
	endpoint, token, closeFollow, err := inProcessSandbox(f)(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFollow()

	r := run(ctx, f, []string{"--sandbox", "setup", "--yes", "--users", "alice@example.com", "--verifier", "user:operator@example.com"})
	if r != 0 {
		t.Fatalf("setup while another --sandbox command is open: exit %d", r)
	}
	c, err := gcp.New(ctx, gcp.Config{Endpoint: endpoint, AccessToken: token})
	if err != nil {
		t.Fatal(err)
	}
	var emails []string
	if err := c.ListServiceAccounts(ctx, "demo-project", func(sa *gcp.ServiceAccount) error {
		emails = append(emails, sa.Email)
		return nil
	}); err != nil {
		t.Fatalf("the open command's server after setup: %v", err)
	}
	if len(emails) == 0 {
		t.Error("the open command's server does not see the accounts setup created")
	}
}

// `sandbox oidc-token` writes a demo-issuer JWT (0600) whose claims are the
// ones asked for, and refuses to overwrite.
func TestSandboxOIDCToken(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "state.json")
	out := filepath.Join(dir, "token.jwt")
	args := []string{"sandbox", "oidc-token", "--state", state, "--sub", "repo:acme/app", "--aud", "//iam.googleapis.com/x",
		"--claim", "repository=acme/app", "--out", out}
	r := runCLI(t, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v, mode %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(out)
	parts := strings.Split(string(b), ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", b)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	if claims["sub"] != "repo:acme/app" || claims["repository"] != "acme/app" || claims["iss"] != "https://oidc.fedctl.invalid/demo" {
		t.Errorf("claims = %v", claims)
	}
	if strings.Contains(r.stdout+r.stderr, string(b)) {
		t.Error("the token was printed")
	}
	if r := runCLI(t, args...); r.code != cmdutil.ExitUsage {
		t.Errorf("overwrite: exit %d, want 2", r.code)
	}
}
