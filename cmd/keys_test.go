package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// keysWorld is an emulator whose clock starts 91 days ago, and an operator
// client on it.
type keysWorld struct {
	t     *testing.T
	ctx   context.Context
	clock *emulator.FakeClock
	srv   *emulator.TestServer
	c     *gcp.Client
}

const keysProject = "demo-project"

func newKeysWorld(t *testing.T) *keysWorld {
	t.Helper()
	clock := emulator.NewFakeClock(time.Now().Add(-91 * 24 * time.Hour))
	srv := emulator.NewTestServer(t, emulator.Options{OperationPolls: -1, Now: clock.Now})
	ctx := context.Background()
	c, err := gcp.New(ctx, gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.EnableServices(ctx, keysProject, []string{"iam.googleapis.com", "iamcredentials.googleapis.com"}); err != nil {
		t.Fatal(err)
	}
	return &keysWorld{t: t, ctx: ctx, clock: clock, srv: srv, c: c}
}

func (w *keysWorld) sa(id, description string) string {
	w.t.Helper()
	sa, err := w.c.CreateServiceAccount(w.ctx, keysProject, id, id, description)
	if err != nil {
		w.t.Fatal(err)
	}
	return sa.Email
}

func (w *keysWorld) grantProject(role, member string) {
	w.t.Helper()
	if _, _, err := w.c.ModifyPolicy(w.ctx, w.c.ProjectPolicy(keysProject), func(p *gcp.Policy) (bool, error) {
		return p.AddMember(role, member), nil
	}); err != nil {
		w.t.Fatal(err)
	}
}

// key creates a key for email and returns its file and ID.
func (w *keysWorld) key(email string) ([]byte, string) {
	w.t.Helper()
	file, err := w.c.CreateKey(w.ctx, email)
	if err != nil {
		w.t.Fatal(err)
	}
	var kf struct {
		ID string `json:"private_key_id"`
	}
	if err := json.Unmarshal(file, &kf); err != nil {
		w.t.Fatal(err)
	}
	return file, kf.ID
}

// query runs a BigQuery query signed in with a key file: the emulator's
// oauth2 endpoint serves the key and its audit entries name the key.
func (w *keysWorld) query(file []byte) {
	w.t.Helper()
	ts, err := w.c.TokenSourceFromKeyFile(w.ctx, file)
	if err != nil {
		w.t.Fatal(err)
	}
	w.queryWith(ts)
}

// queryInThePast runs a query as a key's SA while the emulator's clock is
// behind: the JWT library signs with the real time, which a token
// endpoint rightly refuses, so the token is the one the oauth2 endpoint
// would have issued then (same identity, same key name).
func (w *keysWorld) queryInThePast(email, keyID string) {
	w.t.Helper()
	tok := w.srv.MintToken(emulator.Identity{Principal: "serviceAccount:" + email,
		Scopes:  []string{"https://www.googleapis.com/auth/cloud-platform"},
		KeyName: "//iam.googleapis.com/projects/" + keysProject + "/serviceAccounts/" + email + "/keys/" + keyID})
	w.queryWith(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
}

// advance moves the emulator's clock on; the operator signs in again.
func (w *keysWorld) advance(d time.Duration) {
	w.t.Helper()
	w.clock.Advance(d)
	w.srv.Token = w.srv.OperatorToken()
	c, err := gcp.New(w.ctx, gcp.Config{Endpoint: w.srv.Endpoint, AccessToken: w.srv.Token})
	if err != nil {
		w.t.Fatal(err)
	}
	w.c = c
}

func (w *keysWorld) queryWith(ts oauth2.TokenSource) {
	w.t.Helper()
	bq, err := w.c.BigQuery(w.ctx, keysProject, ts)
	if err != nil {
		w.t.Fatal(err)
	}
	defer bq.Close()
	if _, err := bq.Query("SELECT 1").Read(w.ctx); err != nil {
		w.t.Fatalf("query with a key: %v", err)
	}
}

func (w *keysWorld) userKeys(email string) map[string]bool {
	w.t.Helper()
	ks, err := w.c.ListKeys(w.ctx, email, true)
	if err != nil {
		w.t.Fatal(err)
	}
	out := map[string]bool{} // ID → disabled
	for _, k := range ks {
		out[gcp.KeyID(k.Name)] = k.Disabled
	}
	return out
}

// threeKeys seeds the SPEC §7.6 project: a key used 91 days ago and not
// since, a key used today, and a never-used key on a federated SA.
type threeKeys struct {
	old, current, fed             string // SA emails
	oldKey, currentKey, fedKey    string // key IDs
	oldFile, currentFile, fedFile []byte
}

func seedThreeKeys(w *keysWorld) *threeKeys {
	k := &threeKeys{}
	k.old = w.sa("legacy-etl", "old batch job")
	k.current = w.sa("app-reporting", "reporting app")
	k.fed = w.sa("wif-target", "BigQuery identity of workloads federated through ci/github (fedctl, wif mode).")
	for _, sa := range []string{k.old, k.current} {
		w.grantProject("roles/bigquery.jobUser", "serviceAccount:"+sa)
	}
	if _, _, err := w.c.ModifyPolicy(w.ctx, w.c.ServiceAccountPolicy(k.fed), func(p *gcp.Policy) (bool, error) {
		return p.AddMember("roles/iam.workloadIdentityUser",
			"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/ci/attribute.repository/acme/app"), nil
	}); err != nil {
		w.t.Fatal(err)
	}
	k.oldFile, k.oldKey = w.key(k.old)
	k.fedFile, k.fedKey = w.key(k.fed)
	k.currentFile, k.currentKey = w.key(k.current)
	w.queryInThePast(k.old, k.oldKey) // 91 days ago
	w.advance(91 * 24 * time.Hour)
	w.query(k.currentFile) // today
	return k
}

func TestKeysListShowsLastUseFromTheAuditLog(t *testing.T) {
	w := newKeysWorld(t)
	k := seedThreeKeys(w)
	// An admin write signed in with the current key: an Admin Activity
	// entry naming the key, now its last use.
	w.grantProject("roles/iam.serviceAccountAdmin", "serviceAccount:"+k.current)
	ts, err := w.c.TokenSourceFromKeyFile(w.ctx, k.currentFile)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		t.Fatal(err)
	}
	asKey, err := gcp.New(w.ctx, gcp.Config{Endpoint: w.srv.Endpoint, AccessToken: tok.AccessToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := asKey.CreateServiceAccount(w.ctx, keysProject, "made-with-a-key", "", ""); err != nil {
		t.Fatal(err)
	}

	r := runFed(t, w.srv, "--output", "json", "keys", "list")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var inv struct {
		LogSince time.Time `json:"log_since"`
		Keys     []struct {
			ServiceAccount string     `json:"service_account"`
			KeyID          string     `json:"key_id"`
			Federated      bool       `json:"federated"`
			FedctlOwned    bool       `json:"fedctl_owned"`
			LastUsed       *time.Time `json:"last_used"`
			LastUseMethod  string     `json:"last_use_method"`
			Uses           int        `json:"uses"`
		} `json:"keys"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &inv); err != nil {
		t.Fatalf("not one JSON document: %v\n%s", err, r.stdout)
	}
	if len(inv.Keys) != 3 {
		t.Fatalf("%d keys, want 3:\n%s", len(inv.Keys), r.stdout)
	}
	now := time.Now()
	for _, key := range inv.Keys {
		switch key.KeyID {
		case k.oldKey:
			if key.LastUsed == nil || now.Sub(*key.LastUsed) < 90*24*time.Hour || key.Uses == 0 || key.LastUseMethod == "" {
				t.Errorf("old key: last used %v (%s, %d uses), want ~91 days ago", key.LastUsed, key.LastUseMethod, key.Uses)
			}
		case k.currentKey:
			if key.LastUsed == nil || now.Sub(*key.LastUsed) > time.Hour || key.LastUseMethod != "google.iam.admin.v1.CreateServiceAccount" {
				t.Errorf("current key: last used %v by %s, want today by CreateServiceAccount", key.LastUsed, key.LastUseMethod)
			}
		case k.fedKey:
			if key.LastUsed != nil || !key.Federated || !key.FedctlOwned {
				t.Errorf("federated key: %+v", key)
			}
		default:
			t.Errorf("unexpected key %+v", key)
		}
	}
	if inv.LogSince.IsZero() || now.Sub(inv.LogSince) < 90*24*time.Hour {
		t.Errorf("log_since %v, want the oldest entry, ~91 days ago", inv.LogSince)
	}

	r = runFed(t, w.srv, "keys", "list")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{k.fedKey[:12], "no use seen since", "fedctl,federated", "jobservice.jobcompleted",
		"fallback key undoes the lifecycle", "fedctl keys prune --project demo-project --sa " + k.fed} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runFed(t, w.srv, "--output", "json", "keys", "list", "--federated")
	if r.code != 0 || strings.Count(r.stdout, `"key_id"`) != 1 || !strings.Contains(r.stdout, k.fedKey) {
		t.Errorf("--federated: exit %d\n%s", r.code, r.stdout)
	}
	if r := runFed(t, w.srv, "keys", "list", "--federated", "--all-sas"); r.code != 2 {
		t.Errorf("--federated --all-sas: exit %d, want 2", r.code)
	}
}

// TestKeysPruneUnusedFor is SPEC §7.6's done-when: of three keys (used
// today, unused for 90 days, one on a federated SA) --unused-for 30d prunes
// the right two.
func TestKeysPruneUnusedFor(t *testing.T) {
	w := newKeysWorld(t)
	k := seedThreeKeys(w)

	// No terminal and no --yes: the plan, then a usage error naming --yes.
	r := runFed(t, w.srv, "keys", "prune", "--unused-for", "30d")
	if r.code != 2 || !strings.Contains(r.stderr, "must pass --yes") {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "Plan: 0 to add, 0 to change, 2 to destroy.") ||
		!strings.Contains(r.stdout, "- service_account_key") || !strings.Contains(r.stdout, "fallback key undoes the lifecycle") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	if n := len(w.userKeys(k.old)) + len(w.userKeys(k.fed)) + len(w.userKeys(k.current)); n != 3 {
		t.Fatalf("%d keys after a refused prune, want 3", n)
	}

	r = runFed(t, w.srv, "--output", "json", "keys", "prune", "--unused-for", "30d", "--yes")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	var doc struct {
		Plan struct {
			Summary struct{ Destroy int } `json:"summary"`
		} `json:"plan"`
		Apply struct {
			Failed int `json:"failed"`
		} `json:"apply"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Plan.Summary.Destroy != 2 || doc.Apply.Failed != 0 {
		t.Fatalf("json: %v %+v\n%s", err, doc, r.stdout)
	}
	if len(w.userKeys(k.old)) != 0 || len(w.userKeys(k.fed)) != 0 {
		t.Errorf("the unused and the federated key survived")
	}
	if ks := w.userKeys(k.current); !ks[k.currentKey] && len(ks) != 1 {
		t.Errorf("the key used today is gone: %v", ks)
	}
	r = runFed(t, w.srv, "keys", "prune", "--unused-for", "30d", "--yes")
	if r.code != 0 || !strings.Contains(r.stdout, "No changes. No key to prune.") || !strings.Contains(r.stdout, "last used") {
		t.Errorf("second prune: exit %d\n%s", r.code, r.stdout)
	}
}

func TestKeysPruneKeepsKeepAndAdminKeyAndDisables(t *testing.T) {
	w := newKeysWorld(t)
	k := seedThreeKeys(w)
	dir := t.TempDir()
	adminFile := filepath.Join(dir, "admin-key.json")
	if err := os.WriteFile(adminFile, k.currentFile, 0o600); err != nil {
		t.Fatal(err)
	}
	r := runFed(t, w.srv, "keys", "prune", "--disable-only", "--keep", k.oldKey[:10], "--admin-key-file", adminFile, "--yes", "--all")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stdout, "~ service_account_key") || !strings.Contains(r.stdout, "Plan: 0 to add, 1 to change, 0 to destroy.") ||
		!strings.Contains(r.stdout, "kept: --keep "+k.oldKey[:10]) || !strings.Contains(r.stdout, "kept: the key of --admin-key-file") {
		t.Errorf("plan:\n%s", r.stdout)
	}
	if ks := w.userKeys(k.fed); len(ks) != 1 || !ks[k.fedKey] {
		t.Errorf("federated key not disabled: %v", ks)
	}
	if ks := w.userKeys(k.old); len(ks) != 1 || ks[k.oldKey] {
		t.Errorf("--keep key touched: %v", ks)
	}
	if ks := w.userKeys(k.current); len(ks) != 1 || ks[k.currentKey] {
		t.Errorf("admin key touched: %v", ks)
	}
	// A disabled key signs nothing in: the oauth2 endpoint refuses it.
	ts, err := w.c.TokenSourceFromKeyFile(w.ctx, k.fedFile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.Token(); err == nil {
		t.Errorf("a disabled key still mints tokens")
	}

	// Deleting, still never the kept ones; a gateway's key is called out.
	r = runFed(t, w.srv, "keys", "prune", "--admin-key-file", adminFile, "--keep", k.oldKey, "--yes", "--all")
	if r.code != 0 || len(w.userKeys(k.fed)) != 0 || len(w.userKeys(k.old)) != 1 || len(w.userKeys(k.current)) != 1 {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}

	for _, bad := range [][]string{{"--keep", "xyz"}, {"--unused-for", "soon"}, {"--sa", "nobody"}, {"--admin-key-file", filepath.Join(dir, "missing.json")}} {
		if r := runFed(t, w.srv, append([]string{"keys", "prune"}, bad...)...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, r.code)
		}
	}
}

// A key that minted tokens is a gateway's: the plan calls it out.
func TestKeysPruneCallsOutAGatewayKey(t *testing.T) {
	w := newKeysWorld(t)
	w.advance(91 * 24 * time.Hour)
	admin := w.sa("fedctl-admin", "Mints short-lived tokens for the per-user service accounts (fedctl, impersonation mode).")
	_, id := w.key(admin)
	r := runFed(t, w.srv, "keys", "prune", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "A GATEWAY USES THIS KEY") || !strings.Contains(r.stdout, "is a gateway's") ||
		!strings.Contains(r.stdout, "--keep "+id[:12]) {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	if len(w.userKeys(admin)) != 1 {
		t.Errorf("--dry-run deleted a key")
	}
}

func TestKeysEnforce(t *testing.T) {
	w := newKeysWorld(t)
	w.advance(91 * 24 * time.Hour)
	sa := w.sa("batch-job", "")
	w.key(sa)

	// Refused with --admin-key-file, before any API call.
	w.srv.ResetStats()
	for _, args := range [][]string{
		{"keys", "enforce", "--yes", "--admin-key-file", "admin-key.json"},
		{"setup", "--yes", "--users", "alice@acme.com", "--enforce-no-keys", "--admin-key-file", "admin-key.json"},
	} {
		r := runFed(t, w.srv, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "Hoop's gcp_iam") || !strings.Contains(r.stderr, "--admin-key-file") {
			t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	if n := w.srv.Stats().Total; n != 0 {
		t.Errorf("the refusals made %d API calls", n)
	}

	r := runFed(t, w.srv, "keys", "enforce")
	if r.code != 2 || !strings.Contains(r.stderr, "must pass --yes") ||
		!strings.Contains(r.stdout, `+ org_policy["iam.disableServiceAccountKeyCreation"]`) ||
		!strings.Contains(r.stdout, "enforce:    false -> true") || !strings.Contains(r.stdout, "1 user-managed key(s) exist") {
		t.Fatalf("plan without --yes: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if _, err := w.c.CreateKey(w.ctx, sa); err != nil {
		t.Fatalf("a plan alone changed the policy: %v", err)
	}
	if r := runFed(t, w.srv, "keys", "enforce", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "Apply complete: 1 change(s) applied.") {
		t.Fatalf("enforce: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	// The org policy blocks the next key, as Google does; existing keys stay.
	if _, err := w.c.CreateKey(w.ctx, sa); gcp.Classify(err) == nil || gcp.Classify(err).Kind != gcp.KindFailedPrecondition {
		t.Errorf("key create after enforce: %v, want FAILED_PRECONDITION", err)
	}
	if n := len(w.userKeys(sa)); n != 2 {
		t.Errorf("%d keys after enforce, want the 2 that existed", n)
	}
	if r := runFed(t, w.srv, "keys", "enforce", "--yes"); r.code != 0 || !strings.Contains(r.stdout, "Key creation is already forbidden") {
		t.Errorf("second enforce: exit %d\n%s", r.code, r.stdout)
	}
}

func TestSetupEnforceNoKeys(t *testing.T) {
	srv := newFedServer(t)
	r := runFed(t, srv, "--output", "json", "plan", "--users", "alice@acme.com", "--enforce-no-keys", "--detailed-exitcode")
	if r.code != 4 || !strings.Contains(r.stdout, `"org_policy"`) {
		t.Fatalf("plan: exit %d\n%s", r.code, r.stdout)
	}
	r = runFed(t, srv, "setup", "--dry-run", "--users", "alice@acme.com", "--enforce-no-keys")
	if r.code != 0 || !strings.Contains(r.stdout, `+ org_policy["iam.disableServiceAccountKeyCreation"]`) {
		t.Fatalf("dry run: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, "--output", "json", "setup", "--yes", "--users", "alice@acme.com", "--verifier", "user:operator@example.com", "--enforce-no-keys")
	if r.code != 0 || !strings.Contains(r.stdout, `"kind": "org_policy"`) {
		t.Fatalf("setup: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com", "--verifier", "user:operator@example.com", "--enforce-no-keys")
	if r.code != 0 || strings.Contains(r.stdout, "org_policy") {
		t.Errorf("second setup plans the policy again: exit %d\n%s", r.code, r.stdout)
	}
	r = runFed(t, srv, "plan", "--users", "alice@acme.com", "--verifier", "user:operator@example.com", "--enforce-no-keys", "--detailed-exitcode")
	if r.code != 0 {
		t.Errorf("plan after setup: exit %d\n%s", r.code, r.stdout)
	}
	if r := runFed(t, srv, "plan", "--users", "alice@acme.com", "--enforce-no-keys", "--admin-key-file", "k.json"); r.code != 2 {
		t.Errorf("plan --enforce-no-keys --admin-key-file: exit %d, want 2", r.code)
	}
}

// A bare `keys prune --yes` would delete every user-managed key of the
// project: it needs a selector or --all, before any API call.
func TestKeysPruneNeedsSelectorOrAll(t *testing.T) {
	srv := newFedServer(t)
	if r := runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	for _, args := range [][]string{{"--yes"}, {"--disable-only", "--yes"}, {"--keep", "1f3c5d7e9a0b", "--yes"}} {
		srv.ResetStats()
		r := runFed(t, srv, append([]string{"keys", "prune"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--all") || srv.Stats().Total != 0 {
			t.Errorf("%v: exit %d, %d requests\n%s", args, r.code, srv.Stats().Total, r.stderr)
		}
	}
	if r := runFed(t, srv, "keys", "prune", "--dry-run"); r.code != 0 {
		t.Errorf("--dry-run without a selector: exit %d\n%s", r.code, r.stderr)
	}
	if r := runFed(t, srv, "keys", "prune", "--all", "--yes"); r.code != 0 {
		t.Errorf("--all --yes: exit %d\n%s", r.code, r.stderr)
	}
}
