package emulator

import (
	"context"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/option"
)

func TestIAMRequiresTheAPI(t *testing.T) {
	e := cpNew(t, Options{})
	_, err := e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject,
		&iam.CreateServiceAccountRequest{AccountId: "my-robot"}).Do()
	ae := cpAPIError(t, err, 403)
	if ae.Reason() != "SERVICE_DISABLED" || ae.Metadata()["service"] != iamService || ae.Metadata()["consumer"] != "projects/"+cpProject {
		t.Errorf("reason %q metadata %v", ae.Reason(), ae.Metadata())
	}
	_, err = e.iam.Projects.ServiceAccounts.List("projects/" + cpNumber).Do()
	if ae := cpAPIError(t, err, 403); ae.Metadata()["consumer"] != "projects/"+cpNumber {
		t.Errorf("consumer should be the identifier the request used: %v", ae.Metadata())
	}
}

func TestServiceAccountCreateGetPatchDisable(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa, err := e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{
		AccountId: "fedctl-alice", ServiceAccount: &iam.ServiceAccount{DisplayName: "Alice", Description: "for alice"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	email := cpSAEmail("fedctl-alice")
	if sa.Email != email || sa.Name != "projects/"+cpProject+"/serviceAccounts/"+email || sa.ProjectId != cpProject ||
		sa.DisplayName != "Alice" || sa.Description != "for alice" || sa.Etag == "" || sa.Disabled {
		t.Errorf("created %+v", sa)
	}
	if !regexp.MustCompile(`^1\d{20}$`).MatchString(sa.UniqueId) || sa.Oauth2ClientId != sa.UniqueId {
		t.Errorf("uniqueId %q oauth2ClientId %q", sa.UniqueId, sa.Oauth2ClientId)
	}

	for _, name := range []string{email, sa.UniqueId} {
		for _, proj := range []string{cpProject, "-"} {
			got, err := e.iam.Projects.ServiceAccounts.Get("projects/" + proj + "/serviceAccounts/" + name).Do()
			if err != nil || got.UniqueId != sa.UniqueId {
				t.Errorf("get %s/%s: %+v %v", proj, name, got, err)
			}
		}
	}

	// Duplicate.
	_, err = e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: "fedctl-alice"}).Do()
	ge := cpGoogleErr(t, err, 409)
	if ge.Message != "Service account fedctl-alice already exists within project projects/demo-project." ||
		len(ge.Errors) != 1 || ge.Errors[0].Reason != "alreadyExists" || !strings.Contains(ge.Body, `"resourceName":"projects/demo-project/serviceAccounts/`+email+`"`) {
		t.Errorf("duplicate: %v\n%s", err, ge.Body)
	}

	// Missing: 404, or 403 through the "-" wildcard.
	_, err = e.iam.Projects.ServiceAccounts.Get("projects/" + cpProject + "/serviceAccounts/" + cpSAEmail("nobody-here")).Do()
	ge = cpGoogleErr(t, err, 404)
	if ge.Message != "Unknown service account" || len(ge.Errors) != 0 || !strings.Contains(ge.Body, `"status":"NOT_FOUND"`) {
		t.Errorf("missing: %v %s", err, ge.Body)
	}
	_, err = e.iam.Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + cpSAEmail("nobody-here")).Do()
	if ae := cpAPIError(t, err, 403); ae.Reason() != "IAM_PERMISSION_DENIED" {
		t.Errorf("missing via -: %v", err)
	}

	// Patch.
	got, err := e.iam.Projects.ServiceAccounts.Patch("projects/-/serviceAccounts/"+email, &iam.PatchServiceAccountRequest{
		ServiceAccount: &iam.ServiceAccount{DisplayName: "Alice (renamed)"}, UpdateMask: "display_name"}).Do()
	if err != nil || got.DisplayName != "Alice (renamed)" || got.Description != "for alice" || got.Etag == sa.Etag {
		t.Errorf("patch: %+v %v", got, err)
	}

	// Disable, enable.
	if _, err := e.iam.Projects.ServiceAccounts.Disable("projects/"+cpProject+"/serviceAccounts/"+email, &iam.DisableServiceAccountRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.iam.Projects.ServiceAccounts.Get("projects/" + cpProject + "/serviceAccounts/" + email).Do(); !got.Disabled {
		t.Error("not disabled")
	}
	if _, err := e.iam.Projects.ServiceAccounts.Enable("projects/"+cpProject+"/serviceAccounts/"+email, &iam.EnableServiceAccountRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.iam.Projects.ServiceAccounts.Get("projects/" + cpProject + "/serviceAccounts/" + email).Do(); got.Disabled {
		t.Error("still disabled")
	}
}

func TestServiceAccountIDValidation(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	for id, want := range map[string]string{
		"short":                             `The account ID "short" does not have a length between 6 and 30.`,
		"this-account-id-is-far-too-long-1": `The account ID "this-account-id-is-far-too-long-1" does not have a length between 6 and 30.`,
		"Bad_Account":                       `Bad_Account does not match [a-z][a-z\d\-]*[a-z\d].`,
		"1starts-with-digit":                `1starts-with-digit does not match [a-z][a-z\d\-]*[a-z\d].`,
		"ends-with-dash-":                   `ends-with-dash- does not match [a-z][a-z\d\-]*[a-z\d].`,
	} {
		_, err := e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: id}).Do()
		if ge := cpGoogleErr(t, err, 400); ge.Message != want {
			t.Errorf("%s: message %q, want %q", id, ge.Message, want)
		}
	}
	_, err := e.iam.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{
		AccountId: "long-name", ServiceAccount: &iam.ServiceAccount{DisplayName: strings.Repeat("x", 101)}}).Do()
	cpGoogleErr(t, err, 400)
}

func TestServiceAccountVisibilityDelay(t *testing.T) {
	e := cpNew(t, Options{VisibilityDelay: 30 * time.Second})
	e.enable(iamService)
	sa := e.createSA("slow-robot")
	_, err := e.iam.Projects.ServiceAccounts.Get(sa.Name).Do()
	cpGoogleErr(t, err, 404)
	bind := func() error {
		p, err := e.crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
		if err != nil {
			return err
		}
		p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{"serviceAccount:" + sa.Email}})
		_, err = e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: p}).Do()
		return err
	}
	if ge := cpGoogleErr(t, bind(), 400); ge.Message != "Service account "+sa.Email+" does not exist." {
		t.Errorf("bind before visible: %q", ge.Message)
	}
	if l, _ := e.iam.Projects.ServiceAccounts.List("projects/" + cpProject).Do(); len(l.Accounts) != 0 {
		t.Errorf("listed before visible: %d", len(l.Accounts))
	}
	e.clk.Advance(30 * time.Second)
	if _, err := e.iam.Projects.ServiceAccounts.Get(sa.Name).Do(); err != nil {
		t.Errorf("get once visible: %v", err)
	}
	if err := bind(); err != nil {
		t.Errorf("bind once visible: %v", err)
	}
}

func TestServiceAccountListPages(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	var want []string
	for i := range 250 {
		want = append(want, e.createSA(fmt.Sprintf("robot-%03d", i)).Email)
	}
	sort.Strings(want)
	var got []string
	pages := 0
	err := e.iam.Projects.ServiceAccounts.List("projects/"+cpProject).Pages(e.ctx, func(r *iam.ListServiceAccountsResponse) error {
		pages++
		if len(r.Accounts) > 20 {
			t.Errorf("default page of %d accounts", len(r.Accounts))
		}
		for _, a := range r.Accounts {
			got = append(got, a.Email)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) || pages != 13 {
		t.Errorf("listed %d accounts in %d pages, want 250 in 13", len(got), pages)
	}
	// pageSize is capped at 100.
	r, err := e.iam.Projects.ServiceAccounts.List("projects/" + cpProject).PageSize(500).Do()
	if err != nil || len(r.Accounts) != 100 || r.NextPageToken == "" {
		t.Errorf("pageSize 500: %d accounts, next %q, %v", len(r.Accounts), r.NextPageToken, err)
	}
	_, err = e.iam.Projects.ServiceAccounts.List("projects/" + cpProject).PageToken("%%%").Do()
	cpGoogleErr(t, err, 400)
}

func TestServiceAccountPolicy(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa := e.createSA("token-robot")
	p, err := e.iam.Projects.ServiceAccounts.GetIamPolicy(sa.Name).OptionsRequestedPolicyVersion(3).Do()
	if err != nil {
		t.Fatal(err)
	}
	if p.Etag != "ACAB" || p.Version != 0 || len(p.Bindings) != 0 {
		t.Fatalf("fresh SA policy = %+v, want {etag: ACAB}", p)
	}
	p.Bindings = []*iam.Binding{{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"user:alice@example.com"}}}
	set, err := e.iam.Projects.ServiceAccounts.SetIamPolicy(sa.Name, &iam.SetIamPolicyRequest{Policy: p}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if set.Etag == "ACAB" || set.Version != 1 || len(set.Bindings) != 1 {
		t.Errorf("after set: %+v", set)
	}
	// The ACAB read is now stale.
	_, err = e.iam.Projects.ServiceAccounts.SetIamPolicy(sa.Name, &iam.SetIamPolicyRequest{Policy: p}).Do()
	if r := cpLegacyReason(t, err, 409); r != "aborted" {
		t.Errorf("stale etag reason %q", r)
	}
	// SA policies have no auditConfigs.
	p.Etag = set.Etag
	p.AuditConfigs = []*iam.AuditConfig{{Service: "allServices", AuditLogConfigs: []*iam.AuditLogConfig{{LogType: "DATA_READ"}}}}
	_, err = e.iam.Projects.ServiceAccounts.SetIamPolicy(sa.Name, &iam.SetIamPolicyRequest{Policy: p, UpdateMask: "bindings,etag,auditConfigs"}).Do()
	cpGoogleErr(t, err, 400)

	// testIamPermissions on the SA counts its own policy.
	_, _, _, alice := e.clients(e.ts.MintToken(Identity{Principal: "user:alice@example.com"}))
	tr, err := alice.Projects.ServiceAccounts.TestIamPermissions(sa.Name, &iam.TestIamPermissionsRequest{
		Permissions: []string{"iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.delete"}}).Do()
	if err != nil || !slices.Equal(tr.Permissions, []string{"iam.serviceAccounts.getAccessToken"}) {
		t.Errorf("testIamPermissions: %+v %v", tr, err)
	}
}

func TestServiceAccountDeleteLeavesDeletedMembers(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	victim, keeper := e.createSA("victim-robot"), e.createSA("keeper-robot")
	member := "serviceAccount:" + victim.Email
	p, _ := e.crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
	p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{member, "user:x@example.com"}})
	if _, err := e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: p}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.Projects.ServiceAccounts.SetIamPolicy(keeper.Name, &iam.SetIamPolicyRequest{Policy: &iam.Policy{
		Bindings: []*iam.Binding{{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{member}}}}}).Do(); err != nil {
		t.Fatal(err)
	}

	if _, err := e.iam.Projects.ServiceAccounts.Delete(victim.Name).Do(); err != nil {
		t.Fatal(err)
	}
	_, err := e.iam.Projects.ServiceAccounts.Get(victim.Name).Do()
	cpGoogleErr(t, err, 404)
	deleted := "deleted:serviceAccount:" + victim.Email + "?uid=" + victim.UniqueId
	pp, _ := e.crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
	if b := cpFindBinding(pp, "roles/bigquery.jobUser"); b == nil || !slices.Equal(b.Members, []string{deleted, "user:x@example.com"}) {
		t.Errorf("project policy after delete: %+v", pp.Bindings)
	}
	kp, _ := e.iam.Projects.ServiceAccounts.GetIamPolicy(keeper.Name).Do()
	if len(kp.Bindings) != 1 || !slices.Equal(kp.Bindings[0].Members, []string{deleted}) {
		t.Errorf("SA policy after delete: %+v", kp.Bindings)
	}
	// The policy with the deleted member can be written back as read.
	if _, err := e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pp}).Do(); err != nil {
		t.Errorf("write back with deleted member: %v", err)
	}

	// Undelete by uniqueId restores the account and its bindings.
	r, err := e.iam.Projects.ServiceAccounts.Undelete("projects/-/serviceAccounts/"+victim.UniqueId, &iam.UndeleteServiceAccountRequest{}).Do()
	if err != nil || r.RestoredAccount.Email != victim.Email || r.RestoredAccount.UniqueId != victim.UniqueId {
		t.Fatalf("undelete: %+v %v", r, err)
	}
	kp, _ = e.iam.Projects.ServiceAccounts.GetIamPolicy(keeper.Name).Do()
	if !slices.Equal(kp.Bindings[0].Members, []string{member}) {
		t.Errorf("SA policy after undelete: %+v", kp.Bindings)
	}
	// An accountId can be reused after delete, with a new uniqueId.
	if _, err := e.iam.Projects.ServiceAccounts.Delete(victim.Name).Do(); err != nil {
		t.Fatal(err)
	}
	if again := e.createSA("victim-robot"); again.UniqueId == victim.UniqueId {
		t.Error("recreated account kept the old uniqueId")
	}
}

func TestControlPlaneAuthAndRouting(t *testing.T) {
	e := cpNew(t, Options{})
	_, anonCRM, _, _ := e.clients("")
	_, err := anonCRM.Projects.Get(cpProject).Do()
	if ae := cpAPIError(t, err, 401); ae.Reason() != "CREDENTIALS_MISSING" {
		t.Errorf("no credentials: %v", err)
	}
	_, badCRM, _, _ := e.clients("ya29.not-one-of-ours")
	_, err = badCRM.Projects.Get(cpProject).Do()
	cpGoogleErr(t, err, 401)

	// A client pointed at the wrong prefix gets Google's HTML 404.
	wrong, err := iam.NewService(e.ctx, option.WithEndpoint(e.ts.Endpoint+"iamx/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: e.ts.Token})))
	if err != nil {
		t.Fatal(err)
	}
	_, err = wrong.Projects.ServiceAccounts.List("projects/" + cpProject).Do()
	cpGoogleErr(t, err, 404)
	if !strings.Contains(err.Error(), "got HTTP response code 404") || !strings.Contains(err.Error(), "Error 404 (Not Found)") {
		t.Errorf("unknown route: %v", err)
	}
	names := e.ts.RouteNames()
	for _, n := range []string{"serviceusage.services.batchEnable", "cloudresourcemanager.projects.setIamPolicy",
		"iam.projects.serviceAccounts.create", "iam.projects.serviceAccounts.keys.create", "serviceusage.operations.get"} {
		if !slices.Contains(names, n) {
			t.Errorf("route %s not registered", n)
		}
	}
}

func TestStatePersistsAcrossServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sandbox.json")
	clk := NewFakeClock(cpStart)
	opts := Options{StatePath: path, Now: clk.Now, LockWait: time.Nanosecond}
	s1, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs1 := httptest.NewServer(s1)
	token := s1.OperatorToken()
	iam1 := cpIAMClient(t, hs1.URL+"/", token)
	if err := s1.WithState(func(st *State) error { st.Projects[cpProject].Services[iamService] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	sa, err := iam1.Projects.ServiceAccounts.Create("projects/"+cpProject, &iam.CreateServiceAccountRequest{AccountId: "kept-robot"}).Do()
	if err != nil {
		t.Fatal(err)
	}

	hs1.Close()
	if err := s1.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	hs2 := httptest.NewServer(s2)
	defer func() { hs2.Close(); s2.Close() }()
	// The old token is still valid (the MAC secret persisted) and the SA is there.
	got, err := cpIAMClient(t, hs2.URL+"/", token).Projects.ServiceAccounts.Get(sa.Name).Do()
	if err != nil || got.UniqueId != sa.UniqueId {
		t.Errorf("after reload: %+v %v", got, err)
	}
}

func cpIAMClient(t *testing.T, endpoint, token string) *iam.Service {
	t.Helper()
	s, err := iam.NewService(context.Background(), option.WithEndpoint(endpoint+"iam/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	if err != nil {
		t.Fatal(err)
	}
	return s
}
