package engine

import (
	"context"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
)

func TestSetupConvergesOnEmptyProject(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	p, res := e.setup(t, cfg)

	n := p.Counts()
	// iam + iamcredentials (bigquery is on in a new project), admin + 2 user
	// SAs; the project policy and 2 SA policies.
	if n.Add != 5 || n.Change != 3 || n.Destroy != 0 || n.NoOp != 1 {
		t.Errorf("counts = %+v, want 5 add (2 APIs, 3 SAs), 3 change, 1 no-op (bigquery on)", n)
	}
	if got := res.Count(OutcomeApplied); got != 8 {
		t.Errorf("applied %d changes, want 8: %+v", got, res.Outcomes)
	}

	ctx := context.Background()
	states, err := e.client.ServiceStates(ctx, testProject, config.RequiredAPIs(config.ModeImpersonation))
	if err != nil {
		t.Fatal(err)
	}
	for api, on := range states {
		if !on {
			t.Errorf("%s not enabled", api)
		}
	}
	admin := "serviceAccount:" + saEmail("fedctl-admin")
	for _, id := range []string{"fedctl-admin", "fedctl-alice", "fedctl-bob"} {
		if _, err := e.client.GetServiceAccount(ctx, saEmail(id)); err != nil {
			t.Errorf("%s: %v", id, err)
		}
	}
	pol := e.projectPolicy(t)
	for _, id := range []string{"fedctl-alice", "fedctl-bob"} {
		for _, role := range config.DefaultRoles(config.ModeImpersonation) {
			if !pol.HasMember(role, "serviceAccount:"+saEmail(id)) {
				t.Errorf("project policy lacks %s for %s", role, id)
			}
		}
		if !e.saPolicy(t, saEmail(id)).HasMember(RoleTokenCreator, admin) {
			t.Errorf("%s: admin lacks Token Creator", id)
		}
	}
	if pol.HasMember(RoleTokenCreator, admin) {
		t.Error("Pattern A must not grant Token Creator on the project")
	}
	if !pol.HasMember("roles/owner", "user:operator@example.com") {
		t.Error("the operator's owner binding was lost")
	}
}

func TestSecondRunWritesNothing(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	e.setup(t, cfg)

	before := e.srv.Stats()
	p, res := e.setup(t, cfg)
	after := e.srv.Stats()
	if p.HasChanges() {
		t.Errorf("second plan has changes: %+v", p.Counts())
	}
	if after.Writes != before.Writes {
		t.Errorf("second run made %d write request(s)", after.Writes-before.Writes)
	}
	if res.Count(OutcomeApplied) != 0 {
		t.Errorf("second run applied %d changes", res.Count(OutcomeApplied))
	}
}
