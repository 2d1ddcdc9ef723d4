package gcp_test

// Integration tests: gcp's exported API, through the real generated clients
// and cloud.google.com/go/bigquery over HTTP, against the emulator — every
// behaviour of issue 2 §3/§4. Nothing sleeps: the emulator runs on a fake
// clock and the retry policy's Sleep records each wait and advances that
// clock instead.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
	"google.golang.org/api/iterator"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

const (
	project       = "demo-project"
	projectNumber = "123456789012"
	operator      = "user:operator@example.com"

	tokenCreator = "roles/iam.serviceAccountTokenCreator"
	getToken     = "iam.serviceAccounts.getAccessToken"
)

// waits records the retry policy's waits; each advances the fake clock.
type waits struct {
	mu    sync.Mutex
	clock *emulator.FakeClock
	got   []time.Duration
}

func (w *waits) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w.mu.Lock()
	w.got = append(w.got, d)
	w.mu.Unlock()
	w.clock.Advance(d)
	return nil
}

// take returns the waits recorded since the last take.
func (w *waits) take() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.got
	w.got = nil
	return out
}

// world is an emulator on a fake clock and the operator's gcp.Client.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *emulator.FakeClock
	ts    *emulator.TestServer
	waits *waits
	c     *gcp.Client // the operator (roles/owner)
}

// retryInitial is the test policy's first backoff.
const retryInitial = 100 * time.Millisecond

func newWorld(t *testing.T, opts emulator.Options) *world {
	t.Helper()
	clock := emulator.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	opts.Now = clock.Now
	w := &world{t: t, ctx: context.Background(), clock: clock, waits: &waits{clock: clock}}
	w.ts = emulator.NewTestServer(t, opts)
	w.c = w.client(w.ts.Token)
	return w
}

// client is a gcp.Client on the emulator with a static bearer token ("":
// no Authorization header) and the recording retry policy.
func (w *world) client(token string) *gcp.Client {
	w.t.Helper()
	c, err := gcp.New(w.ctx, gcp.Config{Endpoint: w.ts.Endpoint, AccessToken: token,
		Retry: gcp.RetryPolicy{Attempts: 5, Initial: retryInitial, Max: time.Second, Sleep: w.waits.sleep}})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// as is a token source for a principal ("serviceAccount:x", "user:x"),
// minted by the emulator as if it had signed in.
func (w *world) as(principal string) oauth2.TokenSource {
	return oauth2.StaticTokenSource(&oauth2.Token{AccessToken: w.ts.MintToken(emulator.Identity{Principal: principal}), TokenType: "Bearer"})
}

func (w *world) enable(services ...string) {
	w.t.Helper()
	if err := w.c.EnableServices(w.ctx, project, services); err != nil {
		w.t.Fatal(err)
	}
	w.waits.take()
}

func (w *world) createSA(id string) string {
	w.t.Helper()
	sa, err := w.c.CreateServiceAccount(w.ctx, project, id, "SA "+id, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return sa.Email
}

// grant adds member to role on r (read-modify-write).
func (w *world) grant(r gcp.PolicyResource, role, member string) {
	w.t.Helper()
	if _, _, err := w.c.ModifyPolicy(w.ctx, r, func(p *gcp.Policy) (bool, error) { return p.AddMember(role, member), nil }); err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) routeCount(route string) int64 { return w.ts.Stats().ByRoute[route] }

// wantKind asserts that err is (or wraps) a *gcp.Error of kind and returns
// it: gcp's operations return their errors classified.
func wantKind(t *testing.T, what string, err error, kind gcp.Kind) *gcp.Error {
	t.Helper()
	var ge *gcp.Error
	if err == nil {
		t.Fatalf("%s: no error, want %v", what, kind)
	}
	if !errors.As(err, &ge) || ge.Kind != kind {
		t.Fatalf("%s: got %v (kind %v), want %v", what, err, gcp.KindOf(err), kind)
	}
	return ge
}

func saEmail(id string) string { return id + "@" + project + ".iam.gserviceaccount.com" }

func TestIntegrationGetProject(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	for _, name := range []string{project, projectNumber} {
		p, err := w.c.GetProject(w.ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if p.ID != project || p.Number != projectNumber || p.State != "ACTIVE" {
			t.Errorf("GetProject(%s) = %+v", name, p)
		}
	}
	// Google answers a missing project as one the caller may not see.
	_, err := w.c.GetProject(w.ctx, "no-such-project")
	wantKind(t, "missing project", err, gcp.KindPermissionDenied)
}

func TestIntegrationServicesEnableAwaitsOperation(t *testing.T) {
	w := newWorld(t, emulator.Options{OperationPolls: 2})
	want := []string{"iam.googleapis.com", "iamcredentials.googleapis.com", "bigquery.googleapis.com"}
	states, err := w.c.ServiceStates(w.ctx, project, want)
	if err != nil {
		t.Fatal(err)
	}
	if states["iam.googleapis.com"] || states["iamcredentials.googleapis.com"] || !states["bigquery.googleapis.com"] || len(states) != 3 {
		t.Fatalf("before: %v", states)
	}

	w.ts.ResetStats()
	if err := w.c.EnableServices(w.ctx, project, want[:2]); err != nil {
		t.Fatal(err)
	}
	// Two polls answer done:false, the third done: each poll waits first.
	if n := w.routeCount("serviceusage.services.batchEnable"); n != 1 {
		t.Errorf("batchEnable calls = %d, want 1", n)
	}
	if n := w.routeCount("serviceusage.operations.get"); n != 3 {
		t.Errorf("operations.get calls = %d, want 3", n)
	}
	// The first poll one round trip of the enable call later (the emulator
	// answers in well under 250ms; at least 10ms), then jittered
	// doubling from 250ms (equal jitter: between half and all of 250ms,
	// 500ms).
	got := w.waits.take()
	if len(got) != 3 {
		t.Fatalf("poll waits = %v, want 3", got)
	}
	if got[0] < 5*time.Millisecond || got[0] > 250*time.Millisecond {
		t.Errorf("first poll wait = %v, want within [5ms, 250ms]", got[0])
	}
	for i, d := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond} {
		if got[i+1] < d/2 || got[i+1] > d {
			t.Errorf("poll wait %d = %v, want within [%v, %v]", i+1, got[i+1], d/2, d)
		}
	}
	states, err = w.c.ServiceStates(w.ctx, project, want)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range want {
		if !states[s] {
			t.Errorf("after: %s not enabled (%v)", s, states)
		}
	}

	// One service goes through services.enable (batchEnable rejects one).
	w.ts.ResetStats()
	if err := w.c.EnableServices(w.ctx, project, []string{"sts.googleapis.com"}); err != nil {
		t.Fatal(err)
	}
	if w.routeCount("serviceusage.services.enable") != 1 || w.routeCount("serviceusage.services.batchEnable") != 0 {
		t.Errorf("single enable: %v", w.ts.Stats())
	}
	if states, err := w.c.ServiceStates(w.ctx, project, []string{"sts.googleapis.com"}); err != nil || !states["sts.googleapis.com"] {
		t.Errorf("sts after enable: %v, %v", states, err)
	}
}

func TestIntegrationServiceDisabled(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	_, err := w.c.CreateServiceAccount(w.ctx, project, "fedctl-admin", "", "")
	e := wantKind(t, "create with iam off", err, gcp.KindServiceDisabled)
	if e.Service != "iam.googleapis.com" || e.Code != http.StatusForbidden {
		t.Errorf("service disabled: %+v", e)
	}
	_, err = w.c.GetServiceAccount(w.ctx, saEmail("fedctl-admin"))
	if e := wantKind(t, "get with iam off", err, gcp.KindServiceDisabled); e.Service != "iam.googleapis.com" {
		t.Errorf("get: service %q", e.Service)
	}

	w.enable("iam.googleapis.com")
	alice := w.createSA("fedctl-alice")
	_, err = w.c.GenerateAccessToken(w.ctx, alice, nil, nil, 0, nil)
	if e := wantKind(t, "mint with iamcredentials off", err, gcp.KindServiceDisabled); e.Service != "iamcredentials.googleapis.com" {
		t.Errorf("mint: service %q", e.Service)
	}
}

func TestIntegrationServiceAccounts(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	w.enable("iam.googleapis.com")

	sa, err := w.c.CreateServiceAccount(w.ctx, project, "fedctl-alice", "Alice", "alice's federation identity")
	if err != nil {
		t.Fatal(err)
	}
	if sa.Email != saEmail("fedctl-alice") || sa.UniqueID == "" || sa.DisplayName != "Alice" || sa.Project != project {
		t.Errorf("created %+v", sa)
	}
	got, err := w.c.GetServiceAccount(w.ctx, sa.Email)
	if err != nil || *got != *sa {
		t.Errorf("get = %+v, %v; want %+v", got, err, sa)
	}
	_, err = w.c.CreateServiceAccount(w.ctx, project, "fedctl-alice", "", "")
	if e := wantKind(t, "create twice", err, gcp.KindAlreadyExists); e.Code != http.StatusConflict {
		t.Errorf("already exists: %+v", e)
	}
	_, err = w.c.GetServiceAccount(w.ctx, saEmail("fedctl-nobody"))
	wantKind(t, "get missing", err, gcp.KindNotFound)

	// 250 more: ListServiceAccounts follows the pages (IAM's 100 a page).
	for i := range 250 {
		w.createSA(fmt.Sprintf("fedctl-user-%03d", i))
	}
	w.ts.ResetStats()
	seen := map[string]bool{}
	err = w.c.ListServiceAccounts(w.ctx, project, func(sa *gcp.ServiceAccount) error {
		if seen[sa.Email] {
			t.Errorf("listed twice: %s", sa.Email)
		}
		seen[sa.Email] = true
		return nil
	})
	if err != nil || len(seen) != 251 || !seen[saEmail("fedctl-alice")] {
		t.Fatalf("listed %d, %v", len(seen), err)
	}
	if n := w.routeCount("iam.projects.serviceAccounts.list"); n != 3 {
		t.Errorf("list calls = %d for 251 SAs, want 3", n)
	}
	// The callback's error stops the listing, as is.
	stop := errors.New("enough")
	w.ts.ResetStats()
	n := 0
	err = w.c.ListServiceAccounts(w.ctx, project, func(*gcp.ServiceAccount) error {
		if n++; n == 150 {
			return stop
		}
		return nil
	})
	if err != stop || w.routeCount("iam.projects.serviceAccounts.list") != 2 {
		t.Errorf("stop at 150: %v after %d pages", err, w.routeCount("iam.projects.serviceAccounts.list"))
	}

	// Deleted: gone.
	if err := w.c.DeleteServiceAccount(w.ctx, sa.Email); err != nil {
		t.Fatal(err)
	}
	_, err = w.c.GetServiceAccount(w.ctx, sa.Email)
	wantKind(t, "get deleted", err, gcp.KindNotFound)
}

func TestIntegrationVisibilityDelay(t *testing.T) {
	w := newWorld(t, emulator.Options{VisibilityDelay: 10 * time.Second})
	w.enable("iam.googleapis.com")
	email := w.createSA("fedctl-alice")

	_, err := w.c.GetServiceAccount(w.ctx, email)
	wantKind(t, "get just created", err, gcp.KindNotFound)
	_, _, err = w.c.ModifyPolicy(w.ctx, w.c.ProjectPolicy(project), func(p *gcp.Policy) (bool, error) {
		return p.AddMember("roles/viewer", "serviceAccount:"+email), nil
	})
	wantKind(t, "bind just created", err, gcp.KindInvalidArgument)

	w.clock.Advance(10 * time.Second)
	if _, err := w.c.GetServiceAccount(w.ctx, email); err != nil {
		t.Fatalf("after the delay: %v", err)
	}
	w.grant(w.c.ProjectPolicy(project), "roles/viewer", "serviceAccount:"+email)
}

func TestIntegrationKeysAndKeyFileTokens(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: time.Minute})
	w.enable("iam.googleapis.com", "iamcredentials.googleapis.com")
	runner, alice := w.createSA("fedctl-runner"), w.createSA("fedctl-alice")

	if keys, err := w.c.ListKeys(w.ctx, runner, true); err != nil || len(keys) != 0 {
		t.Fatalf("user-managed keys before: %v, %v", keys, err)
	}
	keyJSON, err := w.c.CreateKey(w.ctx, runner)
	if err != nil {
		t.Fatal(err)
	}
	var kf struct {
		Type         string `json:"type"`
		ProjectID    string `json:"project_id"`
		PrivateKeyID string `json:"private_key_id"`
		PrivateKey   string `json:"private_key"`
		ClientEmail  string `json:"client_email"`
		TokenURI     string `json:"token_uri"`
	}
	if err := json.Unmarshal(keyJSON, &kf); err != nil {
		t.Fatal("key file does not parse") // never print the key
	}
	if kf.Type != "service_account" || kf.ClientEmail != runner || kf.ProjectID != project || kf.PrivateKeyID == "" ||
		!strings.HasPrefix(kf.PrivateKey, "-----BEGIN ") || kf.TokenURI != "https://oauth2.googleapis.com/token" {
		t.Errorf("key file: type %q email %q project %q key id %q token_uri %q", kf.Type, kf.ClientEmail, kf.ProjectID, kf.PrivateKeyID, kf.TokenURI)
	}
	keys, err := w.c.ListKeys(w.ctx, runner, true)
	if err != nil || len(keys) != 1 {
		t.Fatalf("user-managed keys after: %v, %v", keys, err)
	}
	if k := keys[0]; !strings.HasSuffix(k.Name, "/keys/"+kf.PrivateKeyID) || k.KeyType != "USER_MANAGED" || k.ValidAfter.IsZero() || k.Disabled {
		t.Errorf("key %+v", k)
	}
	all, err := w.c.ListKeys(w.ctx, runner, false)
	if err != nil || len(all) < 2 {
		t.Errorf("all keys (with Google-managed ones): %d, %v", len(all), err)
	}

	// The key file's token goes through ENDPOINT/oauth2/token and is
	// accepted: the runner mints a token for alice with it.
	ts, err := w.c.TokenSourceFromKeyFile(w.ctx, keyJSON)
	if err != nil {
		t.Fatal(err)
	}
	w.grant(w.c.ServiceAccountPolicy(alice), tokenCreator, "serviceAccount:"+runner)
	w.clock.Advance(time.Minute)
	w.ts.ResetStats()
	tok, err := w.c.GenerateAccessToken(w.ctx, alice, nil, nil, 0, ts)
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("mint as the key file's SA: %v", err)
	}
	if n := w.routeCount("oauth2.token"); n != 1 {
		t.Errorf("oauth2.token calls = %d, want 1", n)
	}
}

// concurrentWriter checks ModifyPolicy on r against a concurrent writer:
// the hook on route makes, once, its own read-modify-write through a second
// client between our read and our write, so our write meets a stale etag
// (409), and the helper redoes its read-modify-write keeping the other
// binding, the pre-existing conditional binding and (projects) auditConfigs.
func concurrentWriter(t *testing.T, route string, resource func(c *gcp.Client) gcp.PolicyResource, audit bool) {
	var (
		armed   atomic.Bool
		writes  int
		writer  *gcp.Client
		hookErr error
	)
	w := newWorld(t, emulator.Options{Hook: func(name string, r *http.Request) {
		if name != route || !armed.CompareAndSwap(true, false) {
			return
		}
		writes++ // a new member each time, so that each run is a write
		_, _, hookErr = writer.ModifyPolicy(r.Context(), resource(writer), func(p *gcp.Policy) (bool, error) {
			return p.AddMember("roles/viewer", fmt.Sprintf("user:writer%d@example.com", writes)), nil
		})
	}})
	writer = w.client(w.ts.Token)
	w.enable("iam.googleapis.com")
	w.createSA("fedctl-alice")
	r := resource(w.c)

	cond := &gcp.Condition{Title: "office-hours", Description: "weekdays only",
		Expression: `request.time.getDayOfWeek("Europe/Berlin") < 5`}
	_, _, err := w.c.ModifyPolicy(w.ctx, r, func(p *gcp.Policy) (bool, error) {
		p.Bindings = append(p.Bindings, &gcp.Binding{Role: "roles/iam.serviceAccountUser", Members: []string{"user:carol@example.com"}, Condition: cond})
		if audit {
			p.AuditConfigs = append(p.AuditConfigs, &gcp.AuditConfig{Service: "iam.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{
				{LogType: "ADMIN_READ", ExemptedMembers: []string{"user:robot@example.com"}}, {LogType: "DATA_READ"}}})
		}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	w.ts.ResetStats()
	w.waits.take()
	armed.Store(true)
	calls := 0
	final, written, err := w.c.ModifyPolicy(w.ctx, r, func(p *gcp.Policy) (bool, error) {
		calls++
		return p.AddMember(tokenCreator, "user:alice@example.com"), nil
	})
	if err != nil || hookErr != nil || !written {
		t.Fatalf("modify: written %v, err %v, concurrent writer's err %v", written, err, hookErr)
	}
	if armed.Load() {
		t.Fatal("the concurrent writer never ran")
	}
	// Ours: read, write (409), read, write; the writer's: read, write.
	get, set := strings.Replace(route, "setIamPolicy", "getIamPolicy", 1), route
	if calls != 2 || w.routeCount(get) != 3 || w.routeCount(set) != 3 {
		t.Errorf("fn ran %d times; %d reads, %d writes; want 2, 3, 3", calls, w.routeCount(get), w.routeCount(set))
	}
	if got := w.waits.take(); len(got) != 1 || got[0] < retryInitial/2 || got[0] > retryInitial {
		t.Errorf("backoff before the redo: %v", got)
	}

	stored, err := r.Get(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []*gcp.Policy{final, stored} {
		if !p.HasMember(tokenCreator, "user:alice@example.com") || !p.HasMember("roles/viewer", "user:writer1@example.com") {
			t.Errorf("lost a binding: %s", mustJSON(p))
		}
		var kept *gcp.Binding
		for _, b := range p.Bindings {
			if b.Condition != nil {
				kept = b
			}
		}
		if kept == nil || *kept.Condition != *cond || kept.Role != "roles/iam.serviceAccountUser" || len(kept.Members) != 1 {
			t.Errorf("conditional binding: %s", mustJSON(kept))
		}
		if p.Version != 3 {
			t.Errorf("version %d, want 3", p.Version)
		}
		if audit && (!p.AuditLogsEnabled("iam.googleapis.com", "ADMIN_READ") || !p.AuditLogsEnabled("iam.googleapis.com", "DATA_READ") ||
			len(p.AuditConfigs) != 1 || len(p.AuditConfigs[0].AuditLogConfigs[0].ExemptedMembers) != 1) {
			t.Errorf("auditConfigs: %s", mustJSON(p.AuditConfigs))
		}
	}
	if final.Etag != stored.Etag {
		t.Errorf("returned etag %q, stored %q", final.Etag, stored.Etag)
	}

	// Without retries the stale write surfaces, typed Aborted.
	onceNoRetry, err := gcp.New(w.ctx, gcp.Config{Endpoint: w.ts.Endpoint, AccessToken: w.ts.Token, Retry: gcp.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	_, _, err = onceNoRetry.ModifyPolicy(w.ctx, resource(onceNoRetry), func(p *gcp.Policy) (bool, error) {
		return p.AddMember(tokenCreator, "user:dave@example.com"), nil
	})
	if e := wantKind(t, "stale write, no retry", err, gcp.KindAborted); e.Code != http.StatusConflict {
		t.Errorf("aborted: %+v", e)
	}

	// Nothing to change: no write.
	w.ts.ResetStats()
	_, written, err = w.c.ModifyPolicy(w.ctx, r, func(p *gcp.Policy) (bool, error) {
		return p.AddMember(tokenCreator, "user:alice@example.com"), nil
	})
	if err != nil || written || w.routeCount(set) != 0 {
		t.Errorf("no-op: written %v, %d writes, %v", written, w.routeCount(set), err)
	}
}

func TestIntegrationModifyProjectPolicyConcurrentWriter(t *testing.T) {
	concurrentWriter(t, "cloudresourcemanager.projects.setIamPolicy",
		func(c *gcp.Client) gcp.PolicyResource { return c.ProjectPolicy(project) }, true)
}

func TestIntegrationModifyServiceAccountPolicyConcurrentWriter(t *testing.T) {
	concurrentWriter(t, "iam.projects.serviceAccounts.setIamPolicy",
		func(c *gcp.Client) gcp.PolicyResource { return c.ServiceAccountPolicy(saEmail("fedctl-alice")) }, false)
}

func TestIntegrationGenerateAccessToken(t *testing.T) {
	const delay = 2 * time.Minute
	w := newWorld(t, emulator.Options{PropagationDelay: delay})
	w.enable("iam.googleapis.com", "iamcredentials.googleapis.com")
	admin, alice, bob := w.createSA("fedctl-admin"), w.createSA("fedctl-alice"), w.createSA("fedctl-bob")
	asAdmin := w.as("serviceAccount:" + admin)

	// Denied, with the permission named.
	_, err := w.c.GenerateAccessToken(w.ctx, alice, nil, nil, 0, asAdmin)
	if e := wantKind(t, "before the grant", err, gcp.KindPermissionDenied); e.Permission != getToken {
		t.Errorf("denied: permission %q", e.Permission)
	}
	// Granted: visible at once, effective only once propagated.
	w.grant(w.c.ServiceAccountPolicy(alice), tokenCreator, "serviceAccount:"+admin)
	for _, wait := range []time.Duration{0, delay - time.Second} {
		w.clock.Advance(wait)
		_, err = w.c.GenerateAccessToken(w.ctx, alice, nil, nil, 0, asAdmin)
		wantKind(t, "within the propagation delay", err, gcp.KindPermissionDenied)
	}
	w.clock.Advance(time.Second)
	tok, err := w.c.GenerateAccessToken(w.ctx, alice, nil, nil, 10*time.Minute, asAdmin)
	if err != nil {
		t.Fatalf("after the propagation delay: %v", err)
	}
	// expireTime is whole seconds (RFC 3339 without a fraction).
	if want := w.clock.Now().Add(10 * time.Minute).Truncate(time.Second); tok.AccessToken == "" || !tok.Expiry.Equal(want) {
		t.Errorf("token expiry %v, want %v", tok.Expiry, want)
	}

	// With delegates: the operator through the admin to alice. The operator
	// (an Owner) still needs Token Creator on the admin.
	_, err = w.c.GenerateAccessToken(w.ctx, alice, []string{admin}, nil, 0, nil)
	wantKind(t, "operator without Token Creator on the delegate", err, gcp.KindPermissionDenied)
	w.grant(w.c.ServiceAccountPolicy(admin), tokenCreator, operator)
	w.clock.Advance(delay)
	delegated, err := w.c.GenerateAccessToken(w.ctx, alice, []string{admin}, nil, 0, nil)
	if err != nil {
		t.Fatalf("through the admin: %v", err)
	}

	// The delegated token is alice's: with jobUser she runs a query, and
	// its audit entry shows the chain.
	w.grant(w.c.ProjectPolicy(project), "roles/bigquery.jobUser", "serviceAccount:"+alice)
	w.clock.Advance(delay)
	if got := selectOne(t, w, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: delegated.AccessToken})); got != int64(1) {
		t.Errorf("SELECT 1 as alice = %v", got)
	}
	if !auditChain(w, alice, "operator@example.com", admin) {
		t.Error("no BigQuery audit entry for alice delegated through operator and admin")
	}

	// A deleted SA: 403 for a caller holding nothing on the project (the
	// grant on the SA went with it), 404 for one holding Token Creator there.
	w.grant(w.c.ServiceAccountPolicy(bob), tokenCreator, "serviceAccount:"+admin)
	if err := w.c.DeleteServiceAccount(w.ctx, bob); err != nil {
		t.Fatal(err)
	}
	_, err = w.c.GenerateAccessToken(w.ctx, bob, nil, nil, 0, asAdmin)
	wantKind(t, "deleted SA, no project grant", err, gcp.KindPermissionDenied)
	w.grant(w.c.ProjectPolicy(project), tokenCreator, "serviceAccount:"+admin)
	w.clock.Advance(delay)
	_, err = w.c.GenerateAccessToken(w.ctx, bob, nil, nil, 0, asAdmin)
	wantKind(t, "deleted SA", err, gcp.KindNotFound)
}

// selectOne runs SELECT 1 through gcp's BigQuery client as ts and returns
// the value (fatal on error).
func selectOne(t *testing.T, w *world, ts oauth2.TokenSource) bigquery.Value {
	t.Helper()
	v, err := querySelectOne(w, ts)
	if err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	return v
}

func querySelectOne(w *world, ts oauth2.TokenSource) (bigquery.Value, error) {
	bq, err := w.c.BigQuery(w.ctx, project, ts)
	if err != nil {
		return nil, err
	}
	defer bq.Close()
	it, err := bq.Query("SELECT 1").Read(w.ctx)
	if err != nil {
		return nil, err
	}
	var rows [][]bigquery.Value
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			break
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return nil, errors.New("not one row of one column")
	}
	return rows[0][0], nil
}

// auditChain reports whether a BigQuery audit entry has principal as its
// caller, delegated through chain (first caller first).
func auditChain(w *world, principal string, chain ...string) bool {
	for _, raw := range w.ts.LogEntries() {
		var e struct {
			ProtoPayload struct {
				ServiceName string `json:"serviceName"`
				Auth        struct {
					PrincipalEmail string `json:"principalEmail"`
					Delegation     []struct {
						First struct {
							Email string `json:"principalEmail"`
						} `json:"firstPartyPrincipal"`
					} `json:"serviceAccountDelegationInfo"`
				} `json:"authenticationInfo"`
			} `json:"protoPayload"`
		}
		if json.Unmarshal(raw, &e) != nil || e.ProtoPayload.ServiceName != "bigquery.googleapis.com" ||
			e.ProtoPayload.Auth.PrincipalEmail != principal || len(e.ProtoPayload.Auth.Delegation) != len(chain) {
			continue
		}
		ok := true
		for i, d := range e.ProtoPayload.Auth.Delegation {
			ok = ok && d.First.Email == chain[i]
		}
		if ok {
			return true
		}
	}
	return false
}

func TestIntegrationBigQuery(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: time.Minute})
	w.enable("iam.googleapis.com")
	runner := w.createSA("fedctl-runner")
	asRunner := w.as("serviceAccount:" + runner)

	// The BigQuery client's own errors, classified by gcp.Classify.
	_, err := querySelectOne(w, asRunner)
	e := wantKind(t, "SELECT 1 without bigquery.jobs.create", gcp.Classify(err), gcp.KindPermissionDenied)
	if e.Code != http.StatusForbidden || e.Reason != "accessDenied" || e.Permission != "bigquery.jobs.create" {
		t.Errorf("denied: %+v", e)
	}

	w.grant(w.c.ProjectPolicy(project), "roles/bigquery.jobUser", "serviceAccount:"+runner)
	w.clock.Advance(time.Minute)
	if got := selectOne(t, w, asRunner); got != int64(1) {
		t.Errorf("SELECT 1 = %#v, want int64(1)", got)
	}
	// The operator (roles/owner) with the Client's own credentials.
	if got := selectOne(t, w, nil); got != int64(1) {
		t.Errorf("SELECT 1 as the operator = %#v", got)
	}
}

func TestIntegrationTransientErrorsRetried(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	const route = "cloudresourcemanager.projects.get"
	w.ts.InjectFault(emulator.Fault{Route: route, Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "7"})
	w.ts.InjectFault(emulator.Fault{Route: route, Times: 1, Status: http.StatusServiceUnavailable})
	start := w.clock.Now()
	p, err := w.c.GetProject(w.ctx, project)
	if err != nil || p.Number != projectNumber {
		t.Fatalf("GetProject through 429 and 503: %+v, %v", p, err)
	}
	got := w.waits.take()
	// Retry-After (7s) outweighs the first backoff; the second is the
	// policy's own (attempt 2: between Initial and 2·Initial).
	if len(got) != 2 || got[0] != 7*time.Second || got[1] < retryInitial || got[1] > 2*retryInitial {
		t.Errorf("waits = %v, want [7s, 100-200ms]", got)
	}
	if n := w.routeCount(route); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
	if waited := w.clock.Now().Sub(start); waited < 7*time.Second {
		t.Errorf("clock advanced %v", waited)
	}

	// Attempts run out: the last error, classified.
	w.ts.ResetStats()
	w.ts.InjectFault(emulator.Fault{Route: route, Times: 10, Status: http.StatusServiceUnavailable})
	_, err = w.c.GetProject(w.ctx, project)
	wantKind(t, "503 every time", err, gcp.KindUnavailable)
	if !strings.Contains(err.Error(), "gave up after 5 tries in") {
		t.Errorf("error does not say how long it tried: %v", err)
	}
	if n, waits := w.routeCount(route), w.waits.take(); n != 5 || len(waits) != 4 {
		t.Errorf("%d requests and %d waits, want 5 and 4", n, len(waits))
	}

	// Rate limits on a list page are retried too.
	w.enable("iam.googleapis.com")
	w.ts.InjectFault(emulator.Fault{Route: "iam.projects.serviceAccounts.list", Times: 1, Status: http.StatusTooManyRequests, RetryAfter: "3"})
	if err := w.c.ListServiceAccounts(w.ctx, project, func(*gcp.ServiceAccount) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := w.waits.take(); len(got) != 1 || got[0] != 3*time.Second {
		t.Errorf("list waits = %v, want [3s]", got)
	}
}

func TestIntegrationUnauthenticated(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	for name, token := range map[string]string{"no token": "", "bad token": "ya29.not-one-of-ours"} {
		w.ts.ResetStats()
		_, err := w.client(token).GetProject(w.ctx, project)
		e := wantKind(t, name, err, gcp.KindUnauthenticated)
		if e.Code != http.StatusUnauthorized {
			t.Errorf("%s: %+v", name, e)
		}
		if name == "no token" && e.Reason != "CREDENTIALS_MISSING" {
			t.Errorf("no token: reason %q", e.Reason)
		}
		if n := w.routeCount("cloudresourcemanager.projects.get"); n != 1 {
			t.Errorf("%s: %d requests (a 401 is not retried)", name, n)
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
