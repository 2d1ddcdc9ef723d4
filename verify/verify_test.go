package verify

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

func TestHappyPathKeyless(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com", "bob@acme.com")
	w.setup()
	rep := w.run(w.opts("alice@acme.com", "bob@acme.com"))
	if rep.Failed() {
		t.Fatalf("verify failed:\n%s", dump(rep))
	}
	if rep.MintedBy != MintedByDelegation {
		t.Errorf("MintedBy = %q", rep.MintedBy)
	}
	alice := w.sa("alice@acme.com")
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass, alice, w.admin(), "TTL 60 min")
	wantRow(t, rep, CheckProbe, "alice@acme.com", Pass, "SELECT 1")
	wantRow(t, rep, CheckUserSA, "bob@acme.com", Pass)
	wantRow(t, rep, CheckDataAccessLogs, "iam.googleapis.com", Warn)
	t.Log("\n" + dump(rep))
	if len(rep.Users) != 2 || !rep.Users[0].OK {
		t.Fatalf("users = %+v", rep.Users)
	}
	want := "Session would start as " + alice + " via " + w.admin() + ", token TTL 60 min"
	if rep.Users[0].Verdict != want {
		t.Errorf("verdict = %q, want %q", rep.Users[0].Verdict, want)
	}
}

func TestHappyPathReadsNothingItDoesNotNeed(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com", "bob@acme.com", "carol@acme.com")
	w.setup()
	w.srv.ResetStats()
	rep := w.run(w.opts(w.cfg.Users()...))
	if rep.Failed() {
		t.Fatalf("verify failed:\n%s", dump(rep))
	}
	st := w.srv.Stats()
	// The mint proves the SA exists and the admin may impersonate it: no SA
	// list and no per-user policy read on the happy path.
	for route, n := range st.ByRoute {
		if strings.Contains(route, "serviceAccounts.list") || strings.Contains(route, "serviceAccounts.getIamPolicy") {
			t.Errorf("happy path called %s %d times", route, n)
		}
	}
	if got := st.ByRoute["iamcredentials.projects.serviceAccounts.generateAccessToken"]; got != 3 {
		t.Errorf("mints = %d, want 3 (one per user)", got)
	}
	// The only "write" is the probe's query job, one per user.
	if q := st.ByRoute["bigquery.jobs.query"]; st.Writes != q || q != 3 {
		t.Errorf("writes = %d, queries = %d; want only the 3 probe queries\n%s", st.Writes, q, st)
	}
}

func TestTokenCreatorMissing(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com", "bob@acme.com")
	w.setup()
	bob := w.sa("bob@acme.com")
	w.revokeTokenCreator(bob)

	rep := w.run(w.opts("alice@acme.com", "bob@acme.com"))
	if !rep.Failed() {
		t.Fatalf("verify passed with Token Creator revoked:\n%s", dump(rep))
	}
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
	wantRow(t, rep, CheckUserSA, "bob@acme.com", Pass, "exists (unique ID")
	tc := wantRow(t, rep, CheckTokenCreator, "bob@acme.com", Fail, "neither on "+bob)
	if want := "gcloud iam service-accounts add-iam-policy-binding " + bob + " --member=serviceAccount:" + w.admin() +
		" --role=roles/iam.serviceAccountTokenCreator --project=demo-project"; tc.Fix != want {
		t.Errorf("fix = %q\nwant %q", tc.Fix, want)
	}
	wantRow(t, rep, CheckMint, "bob@acme.com", Fail, "403 IAM_PERMISSION_DENIED: Token Creator missing")
	wantRow(t, rep, CheckProbe, "bob@acme.com", Skip)
	if v := rep.Users[1]; v.OK || !strings.HasPrefix(v.Verdict, "Session would NOT start: token mint: 403 IAM_PERMISSION_DENIED: Token Creator missing") {
		t.Errorf("bob's verdict = %+v", v)
	}
}

func TestGrantedNotYetPropagated(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: 90 * time.Second}, "alice@acme.com")
	w.setup() // every grant is brand new on the fake clock
	start := w.clock.Now()

	rep := w.run(w.opts("alice@acme.com"))
	if rep.Failed() {
		t.Fatalf("verify failed although --wait outlasts propagation:\n%s", dump(rep))
	}
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass, "granted, not yet propagated")
	wantRow(t, rep, CheckProbe, "alice@acme.com", Pass)
	if waited := w.clock.Now().Sub(start); waited < 90*time.Second || waited > 2*time.Minute {
		t.Errorf("waited %s on the fake clock, want between the 90s delay and --wait", waited)
	}
}

func TestGrantedNotPropagatedWithinWait(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: 10 * time.Minute}, "alice@acme.com")
	w.setup()
	w.clock.Advance(11 * time.Minute) // the verifier grant is in effect
	alice := w.sa("alice@acme.com")
	w.revokeTokenCreator(alice)
	w.grantTokenCreator(alice) // granted again just now

	o := w.opts("alice@acme.com")
	o.Wait = 30 * time.Second
	rep := w.run(o)
	wantRow(t, rep, CheckTokenCreator, "alice@acme.com", Pass, "holds Token Creator on")
	m := wantRow(t, rep, CheckMint, "alice@acme.com", Fail, "granted, not yet propagated", "after 30s")
	if !strings.Contains(m.Fix, "fedctl verify --project demo-project --user alice@acme.com --wait 10m") {
		t.Errorf("fix = %q", m.Fix)
	}
}

// Right after setup --verifier, the operator's own grant on the admin SA
// may still be propagating: verify waits, then says so.
func TestVerifierGrantNotPropagated(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: 10 * time.Minute}, "alice@acme.com")
	w.setup()
	o := w.opts("alice@acme.com")
	o.Wait = 30 * time.Second
	rep := w.run(o)
	m := wantRow(t, rep, CheckMint, "alice@acme.com", Skip, "lack Token Creator on "+w.admin(),
		"it is granted to user:operator@example.com: if that is you, it has not propagated after 30s")
	if !strings.Contains(m.Fix, "--verifier user:YOU") {
		t.Errorf("fix = %q", m.Fix)
	}
	if rep.Failed() {
		t.Errorf("a skipped mint failed the run:\n%s", dump(rep))
	}
}

func TestServiceAccountDeleted(t *testing.T) {
	for _, grant := range []config.Grant{config.GrantPerUser, config.GrantProject} {
		t.Run(string(grant), func(t *testing.T) {
			w := newWorld(t, emulator.Options{}, "alice@acme.com")
			w.cfg.Impersonation.Grant = grant
			w.setup()
			alice := w.sa("alice@acme.com")
			if grant == config.GrantProject {
				// Pattern B: the admin may mint for any SA of the project,
				// so Google answers a missing one with 404.
				w.editProject(func(p *gcp.Policy) bool { return p.AddMember(roleTokenCreator, "serviceAccount:"+w.admin()) })
			}
			must(t, w.c.DeleteServiceAccount(context.Background(), alice))

			rep := w.run(w.opts("alice@acme.com"))
			wantRow(t, rep, CheckUserSA, "alice@acme.com", Fail, alice+" does not exist")
			want := "403 (\"or it may not exist\"): " + alice + " does not exist"
			if grant == config.GrantProject {
				want = "404: " + alice + " does not exist"
				wantRow(t, rep, CheckGrantPattern, "demo-project", Warn, "Pattern B")
			}
			m := wantRow(t, rep, CheckMint, "alice@acme.com", Fail, want)
			if m.Fix != "fedctl setup --project demo-project --users alice@acme.com" {
				t.Errorf("fix = %q", m.Fix)
			}
		})
	}
}

func TestIllegalTemplate(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	w.srv.ResetStats()
	rep := w.run(w.opts("alice@acme.com", "j.doe@acme.com"))
	tr := wantRow(t, rep, CheckTemplate, "j.doe@acme.com", Fail, `"fedctl-j.doe"`)
	if tr.Fix == "" {
		t.Error("no fix for an illegal rendering")
	}
	for _, name := range []string{CheckUserSA, CheckTokenCreator, CheckDataRoles, CheckMint, CheckProbe} {
		wantRow(t, rep, name, "j.doe@acme.com", Skip, "no legal SA ID")
	}
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
	if got := w.srv.Stats().ByRoute["iamcredentials.projects.serviceAccounts.generateAccessToken"]; got != 1 {
		t.Errorf("mints = %d: an illegal ID must not reach Google", got)
	}

	// A preflight problem (a collision) becomes the user's template row.
	o := w.opts("alice@acme.com")
	o.Preflight = []config.Problem{{User: "alice@acme.com, alice@other.com", Message: "alice@acme.com and alice@other.com all render \"fedctl-alice\"", Fix: "keep one of them"}}
	rep = w.run(o)
	wantRow(t, rep, CheckTemplate, "alice@acme.com", Fail, "all render")
	wantRow(t, rep, CheckMint, "alice@acme.com", Skip)
}

func TestAPIDisabled(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	must(t, w.srv.WithState(func(st *emulator.State) error {
		st.Projects[testProject].Services["iamcredentials.googleapis.com"] = false
		return nil
	}))
	rep := w.run(w.opts("alice@acme.com"))
	fix := "gcloud services enable iamcredentials.googleapis.com --project=demo-project"
	if c := wantRow(t, rep, CheckAPIEnabled, "iamcredentials.googleapis.com", Fail, "disabled"); c.Fix != fix {
		t.Errorf("api fix = %q", c.Fix)
	}
	if c := wantRow(t, rep, CheckMint, "alice@acme.com", Fail, "SERVICE_DISABLED: iamcredentials.googleapis.com"); c.Fix != fix {
		t.Errorf("mint fix = %q", c.Fix)
	}
}

func TestProbeDeniedWithoutDataRoles(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	alice := w.sa("alice@acme.com")
	w.revokeDataRoles(alice)
	rep := w.run(w.opts("alice@acme.com"))
	roles := wantRow(t, rep, CheckDataRoles, "alice@acme.com", Fail, "lacks roles/bigquery.user, roles/bigquery.dataViewer")
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
	p := wantRow(t, rep, CheckProbe, "alice@acme.com", Fail, "access denied", "bigquery.jobs.create")
	if p.Fix != roles.Fix || !strings.Contains(p.Fix, "gcloud projects add-iam-policy-binding demo-project --member=serviceAccount:"+alice+" --role=roles/bigquery.user") {
		t.Errorf("probe fix = %q", p.Fix)
	}
}

func TestOperatorCannotDelegate(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	// A verifier reads the project as the checks need (roles/viewer, what
	// the read-permission fix asks for); minting is the question here.
	w.editProject(func(p *gcp.Policy) bool { return p.AddMember("roles/viewer", "user:carol@example.com") })
	carol := w.client(w.srv.MintToken(emulator.Identity{Principal: "user:carol@example.com", Expiry: w.clock.Now().Add(time.Hour).Unix()}))

	o := w.opts("alice@acme.com")
	rep, err := Run(context.Background(), carol, w.cfg, o)
	must(t, err)
	m := wantRow(t, rep, CheckMint, "alice@acme.com", Skip, "you (the operator) lack Token Creator on "+w.admin())
	if !strings.Contains(m.Fix, "fedctl setup --project demo-project --users alice@acme.com --verifier user:YOU") {
		t.Errorf("fix = %q", m.Fix)
	}
	wantRow(t, rep, CheckTokenCreator, "alice@acme.com", Pass) // the static rows still run
	wantRow(t, rep, CheckDataRoles, "alice@acme.com", Pass)
	if rep.Failed() || rep.Users[0].Tested || !strings.HasPrefix(rep.Users[0].Verdict, "Session not tested") {
		t.Errorf("report = %+v\n%s", rep.Users, dump(rep))
	}

	// setup --verifier user:carol@example.com grants exactly that binding.
	w.editSA(w.admin(), func(p *gcp.Policy) bool { return p.AddMember(roleTokenCreator, "user:carol@example.com") })
	rep, err = Run(context.Background(), carol, w.cfg, o)
	must(t, err)
	if rep.Failed() || !rep.Users[0].OK {
		t.Fatalf("verify as a verifier failed:\n%s", dump(rep))
	}
}

func TestProbeRetriedWhileDataRolesPropagate(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: time.Minute}, "alice@acme.com")
	w.setup()
	w.clock.Advance(2 * time.Minute) // Token Creator is in effect
	alice := w.sa("alice@acme.com")
	w.revokeDataRoles(alice)
	w.grantDataRoles(alice) // granted again just now

	rep := w.run(w.opts("alice@acme.com"))
	if rep.Failed() {
		t.Fatalf("verify failed:\n%s", dump(rep))
	}
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
	wantRow(t, rep, CheckProbe, "alice@acme.com", Pass, "granted, not yet propagated")
}

func TestOAuthMode(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	w.cfg.Mode = config.ModeOAuth
	w.cfg.OAuth.Users = []string{"alice@acme.com", "bob@acme.com"}
	w.cfg.ApplyDefaults()
	w.editProject(func(p *gcp.Policy) bool {
		for _, r := range w.cfg.Roles() {
			p.AddMember(r, "user:alice@acme.com")
		}
		return true
	})
	rep := w.run(w.opts(w.cfg.Users()...))
	wantRow(t, rep, CheckDataRoles, "alice@acme.com", Pass)
	bob := wantRow(t, rep, CheckDataRoles, "bob@acme.com", Fail, "user:bob@acme.com lacks")
	if !strings.Contains(bob.Fix, "--member=user:bob@acme.com --role=roles/bigquery.user") {
		t.Errorf("fix = %q", bob.Fix)
	}
	for _, c := range rep.Checks {
		if c.Name == CheckAdminSA || c.Name == CheckMint {
			t.Errorf("oauth mode has a %s row", c.Name)
		}
	}
	if !rep.Users[0].OK || rep.Users[1].OK {
		t.Errorf("verdicts = %+v", rep.Users)
	}
}
