package cmd

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/chromiumtest"
	"github.com/fedctl/fedctl/internal/consenttest"
	"github.com/fedctl/fedctl/iostreams"
)

// The consent tests run `fedctl verify --mode oauth` with $BROWSER set to
// this test binary re-executed as TestHelperConsentBrowser: a small
// "browser" that answers the sandbox's consent page, either in headless
// Chromium (clicking like a person) or, where no browser exists, by
// submitting the page's form with Go's HTTP client.

const (
	envHelper = "FEDCTL_TEST_CONSENT_HELPER" // "chromium" or "http"
	envEmail  = "FEDCTL_TEST_CONSENT_EMAIL"  // typed into the account field ("" keeps login_hint)
	envButton = "FEDCTL_TEST_CONSENT_BUTTON" // allow or deny
	envLog    = "FEDCTL_TEST_CONSENT_LOG"    // where the helper reports its error
)

// TestHelperConsentBrowser is the $BROWSER of the tests below; it does
// nothing in a normal run.
func TestHelperConsentBrowser(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		return
	}
	args := flag.Args()
	if len(args) == 0 {
		os.Exit(2)
	}
	url := args[len(args)-1]
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	var err error
	if mode == "chromium" {
		err = chromiumtest.AnswerConsent(ctx, chromiumtest.Path(), url, os.Getenv(envEmail), os.Getenv(envButton))
	} else {
		err = consenttest.Answer(ctx, url, os.Getenv(envEmail), os.Getenv(envButton))
	}
	if err != nil {
		os.WriteFile(os.Getenv(envLog), []byte(err.Error()), 0o600)
		os.Exit(1)
	}
	os.Exit(0)
}

// oauthFed is a sandbox where alice holds the data roles on her own
// account (setup --mode oauth), and a desktop OAuth client's file.
func oauthFed(t *testing.T, format string) (*emulator.TestServer, string, *emulator.OAuthClient) {
	srv := newFedServer(t)
	if r := runFed(t, srv, "setup", "--mode", "oauth", "--users", "alice@acme.com", "--yes"); r.code != 0 {
		t.Fatalf("setup: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	cl, err := srv.CreateOAuthClient(emulator.OAuthClientSpec{Name: "Acme BigQuery via Hoop"})
	if err != nil {
		t.Fatal(err)
	}
	var doc any = map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret, "project_id": "demo-project",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token", "redirect_uris": []string{"http://localhost"}}}
	if format == "hoop" {
		doc = map[string]string{"client_id": cl.ID, "client_secret": cl.Secret}
	}
	b, _ := json.Marshal(doc)
	path := filepath.Join(t.TempDir(), "client.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return srv, path, cl
}

// runConsent runs verify with the helper as $BROWSER.
func runConsent(t *testing.T, srv *emulator.TestServer, helper, email, button string, args ...string) (result, string) {
	t.Helper()
	logf := filepath.Join(t.TempDir(), "browser.log")
	t.Setenv(envHelper, helper)
	t.Setenv(envEmail, email)
	t.Setenv(envButton, button)
	t.Setenv(envLog, logf)
	ios, _, out, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "1.2.3")
	env := map[string]string{cmdutil.EnvAPIEndpoint: srv.Endpoint, cmdutil.EnvAccessToken: srv.Token,
		"BROWSER": os.Args[0] + " -test.run=^TestHelperConsentBrowser$"}
	f.Getenv = func(k string) string { return env[k] }
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	code := run(ctx, f, append([]string{"--project", "demo-project", "verify", "--mode", "oauth", "--user", "alice@acme.com", "--wait", "90s"}, args...))
	blog, _ := os.ReadFile(logf)
	return result{code, out.String(), errOut.String(), ios}, string(blog)
}

func needChromium(t *testing.T) {
	if chromiumtest.Path() == "" {
		t.Skip("chromium is not installed (Debian: apt-get install chromium; .ci/run installs it): skipping the headless-browser consent test")
	}
}

func rowLine(out, check string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, " "+check+" ") {
			return l
		}
	}
	return ""
}

func TestVerifyOAuthChromiumAllow(t *testing.T) {
	needChromium(t)
	srv, file, cl := oauthFed(t, "google")
	r, blog := runConsent(t, srv, "chromium", "", "allow", "--oauth-client", file, "--verbose")
	if r.code != 0 {
		t.Fatalf("exit %d (browser: %s)\n%s\n%s", r.code, blog, r.stdout, r.stderr)
	}
	for _, want := range []string{"consented as alice@acme.com", `"SELECT 1" ran as alice@acme.com`, "revoked at the revocation endpoint"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("missing %q:\n%s", want, r.stdout)
		}
	}
	if n := srv.Stats().ByRoute["accounts.oauth2.approve"]; n != 1 {
		t.Errorf("the consent form was submitted %d times, want 1", n)
	}
	if strings.Contains(r.stdout+r.stderr, cl.Secret) {
		t.Error("the client secret was printed (--verbose must mask it)")
	}
	if os.Getenv("FEDCTL_TEST_SHOW") != "" {
		t.Log(r.stderr)
	}
	noToken(t, r)
}

func TestVerifyOAuthChromiumDeny(t *testing.T) {
	needChromium(t)
	srv, file, _ := oauthFed(t, "hoop-installed")
	r, blog := runConsent(t, srv, "chromium", "", "deny", "--oauth-client", file)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (browser: %s)\n%s\n%s", r.code, blog, r.stdout, r.stderr)
	}
	if l := rowLine(r.stdout, "consent"); !strings.HasPrefix(l, "FAIL") || !strings.Contains(l, "access_denied") {
		t.Fatalf("consent row: %q\n%s", l, r.stdout)
	}
	if !strings.Contains(r.stdout, "run again and choose Allow, signed in as alice@acme.com") {
		t.Fatalf("no fix:\n%s", r.stdout)
	}
}

// The misattribution pitfall, in the browser: bob types his own account.
func TestVerifyOAuthChromiumWrongAccount(t *testing.T) {
	needChromium(t)
	srv, file, _ := oauthFed(t, "google")
	r, blog := runConsent(t, srv, "chromium", "bob@acme.com", "allow", "--oauth-client", file)
	if r.code != 3 || !strings.Contains(r.stdout, "consented as bob@acme.com: queries would be attributed to the wrong person") {
		t.Fatalf("exit %d (browser: %s)\n%s", r.code, blog, r.stdout)
	}
}

// Where no browser exists: the same flow, the form submitted by Go's HTTP
// client; a Hoop-format file.
func TestVerifyOAuthHTTPFormHoopFile(t *testing.T) {
	srv, file, _ := oauthFed(t, "google")
	// A Hoop file names no client type: verify redirects to 127.0.0.1:8085
	// unless told; this client is a desktop one, so any port works.
	b, _ := os.ReadFile(file)
	var g map[string]map[string]any
	json.Unmarshal(b, &g)
	hoop := filepath.Join(t.TempDir(), "hoop.json")
	hb, _ := json.Marshal(map[string]any{"client_id": g["installed"]["client_id"], "client_secret": g["installed"]["client_secret"]})
	os.WriteFile(hoop, hb, 0o600)
	r, blog := runConsent(t, srv, "http", "", "allow", "--oauth-client", hoop, "--redirect-port", "0", "--output", "json", "--verbose")
	if r.code != 0 {
		t.Fatalf("exit %d (browser: %s)\n%s\n%s", r.code, blog, r.stdout, r.stderr)
	}
	secret, _ := g["installed"]["client_secret"].(string)
	if !strings.Contains(r.stderr, "oauth2/token") || strings.Contains(r.stdout+r.stderr, secret) {
		t.Errorf("--verbose must trace the token request with the client secret masked:\n%s", r.stderr)
	}
	var doc struct {
		Checks []struct{ Name, Status, Seen string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, r.stdout)
	}
	got := map[string]string{}
	for _, c := range doc.Checks {
		got[c.Name] = c.Status
	}
	for _, name := range []string{"oauth_client", "oauth_consent", "consented_identity", "bigquery_probe", "token_revoke"} {
		if got[name] != "pass" {
			t.Errorf("%s = %q", name, got[name])
		}
	}
}

func TestVerifyOAuthNoBrowserSkipsAndConsentNeedsOAuth(t *testing.T) {
	srv, file, _ := oauthFed(t, "google")
	r := runAgainst(t, srv, "verify", "--mode", "oauth", "--oauth-client", file, "--user", "alice@acme.com")
	if r.code != 0 || !strings.Contains(r.stdout, "--consent") || !strings.HasPrefix(rowLine(r.stdout, "consent"), "skip") {
		t.Fatalf("no browser, no TTY: exit %d\n%s", r.code, r.stdout)
	}
	r = runAgainst(t, srv, "verify", "--consent", "--user", "alice@acme.com")
	if r.code != 2 {
		t.Fatalf("--consent outside oauth mode: exit %d, want 2\n%s", r.code, r.stderr)
	}
	bad := filepath.Join(t.TempDir(), "key.json")
	os.WriteFile(bad, []byte(`{"type":"service_account","client_email":"x@y.iam.gserviceaccount.com"}`), 0o600)
	r = runAgainst(t, srv, "verify", "--mode", "oauth", "--oauth-client", bad, "--user", "alice@acme.com")
	if r.code != 2 || !strings.Contains(r.stderr, "not an OAuth client") {
		t.Fatalf("a service-account key as --oauth-client: exit %d\n%s", r.code, r.stderr)
	}
}
