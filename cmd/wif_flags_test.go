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
