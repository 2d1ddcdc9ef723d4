package emulator

import (
	"bytes"
	"encoding/json"
	"testing"

	"golang.org/x/oauth2"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"
	orgpolicy "google.golang.org/api/orgpolicy/v2"
)

// The Org Policy API and the four SPEC §7.3 constraints, through the real
// clients. Each refusal's body is recorded here in gcp-wire form, as Google
// sends it (sources in orgpolicy.go).

func (e *cpEnv) orgPolicy() *orgpolicy.Service {
	e.t.Helper()
	s, err := orgpolicy.NewService(e.ctx, option.WithEndpoint(e.ts.Endpoint+"orgpolicy/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: e.ts.Token})))
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *cpEnv) setOrgPolicy(constraint string, rules ...OrgPolicyRule) {
	e.t.Helper()
	if err := e.ts.WithState(func(st *State) error {
		return SetOrgPolicy(st, cpProject, constraint, rules, e.clk.Now())
	}); err != nil {
		e.t.Fatal(err)
	}
}

// wantBody compares a Google error body with the expected JSON.
func wantBody(t *testing.T, err error, code int, want string) {
	t.Helper()
	ge := cpGoogleErr(t, err, code)
	var got, exp any
	if err := json.Unmarshal([]byte(ge.Body), &got); err != nil {
		t.Fatalf("body %q: %v", ge.Body, err)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("want %q: %v", want, err)
	}
	g, _ := json.Marshal(got)
	w, _ := json.Marshal(exp)
	if !bytes.Equal(g, w) {
		t.Fatalf("body:\n got %s\nwant %s", g, w)
	}
}

func TestOrgPolicyAPIRoundTrip(t *testing.T) {
	e := cpNew(t, Options{})
	op := e.orgPolicy().Projects.Policies
	name := "projects/" + cpProject + "/policies/" + ConstraintDisableKeyCreation

	eff, err := op.GetEffectivePolicy(name).Do()
	if err != nil {
		t.Fatal(err)
	}
	if eff.Name != "projects/"+cpNumber+"/policies/"+ConstraintDisableKeyCreation || len(eff.Spec.Rules) != 1 || eff.Spec.Rules[0].Enforce {
		t.Fatalf("default effective policy = %+v", eff.Spec)
	}
	if _, err := op.Get(name).Do(); err == nil {
		t.Fatal("get of an unset policy succeeded")
	} else {
		cpGoogleErr(t, err, 404)
	}
	rule := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{Enforce: true}
	created, err := op.Create("projects/"+cpProject, &orgpolicy.GoogleCloudOrgpolicyV2Policy{Name: name,
		Spec: &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{Rules: []*orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{rule}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := op.Create("projects/"+cpProject, created).Do(); err == nil {
		t.Fatal("second create succeeded")
	} else {
		cpGoogleErr(t, err, 409)
	}
	if eff, err = op.GetEffectivePolicy(name).Do(); err != nil || !eff.Spec.Rules[0].Enforce {
		t.Fatalf("effective after create = %+v, %v", eff, err)
	}
	off := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{Enforce: false, ForceSendFields: []string{"Enforce"}}
	created.Spec.Rules = []*orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{off}
	if _, err := op.Patch(created.Name, created).Do(); err != nil {
		t.Fatal(err)
	}
	if eff, err = op.GetEffectivePolicy(name).Do(); err != nil || eff.Spec.Rules[0].Enforce {
		t.Fatalf("effective after patch = %+v, %v", eff, err)
	}
	if _, err := op.Patch(created.Name, created).Do(); err == nil {
		t.Fatal("patch with a stale etag succeeded")
	}
	if _, err := op.Delete(name).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := op.Get(name).Do(); err == nil {
		t.Fatal("deleted policy still readable")
	}
	// A caller without orgpolicy.policy.get is refused.
	viewerless := e.ts.MintToken(Identity{Principal: "user:nobody@example.com"})
	s, _ := orgpolicy.NewService(e.ctx, option.WithEndpoint(e.ts.Endpoint+"orgpolicy/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: viewerless})))
	_, err = s.Projects.Policies.GetEffectivePolicy(name).Do()
	cpGoogleErr(t, err, 403)
}

func TestOrgPolicyBlocksKeyCreation(t *testing.T) {
	for _, constraint := range []string{ConstraintDisableKeyCreation, ConstraintManagedDisableKeyCreation} {
		t.Run(constraint, func(t *testing.T) {
			e := cpNew(t, Options{})
			e.enable(iamService)
			sa := e.createSA("fedctl-admin")
			keys := e.iam.Projects.ServiceAccounts.Keys
			// Silent while not enforced.
			if _, err := keys.Create(sa.Name, &iam.CreateServiceAccountKeyRequest{}).Do(); err != nil {
				t.Fatal(err)
			}
			on := true
			e.setOrgPolicy(constraint, OrgPolicyRule{Enforce: &on})
			_, err := keys.Create(sa.Name, &iam.CreateServiceAccountKeyRequest{}).Do()
			wantBody(t, err, 400, `{"error":{"code":400,"message":"Key creation is not allowed on this service account.","status":"FAILED_PRECONDITION",
			  "details":[{"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[{
			    "type":"constraints/`+constraint+`","subject":"projects/demo-project/serviceAccounts/`+sa.Email+`",
			    "description":"Key creation is not allowed on this service account."}]}]}}`)
		})
	}
}

func TestOrgPolicyBlocksForeignMembers(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa := e.createSA("alice-bq")
	e.setOrgPolicy(ConstraintAllowedPolicyMemberDomain, OrgPolicyRule{AllowedValues: []string{"example.com"}})
	add := func(member string) error {
		pol, err := e.crm.Projects.GetIamPolicy(cpProject, nil).Do()
		if err != nil {
			t.Fatal(err)
		}
		pol.Bindings = append(pol.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{member}})
		_, err = e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pol}).Do()
		return err
	}
	// Allowed: the domain, the project's own SAs.
	for _, m := range []string{"user:bob@example.com", "serviceAccount:" + sa.Email} {
		if err := add(m); err != nil {
			t.Fatalf("%s refused: %v", m, err)
		}
	}
	err := add("user:eve@other.org")
	wantBody(t, err, 400, `{"error":{"code":400,"message":"One or more users named in the policy do not belong to a permitted customer,  perhaps due to an organization policy.",
	  "status":"FAILED_PRECONDITION",
	  "errors":[{"message":"One or more users named in the policy do not belong to a permitted customer,  perhaps due to an organization policy.","domain":"global","reason":"failedPrecondition"}],
	  "details":[{"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[{
	    "type":"constraints/iam.allowedPolicyMemberDomains","subject":"orgpolicy:projects/demo-project?configvalue=eve@other.org",
	    "description":"User eve@other.org is not in permitted organization."}]}]}}`)
	// The SA policy is governed too.
	pol, err := e.iam.Projects.ServiceAccounts.GetIamPolicy(sa.Name).Do()
	if err != nil {
		t.Fatal(err)
	}
	pol.Bindings = append(pol.Bindings, &iam.Binding{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"allUsers"}})
	_, err = e.iam.Projects.ServiceAccounts.SetIamPolicy(sa.Name, &iam.SetIamPolicyRequest{Policy: pol}).Do()
	cpGoogleErr(t, err, 400)
}

func TestOrgPolicyBlocksProviderIssuer(t *testing.T) {
	e, pools := wtNew(t)
	e.wifDone(pools.Create(wtParent, &iam.WorkloadIdentityPool{DisplayName: "GH"}).WorkloadIdentityPoolId("gh-pool").Do())
	e.setOrgPolicy(ConstraintWIFPoolProviders, OrgPolicyRule{AllowedValues: []string{"https://gitlab.com"}})
	_, err := pools.Providers.Create(wtPoolName, githubProvider("assertion.repository == 'o/r'")).WorkloadIdentityPoolProviderId("github").Do()
	wantBody(t, err, 400, `{"error":{"code":400,"message":"Precondition check failed.","status":"FAILED_PRECONDITION",
	  "details":[{"@type":"type.googleapis.com/google.rpc.PreconditionFailure","violations":[{
	    "type":"constraints/iam.workloadIdentityPoolProviders","subject":"orgpolicy:projects/demo-project/locations/global/workloadIdentityPools/gh-pool",
	    "description":"Org Policy violated for value: 'https://token.actions.githubusercontent.com'."}]}]}}`)
	// Allowed once the issuer is listed.
	e.setOrgPolicy(ConstraintWIFPoolProviders, OrgPolicyRule{AllowedValues: []string{"https://token.actions.githubusercontent.com"}})
	e.wifDone(pools.Providers.Create(wtPoolName, githubProvider("assertion.repository == 'o/r'")).WorkloadIdentityPoolProviderId("github").Do())
}

func TestOrgPolicyLifetimeExtension(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService, credService)
	sa := e.createSA("alice-bq")
	pol := &iam.Policy{Bindings: []*iam.Binding{{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"user:operator@example.com"}}}}
	if _, err := e.iam.Projects.ServiceAccounts.SetIamPolicy(sa.Name, &iam.SetIamPolicyRequest{Policy: pol}).Do(); err != nil {
		t.Fatal(err)
	}
	creds, err := iamcredentials.NewService(e.ctx, option.WithEndpoint(e.ts.Endpoint+"iamcredentials/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: e.ts.Token})))
	if err != nil {
		t.Fatal(err)
	}
	mint := func(lifetime string) error {
		_, err := creds.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+sa.Email,
			&iamcredentials.GenerateAccessTokenRequest{Scope: []string{"https://www.googleapis.com/auth/cloud-platform"}, Lifetime: lifetime}).Do()
		return err
	}
	if err := mint("3600s"); err != nil {
		t.Fatal(err)
	}
	err = mint("7200s")
	wantBody(t, err, 400, `{"error":{"code":400,"message":"Request contains an invalid argument.","status":"INVALID_ARGUMENT",
	  "details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"lifetime",
	    "description":"The lifetime 7200s exceeds 3600s; a longer lifetime requires the service account to be listed in the constraints/iam.allowServiceAccountCredentialLifetimeExtension organization policy."}]}]}}`)
	e.setOrgPolicy(ConstraintLifetimeExtension, OrgPolicyRule{AllowedValues: []string{sa.Email}})
	if err := mint("7200s"); err != nil {
		t.Fatalf("listed SA refused: %v", err)
	}
}
