package emulator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	crmv3 "google.golang.org/api/cloudresourcemanager/v3"
)

const cpResource = cpProject

func (e *cpEnv) getPolicy(version int64) *crmv1.Policy {
	e.t.Helper()
	p, err := e.crm.Projects.GetIamPolicy(cpResource, &crmv1.GetIamPolicyRequest{
		Options: &crmv1.GetPolicyOptions{RequestedPolicyVersion: version}}).Do()
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *cpEnv) setPolicy(p *crmv1.Policy, mask string) (*crmv1.Policy, error) {
	return e.crm.Projects.SetIamPolicy(cpResource, &crmv1.SetIamPolicyRequest{Policy: p, UpdateMask: mask}).Do()
}

func cpFindBinding(p *crmv1.Policy, role string) *crmv1.Binding {
	for _, b := range p.Bindings {
		if b.Role == role {
			return b
		}
	}
	return nil
}

func TestCRMGetProject(t *testing.T) {
	e := cpNew(t, Options{})
	p, err := e.crm.Projects.Get(cpProject).Do()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(p.ProjectNumber) != cpNumber || p.ProjectId != cpProject || p.LifecycleState != "ACTIVE" {
		t.Errorf("v1 project = %+v", p)
	}
	if ct, err := time.Parse(time.RFC3339, p.CreateTime); err != nil || !ct.Equal(cpStart) {
		t.Errorf("createTime %q (%v)", p.CreateTime, err)
	}
	p3, err := e.crm3.Projects.Get("projects/" + cpNumber).Do()
	if err != nil {
		t.Fatal(err)
	}
	if p3.Name != "projects/"+cpNumber || p3.ProjectId != cpProject || p3.State != "ACTIVE" || !strings.HasPrefix(p3.Etag, `W/"`) {
		t.Errorf("v3 project = %+v", p3)
	}

	// Missing projects are 403, in each version's style.
	_, err = e.crm.Projects.Get("no-such-project").Do()
	if r := cpLegacyReason(t, err, 403); r != "forbidden" {
		t.Errorf("v1 missing project reason %q", r)
	}
	_, err = e.crm3.Projects.Get("projects/no-such-project").Do()
	if ae := cpAPIError(t, err, 403); ae.Reason() != "IAM_PERMISSION_DENIED" || ae.Metadata()["permission"] != "resourcemanager.projects.get" {
		t.Errorf("v3 missing project: %v %v", ae.Reason(), ae.Metadata())
	}

	// The API itself can be off.
	if err := e.ts.WithState(func(st *State) error {
		st.Projects[cpProject].Services[crmService] = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.crm.Projects.Get(cpProject).Do()
	if ae := cpAPIError(t, err, 403); ae.Reason() != "SERVICE_DISABLED" || ae.Metadata()["service"] != crmService {
		t.Errorf("disabled crm: %v %v", ae.Reason(), ae.Metadata())
	}
}

func TestCRMPolicyStaleEtagIsAborted(t *testing.T) {
	e := cpNew(t, Options{})
	p := e.getPolicy(3)
	if p.Version != 1 || p.Etag == "" || cpFindBinding(p, "roles/owner") == nil {
		t.Fatalf("seed policy = %+v", p)
	}
	old := p.Etag
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/viewer", Members: []string{"user:alice@example.com"}})
	got, err := e.setPolicy(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.Etag == old || got.Etag == "" || cpFindBinding(got, "roles/viewer") == nil {
		t.Fatalf("after set: %+v", got)
	}
	if now := e.getPolicy(3); now.Etag != got.Etag {
		t.Errorf("get etag %q != set etag %q", now.Etag, got.Etag)
	}

	// A writer that read before the change loses.
	p.Etag = old
	_, err = e.setPolicy(p, "")
	if r := cpLegacyReason(t, err, 409); r != "aborted" {
		t.Errorf("stale etag reason %q", r)
	}
	// Without an etag the write is unconditional.
	p.Etag = ""
	p.Bindings = []*crmv1.Binding{{Role: "roles/owner", Members: []string{"user:operator@example.com"}}}
	if _, err := e.setPolicy(p, ""); err != nil {
		t.Fatalf("unconditional set: %v", err)
	}
	if cpFindBinding(e.getPolicy(1), "roles/viewer") != nil {
		t.Error("unconditional set did not replace the bindings")
	}
}

func TestCRMConditionsSurviveV3AndAreRewrittenForV1(t *testing.T) {
	e := cpNew(t, Options{})
	cond := &crmv1.Expr{Title: "until 2030", Expression: "request.time < timestamp('2030-01-01T00:00:00Z')"}
	p := e.getPolicy(3)
	p.Version = 3
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{"user:bob@example.com"}, Condition: cond})
	if _, err := e.setPolicy(p, ""); err != nil {
		t.Fatal(err)
	}

	// A v3 read-modify-write keeps the condition.
	p = e.getPolicy(3)
	if p.Version != 3 {
		t.Fatalf("version %d, want 3", p.Version)
	}
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/viewer", Members: []string{"user:carol@example.com"}})
	if _, err := e.setPolicy(p, ""); err != nil {
		t.Fatal(err)
	}
	p = e.getPolicy(3)
	b := cpFindBinding(p, "roles/bigquery.jobUser")
	if b == nil || b.Condition == nil || b.Condition.Expression != cond.Expression || b.Condition.Title != cond.Title {
		t.Fatalf("condition lost in v3 read-modify-write: %+v", p.Bindings)
	}

	// A v1 read sees the conditional binding under a _withcond_ role.
	for _, v := range []int64{0, 1} {
		p1 := e.getPolicy(v)
		if p1.Version != 1 {
			t.Errorf("v%d read: version %d", v, p1.Version)
		}
		var rewritten *crmv1.Binding
		for _, b := range p1.Bindings {
			if b.Condition != nil {
				t.Errorf("v%d read carries a condition: %+v", v, b)
			}
			if strings.HasPrefix(b.Role, "roles/bigquery.jobUser_withcond_") {
				rewritten = b
			}
		}
		if rewritten == nil || len(strings.TrimPrefix(rewritten.Role, "roles/bigquery.jobUser_withcond_")) != 20 ||
			!slices.Equal(rewritten.Members, []string{"user:bob@example.com"}) {
			t.Errorf("v%d read bindings: %+v", v, p1.Bindings)
		}
	}

	// Writing that v1 view back with its etag must not drop the condition.
	p1 := e.getPolicy(1)
	_, err := e.setPolicy(p1, "")
	ge := cpGoogleErr(t, err, 400)
	if !strings.Contains(ge.Message, "Specified policy version (1) cannot be less than the existing policy version (3)") {
		t.Errorf("message %q", ge.Message)
	}
	// Conditions need version 3.
	p = e.getPolicy(3)
	p.Version = 1
	_, err = e.setPolicy(p, "")
	cpGoogleErr(t, err, 400)
	// A v3 read of a condition-free policy is version 1.
	p.Version = 3
	p.Bindings = []*crmv1.Binding{{Role: "roles/owner", Members: []string{"user:operator@example.com"}}}
	if _, err := e.setPolicy(p, ""); err != nil {
		t.Fatal(err)
	}
	if v := e.getPolicy(3).Version; v != 1 {
		t.Errorf("condition-free policy read at 3 has version %d, want 1", v)
	}
}

func TestCRMAuditConfigsFollowUpdateMask(t *testing.T) {
	e := cpNew(t, Options{})
	p := e.getPolicy(3)
	p.AuditConfigs = []*crmv1.AuditConfig{{Service: "bigquery.googleapis.com", AuditLogConfigs: []*crmv1.AuditLogConfig{
		{LogType: "DATA_READ", ExemptedMembers: []string{"user:robot@example.com"}}, {LogType: "DATA_WRITE"}}}}
	// Default mask (bindings,etag): auditConfigs are ignored.
	got, err := e.setPolicy(p, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.AuditConfigs) != 0 {
		t.Errorf("auditConfigs written without being in the mask: %+v", got.AuditConfigs)
	}
	p.Etag = got.Etag
	if got, err = e.setPolicy(p, "bindings,etag,auditConfigs"); err != nil {
		t.Fatal(err)
	}
	if len(got.AuditConfigs) != 1 || got.AuditConfigs[0].AuditLogConfigs[0].ExemptedMembers[0] != "user:robot@example.com" {
		t.Fatalf("auditConfigs not written: %+v", got.AuditConfigs)
	}
	// A bindings-only writer (no auditConfigs in its body) keeps them.
	p = e.getPolicy(3)
	p.AuditConfigs = nil
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/viewer", Members: []string{"group:team@example.com"}})
	if _, err := e.setPolicy(p, "bindings,etag"); err != nil {
		t.Fatal(err)
	}
	if got := e.getPolicy(3); len(got.AuditConfigs) != 1 || cpFindBinding(got, "roles/viewer") == nil {
		t.Errorf("after bindings-only write: %+v", got)
	}
	// With auditConfigs in the mask, an empty list clears them.
	p = e.getPolicy(3)
	p.AuditConfigs = nil
	if got, err := e.setPolicy(p, "bindings,etag,auditConfigs"); err != nil || len(got.AuditConfigs) != 0 {
		t.Errorf("clear auditConfigs: %+v %v", got, err)
	}
	p = e.getPolicy(3)
	_, err = e.setPolicy(p, "bindings,owners")
	cpGoogleErr(t, err, 400)
}

func TestCRMPolicyValidation(t *testing.T) {
	e := cpNew(t, Options{})
	base := e.getPolicy(3)
	try := func(b *crmv1.Binding) error {
		p := *base
		p.Bindings = append(slices.Clone(base.Bindings), b)
		_, err := e.setPolicy(&p, "")
		return err
	}

	for _, m := range []string{"bob@example.com", "robot:x@example.com", "user:not-an-email", "deleted:user:bob@example.com"} {
		if err := try(&crmv1.Binding{Role: "roles/viewer", Members: []string{m}}); err == nil {
			t.Errorf("member %q accepted", m)
		} else {
			cpGoogleErr(t, err, 400)
		}
	}
	if err := try(&crmv1.Binding{Role: "viewer", Members: []string{"user:a@example.com"}}); err == nil {
		t.Error("role without roles/ accepted")
	}
	okMembers := []string{"allUsers", "allAuthenticatedUsers", "domain:example.com", "group:g@example.com",
		"deleted:serviceAccount:x@demo-project.iam.gserviceaccount.com?uid=123456789012345678901",
		"principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gh/subject/repo:acme/app:ref:refs/heads/main",
		"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gh/attribute.repository/acme/app",
		"serviceAccount:service-123456789012@gcp-sa-logging.iam.gserviceaccount.com",
		"serviceAccount:other@another-project.iam.gserviceaccount.com"}
	if err := try(&crmv1.Binding{Role: "roles/viewer", Members: okMembers}); err != nil {
		t.Errorf("valid members rejected: %v", err)
	}
	base = e.getPolicy(3)

	// An SA of this world that does not exist.
	err := try(&crmv1.Binding{Role: "roles/viewer", Members: []string{"serviceAccount:" + cpSAEmail("ghost-sa")}})
	ge := cpGoogleErr(t, err, 400)
	if ge.Message != "Service account "+cpSAEmail("ghost-sa")+" does not exist." || ge.Errors[0].Reason != "badRequest" {
		t.Errorf("ghost SA: %q %+v", ge.Message, ge.Errors)
	}

	// The 1,500-principal limit (the owner counts).
	if _, err := e.setPolicy(&crmv1.Policy{Bindings: []*crmv1.Binding{{Role: "roles/owner", Members: []string{"user:operator@example.com"}}}}, ""); err != nil {
		t.Fatal(err)
	}
	base = e.getPolicy(3)
	var members []string
	for i := range 1500 {
		members = append(members, fmt.Sprintf("user:u%d@example.com", i))
	}
	// 1,500 including the owner is fine; one more is not.
	err = try(&crmv1.Binding{Role: "roles/viewer", Members: members})
	ge = cpGoogleErr(t, err, 400)
	if ge.Message != "The number of members in the policy (1,501) is larger than the maximum allowed size 1,500." || ge.Errors[0].Reason != "badRequest" {
		t.Errorf("limit error: %q %+v", ge.Message, ge.Errors)
	}
	if err := try(&crmv1.Binding{Role: "roles/viewer", Members: members[:1499]}); err != nil {
		t.Errorf("1,500 members: %v", err)
	}
}

func TestCRMTestIamPermissionsHonoursPropagation(t *testing.T) {
	e := cpNew(t, Options{PropagationDelay: 2 * time.Minute})
	p := e.getPolicy(3)
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{"user:alice@example.com"}})
	if _, err := e.setPolicy(p, ""); err != nil {
		t.Fatal(err)
	}
	_, alice, alice3, _ := e.clients(e.ts.MintToken(Identity{Principal: "user:alice@example.com"}))
	perms := []string{"bigquery.jobs.create", "resourcemanager.projects.get", "iam.serviceAccounts.actAs"}
	got, err := alice.Projects.TestIamPermissions(cpResource, &crmv1.TestIamPermissionsRequest{Permissions: perms}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Permissions) != 0 {
		t.Errorf("before propagation: %v", got.Permissions)
	}
	e.clk.Advance(2 * time.Minute)
	got, err = alice.Projects.TestIamPermissions(cpResource, &crmv1.TestIamPermissionsRequest{Permissions: perms}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.Permissions, perms[:2]) {
		t.Errorf("after propagation: %v", got.Permissions)
	}
	// A jobUser may not read the policy (resourcemanager.projects.getIamPolicy).
	if _, err := alice3.Projects.GetIamPolicy("projects/"+cpProject, &crmv3.GetIamPolicyRequest{}).Do(); err == nil {
		t.Error("a jobUser read the project policy")
	}
	// v3 speaks the same policy.
	p3, err := e.crm3.Projects.GetIamPolicy("projects/"+cpProject, &crmv3.GetIamPolicyRequest{}).Do()
	if err != nil || len(p3.Bindings) != 2 || p3.Etag != e.getPolicy(1).Etag {
		t.Errorf("v3 policy: %+v %v", p3, err)
	}
}
