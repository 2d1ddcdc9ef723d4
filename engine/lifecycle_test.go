package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

func pendingAddresses(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		if c.Action != ActionNoop {
			out = append(out, string(c.Action)+" "+c.Address)
		}
	}
	return out
}

// policyMembers flattens a policy to "role member" strings.
func policyMembers(p *gcp.Policy) []string {
	var out []string
	for _, b := range p.Bindings {
		for _, m := range b.Members {
			out = append(out, b.Role+" "+m)
		}
	}
	slices.Sort(out)
	return out
}

func (e *env) sa(t *testing.T, id string) *gcp.ServiceAccount {
	t.Helper()
	sa, err := e.client.GetServiceAccount(context.Background(), saEmail(id))
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// Three users set up, one removed from the config: the plan shows exactly
// that identity's removals, apply removes them and nothing else, the SA is
// disabled; listing the user again re-enables it.
func TestRemovedUserIsOffboardedAndReenabled(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.setup(t, testConfig(t, "alice@acme.com", "bob@acme.com", "carol@acme.com"))
	projBefore := policyMembers(e.projectPolicy(t))
	alicePol := policyMembers(e.saPolicy(t, saEmail("fedctl-alice")))

	p := e.plan(t, testConfig(t, "alice@acme.com", "carol@acme.com"))
	bobSA, bob := saEmail("fedctl-bob"), `service_account.user["bob@acme.com"]`
	// Disabling comes first: it revokes at once (SPEC §7.2).
	want := []string{"delete " + bob, "update iam_policy.project", `update iam_policy.service_account["` + bobSA + `"]`}
	if got := pendingAddresses(p); !slices.Equal(got, want) {
		t.Fatalf("plan = %q, want %q", got, want)
	}
	if c := p.Change(bob); !c.Offboard || !strings.Contains(c.Reason, "gcloud iam service-accounts enable "+bobSA) {
		t.Errorf("bob's change: %+v", c)
	}
	if n := p.Counts(); n.Destroy != 1 {
		t.Errorf("counts %+v, want 1 to destroy", n)
	}
	var removed []string
	for _, m := range p.Change("iam_policy.project").Delta.Remove {
		removed = append(removed, m.Role+" "+m.Member)
	}
	slices.Sort(removed)
	if want := []string{"roles/bigquery.dataViewer serviceAccount:" + bobSA, "roles/bigquery.user serviceAccount:" + bobSA}; !slices.Equal(removed, want) {
		t.Errorf("project removals %q, want %q", removed, want)
	}

	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	projAfter := policyMembers(e.projectPolicy(t))
	wantAfter := slices.DeleteFunc(slices.Clone(projBefore), func(s string) bool { return strings.HasSuffix(s, "serviceAccount:"+bobSA) })
	if !slices.Equal(projAfter, wantAfter) {
		t.Errorf("project policy after offboarding:\n got %q\nwant %q", projAfter, wantAfter)
	}
	if got := policyMembers(e.saPolicy(t, saEmail("fedctl-alice"))); !slices.Equal(got, alicePol) {
		t.Errorf("alice's SA policy changed: %q → %q", alicePol, got)
	}
	if got := policyMembers(e.saPolicy(t, bobSA)); len(got) != 0 {
		t.Errorf("bob's SA policy still names %q", got)
	}
	if !e.sa(t, "fedctl-bob").Disabled || e.sa(t, "fedctl-alice").Disabled {
		t.Error("bob not disabled, or alice disabled")
	}
	if p := e.plan(t, testConfig(t, "alice@acme.com", "carol@acme.com")); p.HasChanges() {
		t.Errorf("second plan has changes: %q", pendingAddresses(p))
	}

	// bob is back: his SA is re-enabled, his bindings granted again.
	p = e.plan(t, testConfig(t, "alice@acme.com", "bob@acme.com", "carol@acme.com"))
	if c := p.Change(bob); c.Action != ActionUpdate || !strings.Contains(c.Reason, "re-enabled") {
		t.Fatalf("bob's change on return: %+v", c)
	}
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if e.sa(t, "fedctl-bob").Disabled || !slices.Equal(policyMembers(e.projectPolicy(t)), projBefore) {
		t.Error("bob not restored")
	}
}

// teardown --user offboards that identity only: never the admin SA (nor a
// pool or provider), never another user.
func TestOffboardTouchesOnlyThatUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	cfg.Verifier = "user:ops@acme.com"
	e.setup(t, cfg)
	ctx := context.Background()

	p, err := e.eng.PlanOffboard(ctx, cfg, OffboardOptions{Users: []string{"bob@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range p.Changes {
		if strings.Contains(c.Address, "admin") || strings.Contains(c.Address, "alice") || c.Kind == KindWIFPool || c.Kind == KindWIFProvider || c.Kind == KindAPI {
			t.Errorf("offboarding bob plans %s %s", c.Action, c.Address)
		}
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !e.sa(t, "fedctl-bob").Disabled || e.sa(t, "fedctl-admin").Disabled || e.sa(t, "fedctl-alice").Disabled {
		t.Error("wrong SAs disabled")
	}

	// --delete completes the earlier disable.
	p, err = e.eng.PlanOffboard(ctx, cfg, OffboardOptions{Users: []string{"bob@acme.com"}, Delete: true})
	if err != nil {
		t.Fatal(err)
	}
	bobSA := e.sa(t, "fedctl-bob")
	if c := p.Change(`service_account.user["bob@acme.com"]`); c.Action != ActionDelete || !strings.Contains(c.Reason, "undelete "+bobSA.UniqueID) {
		t.Fatalf("--delete change: %+v", c)
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.GetServiceAccount(ctx, saEmail("fedctl-bob")); !gcp.IsNotFound(err) {
		t.Errorf("bob's SA after --delete: %v", err)
	}
	// Undo as printed: undelete by unique ID.
	if _, err := e.client.UndeleteServiceAccount(ctx, testProject, bobSA.UniqueID); err != nil {
		t.Errorf("undelete: %v", err)
	}
}

// An SA made by the previous fedctl version is recognised, re-marked on
// setup (shown as ~), and then owned.
func TestLegacySAIsRemarked(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()
	e.preexistingSA(t, "fedctl-alice", "fedctl: alice@acme.com", "BigQuery identity of alice@acme.com (fedctl, impersonation mode).")
	p := e.plan(t, testConfig(t, "alice@acme.com"))
	c := p.Change(`service_account.user["alice@acme.com"]`)
	if c.Action != ActionUpdate || !strings.Contains(c.Reason, "earlier fedctl") {
		t.Fatalf("legacy SA planned as %s (%s)", c.Action, c.Reason)
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	m, ok := ParseMark(e.sa(t, "fedctl-alice").Description)
	if !ok || m.Federation != "fedctl" || m.User != "alice@acme.com" || m.Mode != config.ModeImpersonation {
		t.Errorf("after setup: mark %+v ok=%v", m, ok)
	}
	// A legacy SA for another user is refused like a marked one.
	if _, err := e.client.CreateServiceAccount(ctx, testProject, "fedctl-bob", "", "BigQuery identity of bob@example.com (fedctl, impersonation mode)."); err != nil {
		t.Fatal(err)
	}
	var oe *OwnershipError
	if _, err := e.eng.PlanSetup(ctx, testConfig(t, "bob@acme.com")); !errors.As(err, &oe) {
		t.Errorf("legacy SA of another user: %v", err)
	}
}

// Two federations (different names) in one project sharing nothing:
// teardown of one leaves the other intact; setup of one over the other's
// SAs is refused with zero writes.
func TestTwoFederationsInOneProject(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	a := testConfig(t, "alice@acme.com", "bob@acme.com")
	b := testConfig(t, "alice@acme.com")
	b.Name = "team-b"
	b.Impersonation.AdminServiceAccount = "teamb-admin"
	b.Impersonation.IdentityTemplate = "teamb-{user.email}@{project}.iam.gserviceaccount.com"
	e.setup(t, a)
	e.setup(t, b)
	bProj := slices.DeleteFunc(policyMembers(e.projectPolicy(t)), func(s string) bool { return strings.Contains(s, "serviceAccount:fedctl-") })

	// b's setup over a's SAs (same template, another name) is refused.
	clash := testConfig(t, "alice@acme.com")
	clash.Name = "team-b"
	e.srv.ResetStats()
	var oe *OwnershipError
	if _, err := e.eng.PlanSetup(context.Background(), clash); !errors.As(err, &oe) || !strings.Contains(err.Error(), `federation "fedctl"`) {
		t.Fatalf("clash: %v", err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("refusal wrote %d times", w)
	}

	// a's teardown leaves b whole.
	e.teardown(t, a)
	for _, id := range []string{"teamb-admin", "teamb-alice"} {
		if sa := e.sa(t, id); sa.Disabled {
			t.Errorf("%s disabled", id)
		}
	}
	if got := policyMembers(e.projectPolicy(t)); !slices.Equal(got, bProj) {
		t.Errorf("project policy after a's teardown: %q, want b's %q", got, bProj)
	}
	if p := e.plan(t, b); p.HasChanges() {
		t.Errorf("b needs changes after a's teardown: %q", pendingAddresses(p))
	}
}

func TestMarkRoundTripAndStrictParse(t *testing.T) {
	m := Mark{Federation: "fedctl", Mode: config.ModeImpersonation, User: "alice@acme.com"}
	desc, err := m.Describe("BigQuery identity of alice@acme.com.", maxSADescription)
	if err != nil || desc != "BigQuery identity of alice@acme.com. fedctl:federation=fedctl;user=alice@acme.com;mode=impersonation" {
		t.Fatalf("Describe = %q, %v", desc, err)
	}
	if got, ok := ParseMark(desc); !ok || got.User != m.User || got.Federation != m.Federation {
		t.Errorf("ParseMark(%q) = %+v, %v", desc, got, ok)
	}
	for _, bad := range []string{
		"",
		"made by hand",
		"fedctl:federation=fedctl;mode=impersonation",                       // neither user nor kind
		"fedctl:federation=Fedctl;user=a@b.com;mode=impersonation",          // bad name
		"fedctl:federation=fedctl;user=a@b.com;mode=bogus",                  // bad mode
		"fedctl:federation=fedctl;user=a@b.com;mode=wif;extra=1",            // unknown key
		"fedctl:federation=fedctl;user=a@b.com;user=c@d.com;mode=wif",       // repeated key
		"fedctl:federation=fedctl;user=a@b.com;mode=wif trailing",           // not last
		"xfedctl:federation=fedctl;user=a@b.com;mode=wif",                   // not a word
		"fedctl:federation=fedctl;kind=admin;mode=impersonation;verifiers=", // empty value
	} {
		if m, ok := ParseMark(bad); ok {
			t.Errorf("ParseMark(%q) = %+v, want not ours", bad, m)
		}
	}
	long := Mark{Federation: "fedctl", Mode: config.ModeImpersonation, User: "alice@" + strings.Repeat("b", 150) + ".com"}
	if d, err := long.Describe("BigQuery identity of "+long.User+".", maxSADescription); err != nil || len(d) > maxSADescription || !strings.HasSuffix(d, long.String()) {
		t.Errorf("long description %q (%d bytes), %v", d, len(d), err)
	}
}

// Oauth marks nothing: a user dropped from the config is listed as
// information (no change), and offboarded only by teardown --user.
func TestOAuthStraysAreInformationAndOffboardedExplicitly(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	oauth := func(users ...string) *config.Config {
		cfg := &config.Config{Project: testProject, Mode: config.ModeOAuth}
		cfg.SetUsers(users)
		cfg.ApplyDefaults()
		return cfg
	}
	e.setup(t, oauth("alice@acme.com", "bob@acme.com"))
	p := e.plan(t, oauth("alice@acme.com"))
	if p.HasChanges() || len(p.Info) != 1 || !strings.Contains(p.Info[0], "user:bob@acme.com") {
		t.Fatalf("plan: changes %q, info %q", pendingAddresses(p), p.Info)
	}
	p, err := e.eng.PlanOffboard(context.Background(), oauth("alice@acme.com"), OffboardOptions{Users: []string{"bob@acme.com"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	for _, m := range policyMembers(e.projectPolicy(t)) {
		if strings.HasSuffix(m, "user:bob@acme.com") {
			t.Errorf("bob still holds %s", m)
		}
	}
	if !slices.Contains(policyMembers(e.projectPolicy(t)), "roles/bigquery.user user:alice@acme.com") {
		t.Error("alice lost her roles")
	}
}

// Two wif federations (GitHub, Gumloop) sharing a target SA that existed
// before fedctl: each adds its binding; tearing one down removes only its
// own pool's binding, never the adopted SA (nor its data roles).
func TestWIFSharedAdoptedTargetSA(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.preexistingSA(t, "bq-runner", "made by hand", "")
	gh := wifConfig(t, nil)
	gh.Name = "github"
	gl := wifConfig(t, func(w *config.WIF) {
		w.Pool.ID, w.Provider.ID, w.PrincipalSet = "gumloop-pool", "gumloop-oidc", "attribute.org/acme"
	})
	gl.Name = "gumloop"
	p, _ := e.setup(t, gh)
	if c := p.Change("service_account.target"); c.Action != ActionNoop || c.Reason != AdoptedReason {
		t.Errorf("target SA: %s (%s)", c.Action, c.Reason)
	}
	e.setup(t, gl)
	target := saEmail("bq-runner")
	members := policyMembers(e.saPolicy(t, target))
	if len(members) != 2 {
		t.Fatalf("target SA policy: %q", members)
	}

	e.teardown(t, gl)
	if sa := e.sa(t, "bq-runner"); sa.Disabled {
		t.Error("adopted target SA disabled")
	}
	after := policyMembers(e.saPolicy(t, target))
	if len(after) != 1 || !strings.Contains(after[0], "workloadIdentityPools/demo-pool/") {
		t.Errorf("after gumloop's teardown the target SA policy is %q, want only github's binding", after)
	}
	if !slices.Contains(policyMembers(e.projectPolicy(t)), "roles/bigquery.jobUser serviceAccount:"+target) {
		t.Error("the adopted SA's data roles were removed")
	}
	if p := e.plan(t, gh); p.HasChanges() {
		t.Errorf("github needs changes after gumloop's teardown: %q", pendingAddresses(p))
	}
}

// Against an emulator with visibility and propagation delays: offboarding
// converges, and it takes effect at once (disabling is immediate on
// Google; the removed grants need no propagation to stop granting).
func TestOffboardingUnderDelays(t *testing.T) {
	clock := emulator.NewFakeClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e := newEnvClock(t, emulator.Options{VisibilityDelay: 20 * time.Second, PropagationDelay: 2 * time.Minute}, clock)
	e.setup(t, testConfig(t, "alice@acme.com", "bob@acme.com"))
	clock.Advance(5 * time.Minute)
	ctx := context.Background()

	p := e.plan(t, testConfig(t, "alice@acme.com"))
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if !e.sa(t, "fedctl-bob").Disabled {
		t.Fatal("bob not disabled")
	}
	if p := e.plan(t, testConfig(t, "alice@acme.com")); p.HasChanges() {
		t.Errorf("not converged: %q", pendingAddresses(p))
	}
	p = e.plan(t, testConfig(t, "alice@acme.com", "bob@acme.com"))
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if e.sa(t, "fedctl-bob").Disabled {
		t.Error("bob not re-enabled")
	}
	if p := e.plan(t, testConfig(t, "alice@acme.com", "bob@acme.com")); p.HasChanges() {
		t.Errorf("not converged after re-enabling: %q", pendingAddresses(p))
	}
}

// The token a gateway holds for an offboarded user is rejected from the
// moment the SA is disabled, and accepted again once setup lists the user
// again and re-enables it, as Google documents.
func TestHeldTokenFollowsOffboardingAndReturn(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()
	withVerifier := func(users ...string) *config.Config {
		cfg := testConfig(t, users...)
		cfg.Verifier = emulator.DefaultSeed.Operator
		return cfg
	}
	e.setup(t, withVerifier("alice@acme.com", "bob@acme.com"))
	bobSA := saEmail("fedctl-bob")
	tok, err := e.client.GenerateAccessToken(ctx, bobSA, []string{saEmail("fedctl-admin")}, nil, time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	asBob, err := gcp.New(ctx, gcp.Config{Endpoint: e.srv.Endpoint, AccessToken: tok.AccessToken, Retry: gcp.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	accepted := func() bool {
		_, err := asBob.GetServiceAccount(ctx, saEmail("fedctl-alice"))
		return !gcp.IsUnauthenticated(err)
	}
	if !accepted() {
		t.Fatal("bob's token rejected before offboarding")
	}
	e.setup(t, withVerifier("alice@acme.com"))
	if accepted() {
		t.Error("bob's token still accepted after offboarding")
	}
	e.setup(t, withVerifier("alice@acme.com", "bob@acme.com"))
	if !accepted() {
		t.Error("bob's old token rejected after he was listed again (Google accepts it again once re-enabled)")
	}
}
