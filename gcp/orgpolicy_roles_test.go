package gcp_test

import (
	"slices"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// The Org Policy client: effective policies, the project's own policy
// created, patched and deleted; and the permission tests preflight uses.
func TestOrgPolicyClientAndPermissionTests(t *testing.T) {
	w := newWorld(t, emulator.Options{})
	w.enable("iam.googleapis.com")
	c, ctx := w.c, w.ctx

	if p, err := c.GetOrgPolicy(ctx, project, gcp.ConstraintDisableKeyCreation); err != nil || p != nil {
		t.Fatalf("unset policy = %+v, %v", p, err)
	}
	if err := c.SetBooleanPolicy(ctx, project, gcp.ConstraintDisableKeyCreation, true); err != nil {
		t.Fatal(err)
	}
	if p, err := c.GetEffectivePolicy(ctx, project, "constraints/"+gcp.ConstraintDisableKeyCreation); err != nil || !p.Enforced() {
		t.Fatalf("effective = %+v, %v", p, err)
	}
	email := w.createSA("keyless-sa")
	_, err := c.CreateKey(ctx, email)
	if e := wantKind(t, "key under the constraint", err, gcp.KindFailedPrecondition); e.Message != "Key creation is not allowed on this service account." {
		t.Errorf("message = %q", e.Message)
	}
	if err := c.DeleteOrgPolicy(ctx, project, gcp.ConstraintDisableKeyCreation); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteOrgPolicy(ctx, project, gcp.ConstraintDisableKeyCreation); err != nil {
		t.Fatalf("deleting a missing policy: %v", err)
	}
	if _, err := c.CreateKey(ctx, email); err != nil {
		t.Fatalf("key once the policy is gone: %v", err)
	}
	list := &gcp.OrgPolicy{Constraint: gcp.ConstraintWorkloadIdentityPoolProviders, Rules: []gcp.OrgPolicyRule{{Allowed: []string{"https://gitlab.com"}}}}
	if err := c.SetOrgPolicy(ctx, project, list); err != nil {
		t.Fatal(err)
	}
	p, err := c.GetEffectivePolicy(ctx, project, gcp.ConstraintWorkloadIdentityPoolProviders)
	if err != nil || !p.Restricts() || !p.Allows("https://gitlab.com") || p.Allows("https://token.actions.githubusercontent.com") {
		t.Fatalf("list policy = %+v, %v", p, err)
	}

	// Permission tests: an SA's own policy counts; a pool's through the project.
	w.grant(c.ServiceAccountPolicy(email), "roles/iam.serviceAccountAdmin", "user:sam@example.com")
	sam := w.client(w.ts.MintToken(emulator.Identity{Principal: "user:sam@example.com"}))
	perms := []string{"iam.serviceAccounts.setIamPolicy", "iam.serviceAccountKeys.create"}
	got, err := sam.TestServiceAccountPermissions(ctx, email, perms)
	if err != nil || !slices.Equal(got, perms[:1]) {
		t.Fatalf("on the SA: %v, %v", got, err)
	}
	if got, err = sam.TestProjectPermissions(ctx, project, perms); err != nil || len(got) != 0 {
		t.Fatalf("on the project: %v, %v", got, err)
	}
	pool := "projects/" + projectNumber + "/locations/global/workloadIdentityPools/some-pool"
	if got, err = c.TestPoolPermissions(ctx, pool, []string{"iam.workloadIdentityPoolProviders.create"}); err != nil || len(got) != 1 {
		t.Fatalf("on a pool as the owner: %v, %v", got, err)
	}
	if got, err = sam.TestPoolPermissions(ctx, pool, []string{"iam.workloadIdentityPoolProviders.create"}); err != nil || len(got) != 0 {
		t.Fatalf("on a pool as sam: %v, %v", got, err)
	}
	role, err := c.GetRole(ctx, "roles/bigquery.dataViewer")
	if err != nil || !slices.Contains(role.Permissions, "bigquery.tables.getData") || slices.Contains(role.Permissions, "bigquery.jobs.create") {
		t.Fatalf("dataViewer = %+v, %v", role, err)
	}
}
