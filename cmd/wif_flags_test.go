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
	"gopkg.in/yaml.v3"
)

func wifArgs(extra ...string) []string {
	return append([]string{"--mode", "wif", "--pool", "demo-pool", "--provider", "demo-oidc",
		"--issuer-uri", emulator.DemoIssuerURI("demo"),
		"--attribute-mapping", "google.subject=assertion.sub,attribute.org=assertion.org",
		"--target-sa", "bq-runner", "--principal-set", "attribute.org/acme"}, extra...)
}

func TestWIFSetupCredConfigAndVerifyWithToken(t *testing.T) {
	srv := newFedServer(t)
	dir := t.TempDir()
	credFile, tokenFile := filepath.Join(dir, "creds.json"), filepath.Join(dir, "token.jwt")
	r := runFed(t, srv, append([]string{"setup", "--yes", "--cred-config", credFile, "--credential-source", tokenFile},
		wifArgs("--attribute-condition", "assertion.org == 'acme'")...)...)
	if r.code != 0 {
		t.Fatalf("setup exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`+ workload_identity_pool["demo-pool"]`, "project number:  123456789012",
		"provider:        projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc",
		"service account: bq-runner@demo-project.iam.gserviceaccount.com"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	var cred map[string]any
	b, err := os.ReadFile(credFile)
	if err != nil || json.Unmarshal(b, &cred) != nil {
		t.Fatalf("cred config: %v %s", err, b)
	}
	if cred["token_url"] != srv.Endpoint+"sts/v1/token" || cred["credential_source"].(map[string]any)["file"] != tokenFile ||
		!strings.HasPrefix(cred["service_account_impersonation_url"].(string), srv.Endpoint+"iamcredentials/v1/projects/-/serviceAccounts/bq-runner@") {
		t.Errorf("cred config = %s", b)
	}

	aud := "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc"
	jwt, _ := srv.MintSubjectToken("demo", map[string]any{"sub": "wf-1", "org": "acme", "aud": aud})
	os.WriteFile(tokenFile, []byte(jwt), 0o600)
	r = runFed(t, srv, append([]string{"verify", "--subject-token-file", tokenFile, "--output", "json"},
		wifArgs("--attribute-condition", "assertion.org == 'acme'")...)...)
	if r.code != 0 {
		t.Fatalf("verify exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if strings.Contains(r.stdout, jwt) {
		t.Error("verify printed the subject token")
	}
	for _, name := range []string{`"wif_sts_exchange"`, `"wif_impersonation"`, `"wif_bigquery_probe"`} {
		if !strings.Contains(r.stdout, name) {
			t.Errorf("verify JSON lacks %s", name)
		}
	}
}

func TestWIFSafetyRefusalsMakeNoAPICalls(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no condition": {wifArgs(), "--allow-unconditioned"},
		"wildcard":     {append(wifArgs("--attribute-condition", "assertion.org == 'acme'"), "--principal-set", "*"), "--allow-wildcard"},
		"bad CEL":      {wifArgs("--attribute-condition", "assertion.org = 'acme'"), "column 15"},
		"preset short": {[]string{"--preset", "github", "--target-sa", "gh-runner", "--preset-values", "repository=acme/app"}, "repository_owner_id"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFedServer(t)
			r := runFed(t, srv, append([]string{"plan"}, tc.args...)...)
			if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant 2 mentioning %q", r.code, r.stderr, tc.want)
			}
			if n := srv.Stats().Total; n != 0 {
				t.Errorf("%d API request(s) before the refusal", n)
			}
		})
	}
}

func TestWIFPresetAndForcedRisksWarnLoudly(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "plan", "--preset", "gumloop", "--principal-set", "attribute.org/ORG123", "--target-sa", "bigquery-runner")
	if r.code != 0 || !strings.Contains(r.stdout, "https://api.gumloop.com") || !strings.Contains(r.stdout, "assertion.gumloop_org_id == 'ORG123'") {
		t.Errorf("preset plan: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, append([]string{"plan", "--allow-unconditioned"}, wifArgs()...)...)
	if r.code != 0 || !strings.Contains(r.stderr, "WARNING: The provider has NO attribute condition") {
		t.Errorf("forced: exit %d\n%s", r.code, r.stderr)
	}
}

// --cred-config with --sandbox would hold token URLs on the in-process
// emulator's temporary port: refused before any call, naming the fix.
func TestWIFCredConfigRefusedWithSandbox(t *testing.T) {
	dir := t.TempDir()
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "1.2.3")
	env := map[string]string{"XDG_STATE_HOME": dir, "HOME": dir}
	f.Getenv = func(k string) string { return env[k] }
	credFile := filepath.Join(dir, "creds.json")
	code := run(context.Background(), f, append([]string{"--sandbox", "setup", "--yes", "--cred-config", credFile,
		"--credential-source", filepath.Join(dir, "token.jwt")}, wifArgs("--attribute-condition", "assertion.org == 'acme'")...))
	if code != cmdutil.ExitUsage {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, cmdutil.ExitUsage, out, errOut)
	}
	for _, want := range []string{"fedctl sandbox serve", "--api-endpoint"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(credFile); err == nil {
		t.Error("a credential file was written")
	}
	if _, err := os.Stat(filepath.Join(dir, "fedctl", "sandbox.json")); err == nil {
		t.Error("the sandbox was started (state file written) before the refusal")
	}
}

// --preset github prints the job's permissions and auth step; --workflow
// writes a minimal workflow. Both are YAML GitHub reads.
func TestWIFGitHubStepAndWorkflow(t *testing.T) {
	srv := newFedServer(t)
	wfFile := filepath.Join(t.TempDir(), "bq.yml")
	args := []string{"setup", "--yes", "--mode", "wif", "--preset", "github", "--preset-values", "repository_owner_id=42,repository=acme/app",
		"--target-sa", "gh-runner", "--workflow", wfFile}
	r := runFed(t, srv, args...)
	if r.code != 0 {
		t.Fatalf("setup exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	provider := "projects/123456789012/locations/global/workloadIdentityPools/"
	sa := "gh-runner@demo-project.iam.gserviceaccount.com"
	type step struct {
		ID   string            `yaml:"id"`
		Uses string            `yaml:"uses"`
		With map[string]string `yaml:"with"`
		Run  string            `yaml:"run"`
	}
	type job struct {
		RunsOn      string            `yaml:"runs-on"`
		Permissions map[string]string `yaml:"permissions"`
		Steps       []step            `yaml:"steps"`
	}
	checkAuth := func(label string, j job) {
		t.Helper()
		if j.Permissions["id-token"] != "write" {
			t.Errorf("%s: permissions = %v, want id-token: write", label, j.Permissions)
		}
		for _, s := range j.Steps {
			if s.Uses == "google-github-actions/auth@v2" {
				if !strings.HasPrefix(s.With["workload_identity_provider"], provider) || !strings.Contains(s.With["workload_identity_provider"], "/providers/") || s.With["service_account"] != sa {
					t.Errorf("%s: auth step with = %v", label, s.With)
				}
				return
			}
		}
		t.Errorf("%s: no google-github-actions/auth step in %+v", label, j.Steps)
	}

	// The printed step: the setup JSON carries it; the text shows it.
	r = runFed(t, srv, append(args, "--output", "json")...)
	var doc struct {
		Apply *struct {
			WIF struct {
				GitHubActions string `json:"github_actions"`
			} `json:"wif"`
		} `json:"apply"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("setup JSON: %v\n%s", err, r.stdout)
	}
	snippet := ""
	if doc.Apply != nil {
		snippet = doc.Apply.WIF.GitHubActions
	}
	if snippet == "" {
		// A converged setup has nothing to apply: plan-only JSON; take the text.
		r = runFed(t, srv, args...)
		i := strings.Index(r.stdout, "GitHub Actions")
		if i < 0 {
			t.Fatalf("no GitHub Actions block in:\n%s", r.stdout)
		}
		var lines []string
		for _, l := range strings.Split(r.stdout[i:], "\n")[1:] {
			if !strings.HasPrefix(l, "  ") {
				break
			}
			lines = append(lines, strings.TrimPrefix(l, "  "))
		}
		snippet = strings.Join(lines, "\n")
	}
	var j job
	if err := yaml.Unmarshal([]byte(snippet), &j); err != nil {
		t.Fatalf("printed step is not YAML: %v\n%s", err, snippet)
	}
	checkAuth("printed step", j)

	b, err := os.ReadFile(wfFile)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On          map[string]any `yaml:"on"`
		Permissions map[string]string
		Jobs        map[string]job `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("workflow is not YAML: %v\n%s", err, b)
	}
	if len(wf.On) == 0 || len(wf.Jobs) != 1 {
		t.Fatalf("workflow = %s", b)
	}
	for name, jb := range wf.Jobs {
		if jb.RunsOn == "" {
			t.Errorf("job %s has no runs-on", name)
		}
		checkAuth("workflow job "+name, jb)
	}

	// --workflow for another issuer is a usage error before any call.
	r = runFed(t, srv, "plan", "--preset", "gumloop", "--principal-set", "attribute.org/ORG123", "--target-sa", "bigquery-runner", "--workflow", wfFile)
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "--preset github") {
		t.Errorf("--workflow with gumloop: exit %d\n%s", r.code, r.stderr)
	}
}
