package verify

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// world is an emulated project set up for federation through the real gcp
// client, as the operator (roles/owner).
type world struct {
	t       *testing.T
	srv     *emulator.TestServer
	clock   *emulator.FakeClock
	c       *gcp.Client // the operator's client
	cfg     *config.Config
	project string
	retry   gcp.RetryPolicy // the clients' (default: no retries)
}

const (
	testProject = "demo-project"
	operator    = "user:operator@example.com" // the emulator's seed operator
)

func newWorld(t *testing.T, opts emulator.Options, users ...string) *world {
	t.Helper()
	return newWorldWrapped(t, opts, nil, users...)
}

// newWorldWrapped is newWorld with wrap (a fault injector) in front of the
// emulator; its clients then retry as fedctl's do (without sleeping).
func newWorldWrapped(t *testing.T, opts emulator.Options, wrap func(http.Handler) http.Handler, users ...string) *world {
	t.Helper()
	// The fake clock starts at the real time: key files sign their JWTs with it.
	clock := emulator.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	w := &world{t: t, clock: clock, project: testProject,
		retry: gcp.RetryPolicy{Attempts: 1, Sleep: func(context.Context, time.Duration) error { return nil }}}
	if wrap == nil {
		w.srv = emulator.NewTestServer(t, opts)
	} else {
		w.srv = emulator.NewTestServerWrapped(t, opts, wrap)
		w.retry.Attempts = 0
	}
	srv := w.srv
	w.c = w.client(srv.Token)
	w.cfg = &config.Config{Project: testProject, Mode: config.ModeImpersonation}
	w.cfg.Impersonation.Users = users
	w.cfg.ApplyDefaults()
	return w
}

// client is a gcp client that speaks as the holder of token.
func (w *world) client(token string) *gcp.Client {
	w.t.Helper()
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: w.srv.Endpoint, AccessToken: token, Retry: w.retry})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// setup does what `fedctl setup` does for the configured users: the APIs,
// the admin SA, one SA per user with Token Creator for the admin on it, and
// the data roles on the project.
func (w *world) setup() {
	w.t.Helper()
	// The APIs are enabled in the state directly: EnableServices would
	// poll its operation with a real wait.
	must(w.t, w.srv.WithState(func(st *emulator.State) error {
		for _, api := range w.cfg.RequiredAPIs() {
			st.Projects[w.project].Services[api] = true
			st.Projects[w.project].ServiceEnabledAt[api] = w.clock.Now().Add(-time.Hour)
		}
		return nil
	}))
	w.createSA(w.cfg.Impersonation.AdminServiceAccount)
	// setup --verifier user:operator@example.com: the operator may mint
	// through the admin SA (owner alone does not give getAccessToken).
	w.editSA(w.admin(), func(p *gcp.Policy) bool { return p.AddMember(roleTokenCreator, operator) })
	for _, u := range w.cfg.Users() {
		id, err := w.cfg.IdentityFor(u)
		must(w.t, err)
		w.createSA(id.AccountID)
		w.grantTokenCreator(id.Email)
		w.grantDataRoles(id.Email)
	}
}

func (w *world) createSA(accountID string) {
	w.t.Helper()
	_, err := w.c.CreateServiceAccount(context.Background(), w.project, accountID, accountID, "")
	if err != nil && !gcp.IsAlreadyExists(err) {
		w.t.Fatal(err)
	}
}

func (w *world) admin() string { return w.cfg.AdminEmail() }

func (w *world) grantTokenCreator(sa string) {
	w.t.Helper()
	w.editSA(sa, func(p *gcp.Policy) bool { return p.AddMember(roleTokenCreator, "serviceAccount:"+w.admin()) })
}

func (w *world) revokeTokenCreator(sa string) {
	w.t.Helper()
	w.editSA(sa, func(p *gcp.Policy) bool { return p.RemoveMember(roleTokenCreator, "serviceAccount:"+w.admin()) })
}

func (w *world) editSA(sa string, fn func(*gcp.Policy) bool) {
	w.t.Helper()
	_, _, err := w.c.ModifyPolicy(context.Background(), w.c.ServiceAccountPolicy(sa),
		func(p *gcp.Policy) (bool, error) { return fn(p), nil })
	must(w.t, err)
}

func (w *world) editProject(fn func(*gcp.Policy) bool) {
	w.t.Helper()
	_, _, err := w.c.ModifyPolicy(context.Background(), w.c.ProjectPolicy(w.project),
		func(p *gcp.Policy) (bool, error) { return fn(p), nil })
	must(w.t, err)
}

func (w *world) grantDataRoles(sa string) {
	w.editProject(func(p *gcp.Policy) bool {
		changed := false
		for _, r := range w.cfg.Roles() {
			changed = p.AddMember(r, "serviceAccount:"+sa) || changed
		}
		return changed
	})
}

func (w *world) revokeDataRoles(sa string) {
	w.editProject(func(p *gcp.Policy) bool {
		changed := false
		for _, r := range w.cfg.Roles() {
			changed = p.RemoveMember(r, "serviceAccount:"+sa) || changed
		}
		return changed
	})
}

func (w *world) sa(user string) string {
	w.t.Helper()
	id, err := w.cfg.IdentityFor(user)
	must(w.t, err)
	return id.Email
}

// opts are verify options whose sleeps advance the emulator's clock.
func (w *world) opts(users ...string) Options {
	return Options{Users: users, Now: w.clock.Now, Sleep: func(_ context.Context, d time.Duration) error {
		w.clock.Advance(d)
		return nil
	}}
}

func (w *world) run(o Options) *Report {
	w.t.Helper()
	rep, err := Run(context.Background(), w.c, w.cfg, o)
	if err != nil {
		w.t.Fatalf("Run: %v", err)
	}
	return rep
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// row finds a check by name and subject ("" matches any subject).
func row(t *testing.T, rep *Report, name, subject string) Check {
	t.Helper()
	for _, c := range rep.Checks {
		if c.Name == name && (subject == "" || c.Subject == subject) {
			return c
		}
	}
	t.Fatalf("no %s row for %q in:\n%s", name, subject, dump(rep))
	return Check{}
}

func wantRow(t *testing.T, rep *Report, name, subject string, st Status, seen ...string) Check {
	t.Helper()
	c := row(t, rep, name, subject)
	if c.Status != st {
		t.Errorf("%s[%s] = %s (%s), want %s\n%s", name, subject, c.Status, c.Seen, st, dump(rep))
	}
	for _, s := range seen {
		if !strings.Contains(c.Seen, s) {
			t.Errorf("%s[%s] seen = %q, want it to mention %q", name, subject, c.Seen, s)
		}
	}
	return c
}

func dump(rep *Report) string {
	var b strings.Builder
	_ = RenderText(&b, rep, TextOptions{})
	return b.String()
}

func staticTS(tok string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok, TokenType: "Bearer"})
}
