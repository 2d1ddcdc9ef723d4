package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// runWizardFed runs setup's wizard (accessible: line prompts) on terminal
// test streams against srv, answering input.
func runWizardFed(t *testing.T, srvEndpoint, token, input string, args ...string) result {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString(input)
	f := cmdutil.NewFactory(ios, "1.2.3")
	f.Getenv = func(k string) string {
		if k == cmdutil.EnvAccessToken {
			return token
		}
		return ""
	}
	args = append([]string{"--api-endpoint", srvEndpoint, "--project", "demo-project", "setup", "--accessible"}, args...)
	code := run(context.Background(), f, args)
	return result{code, out.String(), errOut.String(), ios}
}

// The wizard path takes the wif flags like the scripted path: --preset
// prefills it even without its tenant values (the wizard asks for them),
// and --cred-config is written once the federation is in place.
func TestSetupWizardWIFPresetAndCredConfig(t *testing.T) {
	srv := newFedServer(t)
	cred := filepath.Join(t.TempDir(), "creds.json")
	input := strings.Join([]string{
		"", "", // project; mode: wif (the preset chose it)
		"", "ORG123", // preset [gumloop]; its org
		"", "", "", "", "", "", "", // issuer, mapping, condition, audiences, pool, provider, principal set
		"", "", // target SA [bigquery-runner], roles
		"y", "n", "yes", // data access logs, no log sink, apply
	}, "\n") + "\n"
	r := runWizardFed(t, srv.Endpoint, srv.Token, input, "--preset", "gumloop", "--target-sa", "bigquery-runner",
		"--cred-config", cred, "--credential-source", "/var/run/oidc/token")
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"project number:  123456789012", "credential file: " + cred, "assertion.gumloop_org_id == 'ORG123'"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	var doc map[string]any
	if b, err := os.ReadFile(cred); err != nil || json.Unmarshal(b, &doc) != nil || doc["type"] != "external_account" {
		t.Fatalf("cred config: %v %v", err, doc)
	}
}

// Flag mistakes are usage errors before any screen and any API call.
func TestSetupWizardFlagErrors(t *testing.T) {
	srv := newFedServer(t)
	r := runWizardFed(t, srv.Endpoint, srv.Token, "", "--mode", "wif", "--cred-config", "c.json")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "--credential-source") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	r = runWizardFed(t, srv.Endpoint, srv.Token, "", "--preset", "nope")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "unknown preset") {
		t.Errorf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
	if n := srv.Stats().Total; n != 0 {
		t.Errorf("%d API request(s) before the usage error", n)
	}
}
