package audit

import (
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
)

func impersonationFederation(t *testing.T, users ...string) *Federation {
	t.Helper()
	cfg := &config.Config{Project: testProject, Mode: config.ModeImpersonation}
	cfg.Impersonation.Users = users
	cfg.ApplyDefaults()
	f, err := FederationFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestBypassCases(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	key := "//iam.googleapis.com/projects/demo-project/serviceAccounts/" + alice + "/keys/0123abcd"
	o := func(i int, p string, via ...string) entryOpts {
		return entryOpts{insertID: id(i), time: base.Add(time.Duration(i) * time.Second), principal: p, via: via}
	}
	withKey := o(3, alice)
	withKey.keyName = key
	e.seed(
		mintEntry(o(1, admin), alice),                                                      // a mint: never a bypass
		newStyleQuery(o(2, alice, admin), "ok_job", "SELECT 1", true, nil),                 // through the admin: fine
		legacyQuery(withKey, "key_job", "SELECT 2", true, nil),                             // alice's key used directly
		newStyleQuery(o(4, admin), "admin_job", "SELECT 3", false, nil),                    // the admin itself (insertion...)
		newStyleQuery(o(5, admin), "admin_job", "SELECT 3", true, nil),                     // (...and completion: one finding)
		newStyleQuery(o(6, bob, "mallory@example.com"), "side_job", "SELECT 4", true, nil), // bob's SA impersonated around the admin
		newStyleQuery(o(7, "eve@example.com"), "eve_job", "SELECT 5", true, nil),           // outside the federation
	)
	fed := impersonationFederation(t)
	find := func(strict bool) []*Bypass {
		var out []*Bypass
		if err := FindBypasses(e.ctx, e.reader(2), Selection{Project: testProject}, fed, strict,
			func(b *Bypass) error { out = append(out, b); return nil }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	got := find(false)
	var summary []string
	for _, b := range got {
		summary = append(summary, b.Event.JobID+":"+b.Rule)
	}
	if want := "key_job:no-delegation,admin_job:admin-direct,side_job:no-delegation"; strings.Join(summary, ",") != want {
		t.Fatalf("bypasses = %v, want %s", summary, want)
	}
	if !strings.Contains(got[0].Evidence, key) || !strings.Contains(got[2].Evidence, "mallory@example.com") ||
		!strings.Contains(got[2].Evidence, admin) {
		t.Errorf("evidence: %q / %q", got[0].Evidence, got[2].Evidence)
	}
	strict := find(true)
	if len(strict) != 4 || strict[3].Rule != RuleOutside || strict[3].Event.Principal != "eve@example.com" {
		t.Errorf("strict: %+v", strict)
	}
}

func TestFederationModes(t *testing.T) {
	wif := &config.Config{Project: testProject, Mode: config.ModeWIF}
	wif.WIF.ServiceAccount = "bigquery-runner"
	wif.ApplyDefaults()
	fed, err := FederationFromConfig(wif)
	if err != nil {
		t.Fatal(err)
	}
	runner := sa("bigquery-runner")
	subject := "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/repo:acme/app"
	if b := fed.Check(&Event{Kind: KindQuery, Principal: runner, Via: []string{subject}}, true); b != nil {
		t.Errorf("federated wif query flagged: %+v", b)
	}
	if b := fed.Check(&Event{Kind: KindQuery, Principal: runner}, false); b == nil || b.Rule != RuleNoDelegation {
		t.Errorf("runner without a chain: %+v", b)
	}
	if b := fed.Check(&Event{Kind: KindQuery, Principal: subject}, true); b != nil {
		t.Errorf("direct federated principal flagged: %+v", b)
	}

	oauth := &config.Config{Project: testProject, Mode: config.ModeOAuth}
	oauth.OAuth.Users = []string{"alice@acme.com"}
	oauth.ApplyDefaults()
	fed, _ = FederationFromConfig(oauth)
	if b := fed.Check(&Event{Kind: KindQuery, Principal: "alice@acme.com"}, true); b != nil {
		t.Errorf("oauth user flagged: %+v", b)
	}
	if b := fed.Check(&Event{Kind: KindQuery, Principal: "mallory@acme.com"}, true); b == nil || b.Rule != RuleOutside {
		t.Errorf("stranger in oauth mode: %+v", b)
	}

	// A shared SA template (no {user.email}) names one SA.
	shared := &config.Config{Project: testProject, Mode: config.ModeImpersonation}
	shared.Impersonation.IdentityTemplate = "fedctl-shared@{project}.iam.gserviceaccount.com"
	shared.ApplyDefaults()
	fed, _ = FederationFromConfig(shared)
	if !fed.IsFederatedSA(sa("fedctl-shared")) || fed.IsFederatedSA(sa("fedctl-other")) || fed.IsFederatedSA(admin) {
		t.Errorf("shared template: %+v", fed)
	}
	// The default template matches any user's SA, never the admin's.
	fed = impersonationFederation(t)
	if !fed.IsFederatedSA(alice) || fed.IsFederatedSA(admin) || fed.IsFederatedSA(sa("other-alice")) {
		t.Errorf("template matcher: alice %v admin %v", fed.IsFederatedSA(alice), fed.IsFederatedSA(admin))
	}
}

// A denied request writes a new-style entry naming the job and a legacy
// jobservice.query entry naming none (as the emulator and BigQuery do):
// bypass reports it once, and tail shows it once.
func TestDeniedJobCountsOnce(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	tok := e.ts.MintToken(emulator.Identity{Principal: "serviceAccount:" + admin})
	bq, err := e.c.BigQuery(e.ctx, testProject, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bq.Query("SELECT 1").Read(e.ctx); err == nil {
		t.Fatal("the admin SA, with no BigQuery role, was allowed to query")
	}
	var ids, anon int
	for _, ev := range e.collect(e.reader(100), Selection{Project: testProject, Kinds: []Kind{KindQuery}}) {
		if ev.JobID == "" {
			anon++
		} else {
			ids++
		}
	}
	if ids == 0 || anon == 0 {
		t.Fatalf("want entries with and without a job ID for the denied request, got %d and %d", ids, anon)
	}
	var found []*Bypass
	if err := FindBypasses(e.ctx, e.reader(100), Selection{Project: testProject}, impersonationFederation(t), false,
		func(b *Bypass) error { found = append(found, b); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Rule != RuleAdminDirect {
		t.Errorf("bypasses = %+v, want one admin-direct", found)
	}
	shown := 0
	if err := Tail(e.ctx, e.reader(100), nil, TailOptions{Selection: Selection{Project: testProject, Kinds: []Kind{KindQuery}}},
		func(*Event) error { shown++; return nil }); err != nil {
		t.Fatal(err)
	}
	if shown != 1 {
		t.Errorf("tail showed the denied job %d times, want once", shown)
	}
}
