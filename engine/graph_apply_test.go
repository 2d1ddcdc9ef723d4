package engine

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/iostreams"
)

// A failing service-account create skips only what needs that account:
// its own policy; the project policy is written for the others and names
// the member it left out; the other users are complete.
func TestFailedCreateSkipsOnlyItsBindings(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com", "carol@acme.com")
	ctx := context.Background()
	p := e.plan(t, cfg)
	// Google refuses bob's account ID (too short): a real 400 for exactly
	// one create; his bindings still name the planned email.
	bob := p.desired.ServiceAccount(saEmail("fedctl-bob"))
	bob.AccountID = "b"

	res, err := e.eng.Apply(ctx, p)
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.Failed != 1 || ae.Skipped != 1 {
		t.Fatalf("err = %v, want 1 failed and 1 skipped", err)
	}
	bobSA := `service_account.user["bob@acme.com"]`
	if o, _ := res.Outcome(bobSA); o.Status != OutcomeFailed {
		t.Errorf("%s: %+v", bobSA, o)
	}
	bobPolicy := ServiceAccountTarget(saEmail("fedctl-bob")).Address()
	o, _ := res.Outcome(bobPolicy)
	if o.Status != OutcomeSkipped || o.Cause != bobSA || o.Error == "" {
		t.Errorf("%s: %+v, want skipped because %s failed", bobPolicy, o, bobSA)
	}
	proj, _ := res.Outcome("iam_policy.project")
	bobMember := "serviceAccount:" + saEmail("fedctl-bob")
	if proj.Status != OutcomeApplied || !slices.Equal(proj.Omitted, []string{bobMember}) {
		t.Errorf("project policy: %+v, want applied without %s", proj, bobMember)
	}
	for _, a := range []string{"api[\"iam.googleapis.com\"]", "service_account.admin", `service_account.user["alice@acme.com"]`, `service_account.user["carol@acme.com"]`,
		ServiceAccountTarget(saEmail("fedctl-alice")).Address(), ServiceAccountTarget(saEmail("fedctl-carol")).Address()} {
		if o, _ := res.Outcome(a); o.Status != OutcomeApplied {
			t.Errorf("%s: %+v, want applied", a, o)
		}
	}

	pol := e.projectPolicy(t)
	admin := "serviceAccount:" + saEmail("fedctl-admin")
	for _, id := range []string{"fedctl-alice", "fedctl-carol"} {
		for _, role := range config.DefaultRoles(config.ModeImpersonation) {
			if !pol.HasMember(role, "serviceAccount:"+saEmail(id)) {
				t.Errorf("project policy lacks %s for %s", role, id)
			}
		}
		if !e.saPolicy(t, saEmail(id)).HasMember(RoleTokenCreator, admin) {
			t.Errorf("%s: admin lacks Token Creator", id)
		}
	}
	for _, b := range pol.Bindings {
		if slices.Contains(b.Members, bobMember) {
			t.Errorf("project policy binds the account that was never created: %s", b.Role)
		}
	}

	// The summary says why the policy was not written.
	var buf strings.Builder
	if err := RenderSummaryText(&buf, NewSummary(res), iostreams.NewColorScheme(false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{bobPolicy + ` (not started: ` + bobSA + ` failed)`, "iam_policy.project written without " + bobMember} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}

	// The next run (with a valid ID) completes bob.
	p2 := e.plan(t, cfg)
	if _, err := e.eng.Apply(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if !e.projectPolicy(t).HasMember(config.DefaultRoles(config.ModeImpersonation)[0], bobMember) {
		t.Error("second run did not bind bob")
	}
}

// Enabling an API that account creation does not need (iamcredentials)
// overlaps the creation: with IAM already on and the enable's operation
// slow, the accounts are created while the operation is still polled. The
// emulator holds the enable's polls until a create arrives; a walk that
// waited for the enable before creating would never send one, and the
// recorded start times show the overlap.
func TestSlowEnableOverlapsAccountCreation(t *testing.T) {
	var once sync.Once
	created := make(chan struct{})
	hook := func(route string, r *http.Request) {
		switch route {
		case "iam.projects.serviceAccounts.create":
			once.Do(func() { close(created) })
		case "serviceusage.operations.get":
			select {
			case <-created:
			case <-time.After(10 * time.Second): // a guard: no create while enabling
				once.Do(func() { close(created) }) // (wait once, then fail below)
			}
		}
	}
	e := newEnv(t, emulator.Options{OperationPolls: 2, RecordRequests: true, Hook: hook})
	if err := e.srv.WithState(func(st *emulator.State) error {
		st.Projects[testProject].Services["iam.googleapis.com"] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	p := e.plan(t, cfg)
	if c := p.Change(`api["iamcredentials.googleapis.com"]`); c == nil || c.Action != ActionCreate {
		t.Fatalf("iamcredentials is not planned for enabling: %+v", c)
	}
	e.srv.ResetRequests()
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}

	var enableStart, enableDone time.Time
	var creates []emulator.Request
	for _, r := range e.srv.Requests() {
		switch r.Route {
		case "serviceusage.services.enable", "serviceusage.services.batchEnable":
			enableStart = r.Start
		case "serviceusage.operations.get":
			enableDone = r.End // the last poll reports it done
		case "iam.projects.serviceAccounts.create":
			creates = append(creates, r)
		}
	}
	if enableStart.IsZero() || enableDone.IsZero() || len(creates) != 3 {
		t.Fatalf("trace: enable %v..%v, %d creates", enableStart, enableDone, len(creates))
	}
	during := 0
	for _, c := range creates {
		if c.Start.Before(enableDone) {
			during++
		}
	}
	if during == 0 {
		t.Errorf("no account was created while iamcredentials was being enabled (enable %v..%v, first create at %v)",
			enableStart, enableDone, creates[0].Start)
	}
}

// Teardown walks the graph the other way: each account is deleted only
// after the project policy edit that removes it is written (or Google
// would rewrite its bindings as deleted:… members); the recorded request
// times show the order.
func TestTeardownDeletesAccountsAfterTheirMembersLeave(t *testing.T) {
	e := newEnv(t, emulator.Options{RecordRequests: true})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	e.setup(t, cfg)
	e.srv.ResetRequests()
	_, res := e.teardown(t, cfg)
	if n := res.Count(OutcomeFailed) + res.Count(OutcomeSkipped); n != 0 {
		t.Fatalf("teardown: %+v", res.Outcomes)
	}
	var policyWritten time.Time
	var deletes []emulator.Request
	for _, r := range e.srv.Requests() {
		switch r.Route {
		case "cloudresourcemanager.projects.setIamPolicy":
			policyWritten = r.End
		case "iam.projects.serviceAccounts.delete":
			deletes = append(deletes, r)
		}
	}
	if policyWritten.IsZero() || len(deletes) != 3 {
		t.Fatalf("trace: policy written %v, %d deletes", policyWritten, len(deletes))
	}
	for _, d := range deletes {
		if d.Start.Before(policyWritten) {
			t.Errorf("%s deleted at %v, before the project policy edit ended (%v)", d.Path, d.Start, policyWritten)
		}
	}
}
