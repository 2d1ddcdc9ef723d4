package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/consenttest"
	"github.com/fedctl/fedctl/oauthflow"
)

// oauthWorld is an oauth-mode project: alice holds the data roles on her
// own Google account; the sandbox has a desktop OAuth client.
func oauthWorld(t *testing.T, spec emulator.OAuthClientSpec) (*world, *emulator.OAuthClient) {
	w := newWorld(t, emulator.Options{})
	return w, w.oauthProject(t, spec)
}

// oauthProject makes w's project the oauth-mode one oauthWorld describes.
func (w *world) oauthProject(t *testing.T, spec emulator.OAuthClientSpec) *emulator.OAuthClient {
	w.cfg = &config.Config{Project: testProject, Mode: config.ModeOAuth}
	w.cfg.OAuth.Users = []string{"alice@acme.com"}
	w.cfg.ApplyDefaults()
	must(t, w.srv.WithState(func(st *emulator.State) error {
		for _, api := range w.cfg.RequiredAPIs() {
			st.Projects[w.project].Services[api] = true
			st.Projects[w.project].ServiceEnabledAt[api] = w.clock.Now().Add(-time.Hour)
		}
		return nil
	}))
	w.editProject(func(p *gcp.Policy) bool {
		for _, r := range w.cfg.Roles() {
			p.AddMember(r, "user:alice@acme.com")
		}
		return true
	})
	cl, err := w.srv.CreateOAuthClient(spec)
	must(t, err)
	return cl
}

func clientFile(t *testing.T, v any) *oauthflow.ClientFile {
	b, _ := json.Marshal(v)
	c, err := oauthflow.ParseClientFile(b)
	must(t, err)
	return c
}

func (w *world) oauthRun(cf *oauthflow.ClientFile, open func(context.Context, string) error, port int) *Report {
	o := w.opts("alice@acme.com")
	o.OAuth = &OAuthOptions{Client: cf, ClientFile: "client.json", Browser: oauthflow.Browser{Name: "test", Open: open}, Wait: 30 * time.Second, Port: port}
	return w.run(o)
}

func TestOAuthConsentAllowGoogleInstalledFile(t *testing.T) {
	w, cl := oauthWorld(t, emulator.OAuthClientSpec{Name: "Acme BQ"})
	cf := clientFile(t, map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret,
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token", "redirect_uris": []string{"http://localhost"}}})
	rep := w.oauthRun(cf, consenttest.Opener("", "allow"), -1)
	for _, name := range []string{CheckOAuthClient, CheckDataRoles, CheckConsent, CheckConsentedIdentity, CheckProbe, CheckRevoke} {
		if c := row(t, rep, name, ""); c.Status != Pass {
			t.Errorf("%s: %s %s (fix %s)", name, c.Status, c.Seen, c.Fix)
		}
	}
	if rep.Failed() || len(rep.Users) != 1 || !rep.Users[0].OK {
		t.Fatalf("report: %+v", rep.Users)
	}
	if got := row(t, rep, CheckProbe, "").Seen; !strings.Contains(got, "ran as alice@acme.com") {
		t.Errorf("probe did not run as the user: %s", got)
	}
	// BigQuery's audit log names the human, with no delegation chain
	// (Hoop's gcp_oauth attribution).
	found := false
	for _, raw := range w.srv.LogEntries() {
		var e struct {
			ProtoPayload struct {
				ServiceName        string `json:"serviceName"`
				AuthenticationInfo struct {
					PrincipalEmail string            `json:"principalEmail"`
					Delegation     []json.RawMessage `json:"serviceAccountDelegationInfo"`
				} `json:"authenticationInfo"`
			} `json:"protoPayload"`
		}
		if json.Unmarshal(raw, &e) == nil && e.ProtoPayload.ServiceName == "bigquery.googleapis.com" {
			found = true
			if a := e.ProtoPayload.AuthenticationInfo; a.PrincipalEmail != "alice@acme.com" || len(a.Delegation) != 0 {
				t.Errorf("BigQuery audit entry: principal %q, %d delegates", a.PrincipalEmail, len(a.Delegation))
			}
		}
	}
	if !found {
		t.Error("no BigQuery audit entry for the probe")
	}
	// The JSON never carries the client secret.
	var b strings.Builder
	must(t, RenderJSON(&b, rep))
	if strings.Contains(b.String(), cl.Secret) {
		t.Fatal("client secret in the report")
	}
}

func TestOAuthConsentMisattribution(t *testing.T) {
	w, cl := oauthWorld(t, emulator.OAuthClientSpec{})
	cf := clientFile(t, map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret}})
	rep := w.oauthRun(cf, consenttest.Opener("bob@acme.com", "allow"), -1)
	id := row(t, rep, CheckConsentedIdentity, "")
	if id.Status != Fail || id.Seen != "consented as bob@acme.com: queries would be attributed to the wrong person" {
		t.Fatalf("identity row: %+v", id)
	}
	if p := row(t, rep, CheckProbe, ""); p.Status != Skip {
		t.Errorf("probe ran with bob's token: %+v", p)
	}
	if r := row(t, rep, CheckRevoke, ""); r.Status != Pass {
		t.Errorf("bob's token not revoked: %+v", r)
	}
	if !rep.Failed() {
		t.Fatal("a misattributed consent must fail verify")
	}
}

func TestOAuthConsentDeny(t *testing.T) {
	w, cl := oauthWorld(t, emulator.OAuthClientSpec{})
	cf := clientFile(t, map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret}})
	rep := w.oauthRun(cf, consenttest.Opener("", "deny"), -1)
	c := row(t, rep, CheckConsent, "")
	if c.Status != Fail || !strings.Contains(c.Seen, "access_denied") || !strings.Contains(c.Fix, "choose Allow, signed in as alice@acme.com") {
		t.Fatalf("consent row: %+v", c)
	}
}

// A Hoop-format file ({client_id, client_secret}) of a web client: the
// loopback redirect must be registered on it, port included.
func TestOAuthConsentHoopWebClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	w, cl := oauthWorld(t, emulator.OAuthClientSpec{Type: "web",
		RedirectURIs: []string{"https://hoop.acme.com/api/federation/oauth/callback", fmt.Sprintf("http://127.0.0.1:%d/", port)}})
	cf := clientFile(t, map[string]string{"client_id": cl.ID, "client_secret": cl.Secret})
	if cf.Format != oauthflow.FormatHoop {
		t.Fatalf("format %s", cf.Format)
	}
	rep := w.oauthRun(cf, consenttest.Opener("", "allow"), port)
	if rep.Failed() {
		t.Fatalf("hoop file: %+v", rep.Checks)
	}
	// A wrong secret is Google's invalid_client at the token endpoint.
	bad := clientFile(t, map[string]string{"client_id": cl.ID, "client_secret": "GOCSPX-wrong"})
	rep = w.oauthRun(bad, consenttest.Opener("", "allow"), port)
	c := row(t, rep, CheckConsent, "")
	if c.Status != Fail || !strings.Contains(c.Seen, "invalid_client") || !strings.Contains(c.Fix, "client.json") {
		t.Fatalf("wrong secret: %+v", c)
	}
}

func TestOAuthConsentNoBrowserSkips(t *testing.T) {
	w, cl := oauthWorld(t, emulator.OAuthClientSpec{})
	cf := clientFile(t, map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret}})
	rep := w.oauthRun(cf, nil, -1)
	c := row(t, rep, CheckConsent, "")
	if c.Status != Skip || !strings.Contains(c.Fix, "--consent") || rep.Failed() {
		t.Fatalf("consent row without a browser: %+v", c)
	}
}

// Domain restricted sharing: a user outside the allowed domains gets a
// failing row (the static check of SPEC §7.5's setup), with or without a
// client file; without the constraint there is no row.
func TestOAuthMemberDomainRow(t *testing.T) {
	w, _ := oauthWorld(t, emulator.OAuthClientSpec{})
	if rep := w.run(w.opts("alice@acme.com")); hasRow(rep, CheckMemberDomain) {
		t.Fatal("a row without any domain restriction")
	}
	must(t, w.c.SetOrgPolicy(context.Background(), w.project, &gcp.OrgPolicy{Constraint: gcp.ConstraintAllowedPolicyMemberDomains,
		Rules: []gcp.OrgPolicyRule{{Allowed: []string{"example.com"}}}}))
	rep := w.run(w.opts("alice@acme.com"))
	c := row(t, rep, CheckMemberDomain, "")
	if c.Status != Fail || !strings.Contains(c.Seen, "allows only example.com") || !rep.Failed() {
		t.Fatalf("alice@acme.com under example.com only: %+v", c)
	}
}

func hasRow(rep *Report, name string) bool {
	for _, c := range rep.Checks {
		if c.Name == name {
			return true
		}
	}
	return false
}

// oauth mode mints no service-account tokens: no Data Access row warns
// that iam's ADMIN_READ logs are off; BigQuery's row says what it proves
// there (each query attributed to the user's own account).
func TestOAuthDataAccessLogRows(t *testing.T) {
	w, _ := oauthWorld(t, emulator.OAuthClientSpec{})
	rep := w.run(w.opts("alice@acme.com"))
	for _, c := range rep.Checks {
		if c.Name == CheckDataAccessLogs && (c.Subject == "iam.googleapis.com" || strings.Contains(c.Seen, "mint")) {
			t.Errorf("oauth mode has an iam mint row: %+v", c)
		}
	}
	wantRow(t, rep, CheckDataAccessLogs, "bigquery.googleapis.com", Pass, "attribute", "user")
}
