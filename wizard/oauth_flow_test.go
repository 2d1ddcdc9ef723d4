package wizard

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/consenttest"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// The oauth path: the client file screen, plan, apply, and on the Verify
// screen c signs in as the operator through the consent page (answered
// here by submitting its form), which proves the session end to end.
// oauthEmu is an emulated project with a desktop OAuth client (its file
// written) and a backend whose "browser" answers the consent page by
// submitting its form (Allow, keeping login_hint's account).
func oauthEmu(t *testing.T) (*emu, Backend, string, *emulator.OAuthClient) {
	e := newEmu(t)
	cl, err := e.srv.CreateOAuthClient(emulator.OAuthClientSpec{Name: "Acme BigQuery"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]any{"installed": map[string]string{"client_id": cl.ID, "client_secret": cl.Secret}})
	file := filepath.Join(t.TempDir(), "client.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	sleep := func(ctx context.Context, d time.Duration) error { e.clock.Advance(d); return ctx.Err() }
	backend := NewBackend(e.client, BackendOptions{
		Engine:       engine.Options{Consistency: gcp.RetryPolicy{Sleep: sleep}, Now: e.clock.Now},
		Verify:       verify.Options{Sleep: sleep, Now: e.clock.Now},
		OAuthBrowser: oauthflow.Browser{Name: "test", Open: consenttest.Opener("", "allow")},
	})
	return e, backend, file, cl
}

func TestFlowOAuthConsentForOperator(t *testing.T) {
	_, backend, file, cl := oauthEmu(t)
	cfg := &config.Config{Project: "demo-project", Mode: config.ModeOAuth}
	cfg.OAuth.Users = []string{"alice@acme.com", "operator@example.com"}
	s := testSession(cfg, backend)
	s.operator = "operator@example.com" // gcloud's account: the Verify screen starts with them
	tm := teatest.NewTestModel(t, newModel(s, stepOAuthClient), teatest.WithInitialTermSize(120, 60))
	waitFor(t, tm, "The OAuth client")
	tm.Type(file)
	send(tm, "enter")
	waitFor(t, tm, "Audit evidence")
	send(tm, "enter")
	waitFor(t, tm, "Apply these changes?")
	confirmApply(t, tm)
	waitFor(t, tm, "Press enter to verify every identity.")
	send(tm, "enter")
	waitFor(t, tm, "press c on this")
	send(tm, "c")
	waitFor(t, tm, "Session would start as operator@example.com")
	send(tm, "q")
	tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second))

	if s.cfg.OAuth.ClientFile != file {
		t.Errorf("client file not kept: %q", s.cfg.OAuth.ClientFile)
	}
	got := map[string]verify.Status{}
	for _, c := range s.report.Checks {
		if c.Subject == "operator@example.com" || c.Name == verify.CheckOAuthClient {
			got[c.Name] = c.Status
		}
	}
	for _, name := range []string{verify.CheckOAuthClient, verify.CheckDataRoles, verify.CheckConsent, verify.CheckConsentedIdentity, verify.CheckProbe, verify.CheckRevoke} {
		if got[name] != verify.Pass {
			t.Errorf("%s = %q", name, got[name])
		}
	}
	out, _ := io.ReadAll(tm.FinalOutput(t))
	if strings.Contains(string(out), cl.Secret) {
		t.Error("the client secret reached the screen")
	}
}

// The accessible wizard asks the same: the client file, then whom to sign
// in as; the consent proves the session.
func TestAccessibleOAuthConsent(t *testing.T) {
	_, backend, file, cl := oauthEmu(t)
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString(strings.Join([]string{
		"",                     // project
		"3",                    // mode: oauth
		"operator@example.com", // users
		"",                     // roles
		"y",                    // data access logs
		"n",                    // log sink
		file,                   // the OAuth client file
		"yes",                  // apply
		"",                     // sign in as the first user
	}, "\n") + "\n")
	f := cmdutil.NewFactory(ios, "test")
	err := Run(context.Background(), f, &config.Config{Project: "demo-project"}, Options{Accessible: true, Backend: backend})
	if err != nil {
		t.Fatalf("Run = %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	for _, want := range []string{"consented as operator@example.com", "Session would start as operator@example.com"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String()+errOut.String(), cl.Secret) {
		t.Error("the client secret was printed")
	}
}
