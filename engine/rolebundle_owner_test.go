package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// The --data-role-bundle role is owned like any resource (SPEC §7.1): it
// carries its federation's mark; another federation's teardown leaves it
// (its identities are bound to it), another federation's setup does not
// take it over, and a role made by hand under that ID is neither rewritten
// nor deleted.
func TestDataRoleBundleOwnership(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	ctx := context.Background()
	a := testConfig(t, "alice@acme.com")
	a.Preflight.DataRoleBundle = DefaultDataRoleBundle
	e.setup(t, a)
	name := BundleRoleName(testProject, DefaultDataRoleBundle)
	role, err := e.client.GetRole(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := ParseMark(role.Description); !ok || m.Federation != config.DefaultName || m.Kind != "role" {
		t.Errorf("bundle role description %q carries no mark of %q", role.Description, config.DefaultName)
	}

	b := testConfig(t, "bob@acme.com")
	b.Name = "team-b"
	b.Impersonation.AdminServiceAccount = "teamb-admin"
	b.Impersonation.IdentityTemplate = "teamb-{user.email}@{project}.iam.gserviceaccount.com"
	b.Preflight.DataRoleBundle = DefaultDataRoleBundle
	var oe *OwnershipError
	if _, err := e.eng.PlanSetup(ctx, b); !errors.As(err, &oe) || !strings.Contains(err.Error(), `federation "fedctl"`) {
		t.Fatalf("team-b's setup over fedctl's bundle: %v", err)
	}
	// team-b's teardown (nothing of its own) leaves fedctl's role.
	if p, _ := e.teardown(t, b); p.Change(bundleAddress) != nil && p.Change(bundleAddress).Action != ActionNoop {
		t.Errorf("team-b's teardown plans %s on fedctl's bundle", p.Change(bundleAddress).Action)
	}
	if role, err := e.client.GetRole(ctx, name); err != nil || role.Deleted {
		t.Fatalf("fedctl's bundle after team-b's teardown: %+v %v", role, err)
	}
	if p := e.plan(t, a); p.HasChanges() {
		t.Errorf("fedctl needs changes after team-b's teardown: %q", pendingAddresses(p))
	}

	// A role made by hand under the ID is neither taken over nor deleted.
	if _, err := e.client.CreateCustomRole(ctx, testProject, "bqReader", &gcp.Role{Title: "BQ reader", Description: "made by hand",
		Permissions: []string{"bigquery.jobs.create"}}); err != nil {
		t.Fatal(err)
	}
	c := testConfig(t, "carol@acme.com")
	c.Name = "team-c"
	c.Impersonation.AdminServiceAccount = "teamc-admin"
	c.Impersonation.IdentityTemplate = "teamc-{user.email}@{project}.iam.gserviceaccount.com"
	c.Preflight.DataRoleBundle = "bqReader"
	if _, err := e.eng.PlanSetup(ctx, c); !errors.As(err, &oe) || !strings.Contains(err.Error(), "not made by fedctl") {
		t.Fatalf("setup over a hand-made role: %v", err)
	}
	e.teardown(t, c)
	if role, err := e.client.GetRole(ctx, BundleRoleName(testProject, "bqReader")); err != nil || role.Deleted || role.Description != "made by hand" {
		t.Fatalf("hand-made role after team-c's teardown: %+v %v", role, err)
	}
}
