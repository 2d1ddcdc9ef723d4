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

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/consenttest"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// The oauth path: the client file screen, plan, apply, and on the Verify
// screen c signs in as the operator through the consent page (answered
// here by submitting its form), which proves the session end to end.
func TestFlowOAuthConsentForOperator(t *testing.T) {
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
	cfg := &config.Config{Project: "demo-project", Mode: config.ModeOAuth}
	cfg.OAuth.Users = []string{"operator@example.com"}
	s := testSession(cfg, backend)
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
