package emulator

import (
	"slices"
	"testing"

	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	su "google.golang.org/api/serviceusage/v1"
)

// Admin calls check IAM permissions from the role table, answering each
// API's own 403 (bodies recorded here in gcp-wire form).

func (e *cpEnv) grantProject(role, member string) {
	e.t.Helper()
	p := e.getPolicy(3)
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: role, Members: []string{member}})
	if _, err := e.setPolicy(p, ""); err != nil {
		e.t.Fatal(err)
	}
}

func (e *cpEnv) as(principal string) (*su.Service, *crmv1.Service, *iam.Service) {
	s, c1, _, i := e.clients(e.ts.MintToken(Identity{Principal: principal}))
	return s, c1, i
}

// Issue #15: an SA holding only jobUser may neither read the project policy
// nor grant itself roles/owner.
func TestJobUserCannotReadOrSetProjectPolicy(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa := e.createSA("low-priv")
	e.grantProject("roles/bigquery.jobUser", "serviceAccount:"+sa.Email)
	_, crm, _ := e.as("serviceAccount:" + sa.Email)
	_, err := crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
	wantBody(t, err, 403, `{"error":{"code":403,"message":"The caller does not have permission","status":"PERMISSION_DENIED",
	  "errors":[{"message":"The caller does not have permission","domain":"global","reason":"forbidden"}]}}`)
	pol := e.getPolicy(3)
	pol.Bindings = append(pol.Bindings, &crmv1.Binding{Role: "roles/owner", Members: []string{"serviceAccount:" + sa.Email}})
	_, err = crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pol}).Do()
	cpGoogleErr(t, err, 403)
	if got := e.getPolicy(3); len(got.Bindings) != 2 {
		t.Errorf("policy changed: %+v", got.Bindings)
	}
}

func TestServiceAccountAdminMayNotSetProjectPolicy(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	e.grantProject("roles/iam.serviceAccountAdmin", "user:sam@example.com")
	suS, crm, iamS := e.as("user:sam@example.com")
	sa, err := iamS.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: "made-by-sam"}).Do()
	if err != nil {
		t.Fatalf("serviceAccountAdmin may create SAs: %v", err)
	}
	if _, err := iamS.Projects.ServiceAccounts.GetIamPolicy(sa.Name).Do(); err != nil {
		t.Fatalf("and read their policies: %v", err)
	}
	// No keys (serviceAccountKeyAdmin), no project policy, no services.
	_, err = iamS.Projects.ServiceAccounts.Keys.Create(sa.Name, &iam.CreateServiceAccountKeyRequest{}).Do()
	wantBody(t, err, 403, `{"error":{"code":403,"message":"Permission 'iam.serviceAccountKeys.create' denied on resource (or it may not exist).","status":"PERMISSION_DENIED",
	  "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED","domain":"iam.googleapis.com","metadata":{"permission":"iam.serviceAccountKeys.create"}}]}}`)
	pol := e.getPolicy(3)
	_, err = crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pol}).Do()
	cpGoogleErr(t, err, 403)
	_, err = suS.Services.Enable("projects/"+cpProject+"/services/sts.googleapis.com", &su.EnableServiceRequest{}).Do()
	wantBody(t, err, 403, `{"error":{"code":403,"message":"Permission denied to enable service [sts.googleapis.com]","status":"PERMISSION_DENIED",
	  "details":[{"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[{"type":"googleapis.com","subject":"110002"}]},
	    {"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"AUTH_PERMISSION_DENIED","domain":"serviceusage.googleapis.com","metadata":{"permission":"serviceusage.services.enable"}}]}}`)
	// A missing SA is a 403 to who may not see it, a 404 to who may.
	_, err = iamS.Projects.ServiceAccounts.Get("projects/" + cpProject + "/serviceAccounts/nobody@" + cpProject + ".iam.gserviceaccount.com").Do()
	cpGoogleErr(t, err, 404)
	_, _, nobody := e.as("user:nobody@example.com")
	_, err = nobody.Projects.ServiceAccounts.Get("projects/" + cpProject + "/serviceAccounts/nobody@" + cpProject + ".iam.gserviceaccount.com").Do()
	cpGoogleErr(t, err, 403)
}

// Owner and editor: everything but impersonation; editor cannot grant.
func TestBasicRoles(t *testing.T) {
	for _, c := range []struct {
		role, perm string
		want       bool
	}{
		{"roles/owner", "resourcemanager.projects.setIamPolicy", true},
		{"roles/owner", "iam.serviceAccounts.getAccessToken", false},
		{"roles/editor", "iam.serviceAccounts.create", true},
		{"roles/editor", "resourcemanager.projects.setIamPolicy", false},
		{"roles/editor", "iam.serviceAccounts.setIamPolicy", false},
		{"roles/viewer", "resourcemanager.projects.getIamPolicy", true},
		{"roles/viewer", "resourcemanager.projects.setIamPolicy", false},
		{"roles/resourcemanager.projectIamAdmin", "resourcemanager.projects.setIamPolicy", true},
		{"roles/logging.configWriter", "logging.sinks.create", true},
		{"roles/bigquery.dataViewer", "bigquery.jobs.create", false},
	} {
		if got := roleHas(c.role, c.perm); got != c.want {
			t.Errorf("%s has %s = %v, want %v", c.role, c.perm, got, c.want)
		}
	}
}

func TestCustomRolesAndPoolTestIamPermissions(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	roles := e.iam.Projects.Roles
	r, err := roles.Create("projects/"+cpProject, &iam.CreateRoleRequest{RoleId: "fedctlData",
		Role: &iam.Role{Title: "fedctl data", IncludedPermissions: []string{"bigquery.jobs.create", "bigquery.tables.getData", "bigquery.jobs.create"}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "projects/"+cpProject+"/roles/fedctlData" || !slices.Equal(r.IncludedPermissions, []string{"bigquery.jobs.create", "bigquery.tables.getData"}) {
		t.Fatalf("created %+v", r)
	}
	pre, err := e.iam.Roles.Get("roles/bigquery.jobUser").Do()
	if err != nil || !slices.Contains(pre.IncludedPermissions, "bigquery.jobs.create") {
		t.Fatalf("roles.get jobUser = %+v, %v", pre, err)
	}
	e.grantProject(r.Name, "user:ann@example.com")
	_, crm, _ := e.as("user:ann@example.com")
	got, err := crm.Projects.TestIamPermissions(cpProject, &crmv1.TestIamPermissionsRequest{Permissions: []string{"bigquery.jobs.create", "bigquery.datasets.create"}}).Do()
	if err != nil || !slices.Equal(got.Permissions, []string{"bigquery.jobs.create"}) {
		t.Fatalf("custom role grants %v, %v", got, err)
	}
	// Deleted: grants nothing, cannot be bound anew, can be undeleted.
	if _, err := roles.Delete(r.Name).Do(); err != nil {
		t.Fatal(err)
	}
	if got, _ = crm.Projects.TestIamPermissions(cpProject, &crmv1.TestIamPermissionsRequest{Permissions: []string{"bigquery.jobs.create"}}).Do(); len(got.Permissions) != 0 {
		t.Errorf("deleted role still grants %v", got.Permissions)
	}
	p := e.getPolicy(3)
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: r.Name, Members: []string{"user:bo@example.com"}})
	_, err = e.setPolicy(p, "")
	cpGoogleErr(t, err, 400)
	if _, err := roles.Undelete(r.Name, &iam.UndeleteRoleRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	// Pools answer testIamPermissions through the project policy.
	resp, err := e.iam.Projects.Locations.WorkloadIdentityPools.TestIamPermissions(
		"projects/"+cpProject+"/locations/global/workloadIdentityPools/any-pool",
		&iam.TestIamPermissionsRequest{Permissions: []string{"iam.workloadIdentityPoolProviders.create"}}).Do()
	if err != nil || len(resp.Permissions) != 1 {
		t.Fatalf("pool testIamPermissions = %+v, %v", resp, err)
	}
}
