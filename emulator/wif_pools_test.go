package emulator

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	iam "google.golang.org/api/iam/v1"
)

const (
	wtParent   = "projects/" + cpProject + "/locations/global"
	wtPoolName = "projects/" + cpNumber + "/locations/global/workloadIdentityPools/gh-pool"
	wtProvName = wtPoolName + "/providers/github"
)

// wtNew returns the pools client of a cpEnv with iam enabled.
func wtNew(t *testing.T) (*cpEnv, *iam.ProjectsLocationsWorkloadIdentityPoolsService) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	return e, e.iam.Projects.Locations.WorkloadIdentityPools
}

// wifDone polls an IAM operation to completion, as clients do.
func (e *cpEnv) wifDone(op *iam.Operation, err error) map[string]any {
	t := e.t
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; !op.Done; i++ {
		if i > 5 {
			t.Fatalf("operation %s never finished", op.Name)
		}
		if op, err = e.iam.Projects.Locations.WorkloadIdentityPools.Operations.Get(op.Name).Do(); err != nil {
			t.Fatalf("poll %s: %v", op.Name, err)
		}
	}
	if op.Error != nil {
		t.Fatalf("operation failed: %+v", op.Error)
	}
	var resp map[string]any
	if err := json.Unmarshal(op.Response, &resp); err != nil {
		t.Fatal(err)
	}
	return resp
}

func githubProvider(cond string) *iam.WorkloadIdentityPoolProvider {
	return &iam.WorkloadIdentityPoolProvider{DisplayName: "GitHub",
		AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"},
		AttributeCondition: cond,
		Oidc:               &iam.Oidc{IssuerUri: "https://token.actions.githubusercontent.com"}}
}

func TestPoolLifecycle(t *testing.T) {
	e, pools := wtNew(t)
	op, err := pools.Create(wtParent, &iam.WorkloadIdentityPool{DisplayName: "GH", Description: "d"}).WorkloadIdentityPoolId("gh-pool").Do()
	if err == nil && (op.Done || !strings.HasPrefix(op.Name, wtPoolName+"/operations/")) {
		t.Fatalf("create op = %+v, want a pending operation under the pool (by number)", op)
	}
	resp := e.wifDone(op, err)
	if resp["@type"] != wifPoolType || resp["name"] != wtPoolName || resp["state"] != "ACTIVE" {
		t.Errorf("operation response = %v", resp)
	}

	got, err := pools.Get("projects/" + cpProject + "/locations/global/workloadIdentityPools/gh-pool").Do()
	if err != nil || got.Name != wtPoolName || got.State != "ACTIVE" || got.DisplayName != "GH" || got.ExpireTime != "" {
		t.Fatalf("get = %+v, %v", got, err)
	}
	_, err = pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId("gh-pool").Do()
	if ge := cpGoogleErr(t, err, 409); ge.Message != "Requested entity already exists" {
		t.Errorf("duplicate: %v", err)
	}

	e.wifDone(pools.Patch(wtPoolName, &iam.WorkloadIdentityPool{DisplayName: "GitHub", Description: "ignored"}).UpdateMask("displayName").Do())
	got, _ = pools.Get(wtPoolName).Do()
	if got.DisplayName != "GitHub" || got.Description != "d" {
		t.Errorf("after patch: %+v (only displayName may change)", got)
	}
	_, err = pools.Patch(wtPoolName, &iam.WorkloadIdentityPool{}).Do()
	cpGoogleErr(t, err, 400)

	// Soft delete: still readable, listed only with showDeleted, ID taken.
	resp = e.wifDone(pools.Delete(wtPoolName).Do())
	if resp["state"] != "DELETED" {
		t.Errorf("delete response = %v", resp)
	}
	got, err = pools.Get(wtPoolName).Do()
	wantExpire := cpStart.Add(30 * 24 * time.Hour).Format(time.RFC3339)
	if err != nil || got.State != "DELETED" || !strings.HasPrefix(got.ExpireTime, wantExpire[:19]) {
		t.Fatalf("deleted pool = %+v, %v; want DELETED expiring %s", got, err, wantExpire)
	}
	if l, _ := pools.List(wtParent).Do(); len(l.WorkloadIdentityPools) != 0 {
		t.Errorf("list shows a deleted pool: %+v", l.WorkloadIdentityPools)
	}
	if l, _ := pools.List(wtParent).ShowDeleted(true).Do(); len(l.WorkloadIdentityPools) != 1 {
		t.Errorf("showDeleted list = %+v", l.WorkloadIdentityPools)
	}
	_, err = pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId("gh-pool").Do()
	cpGoogleErr(t, err, 409)
	_, err = pools.Patch(wtPoolName, &iam.WorkloadIdentityPool{DisplayName: "x"}).UpdateMask("displayName").Do()
	cpGoogleErr(t, err, 400)

	e.wifDone(pools.Undelete(wtPoolName, &iam.UndeleteWorkloadIdentityPoolRequest{}).Do())
	if got, _ = pools.Get(wtPoolName).Do(); got.State != "ACTIVE" || got.ExpireTime != "" {
		t.Errorf("undeleted = %+v", got)
	}
	_, err = pools.Undelete(wtPoolName, &iam.UndeleteWorkloadIdentityPoolRequest{}).Do()
	cpGoogleErr(t, err, 400)

	// After 30 days a deleted pool is purged and its ID is free.
	e.wifDone(pools.Delete(wtPoolName).Do())
	e.clk.Advance(30*24*time.Hour + time.Second)
	_, _, _, e.iam = e.clients(e.ts.OperatorToken()) // the old token expired
	pools = e.iam.Projects.Locations.WorkloadIdentityPools
	_, err = pools.Get(wtPoolName).Do()
	cpGoogleErr(t, err, 404)
	e.wifDone(pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId("gh-pool").Do())
}

func TestPoolValidation(t *testing.T) {
	e, pools := wtNew(t)
	for _, id := range []string{"abc", "gcp-pool", "Upper-case", strings.Repeat("a", 33)} {
		_, err := pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId(id).Do()
		cpGoogleErr(t, err, 400)
	}
	_, err := pools.Create(wtParent, &iam.WorkloadIdentityPool{DisplayName: strings.Repeat("x", 33)}).WorkloadIdentityPoolId("okay").Do()
	cpGoogleErr(t, err, 400)
	_, err = pools.Get(wtParent + "/workloadIdentityPools/nope").Do()
	cpGoogleErr(t, err, 404)

	e.ts.WithState(func(st *State) error { st.Projects[cpProject].Services[iamService] = false; return nil })
	_, err = pools.List(wtParent).Do()
	if ae := cpAPIError(t, err, 403); ae.Reason() != "SERVICE_DISABLED" {
		t.Errorf("iam disabled: %v", err)
	}
}

func TestProviderLifecycleAndGoogleRules(t *testing.T) {
	e, pools := wtNew(t)
	e.wifDone(pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId("gh-pool").Do())
	provs := pools.Providers

	// Google's rules for GitHub's shared issuer.
	for _, cond := range []string{"", "true"} {
		_, err := provs.Create(wtPoolName, githubProvider(cond)).WorkloadIdentityPoolProviderId("github").Do()
		if ge := cpGoogleErr(t, err, 400); !strings.HasPrefix(ge.Message, "The attribute condition must reference one of the provider's claims.") {
			t.Errorf("condition %q: %v", cond, err)
		}
	}
	_, err := provs.Create(wtPoolName, githubProvider("assertion.repository_owner == ")).WorkloadIdentityPoolProviderId("github").Do()
	if ge := cpGoogleErr(t, err, 400); !strings.Contains(ge.Message, "Invalid attribute condition") {
		t.Errorf("bad CEL: %v", err)
	}
	noSub := githubProvider("assertion.repository_owner == 'acme'")
	noSub.AttributeMapping = map[string]string{"attribute.repository": "assertion.repository"}
	_, err = provs.Create(wtPoolName, noSub).WorkloadIdentityPoolProviderId("github").Do()
	cpGoogleErr(t, err, 400)
	insecure := githubProvider("assertion.repository_owner == 'acme'")
	insecure.Oidc.IssuerUri = "http://issuer.example"
	_, err = provs.Create(wtPoolName, insecure).WorkloadIdentityPoolProviderId("github").Do()
	cpGoogleErr(t, err, 400)

	resp := e.wifDone(provs.Create(wtPoolName, githubProvider("assertion.repository_owner == 'acme'")).WorkloadIdentityPoolProviderId("github").Do())
	if resp["@type"] != wifProviderType || resp["name"] != wtProvName {
		t.Errorf("create response = %v", resp)
	}
	got, err := provs.Get(wtProvName).Do()
	if err != nil || got.State != "ACTIVE" || got.Oidc.IssuerUri != "https://token.actions.githubusercontent.com" ||
		got.AttributeMapping["attribute.repository"] != "assertion.repository" {
		t.Fatalf("get = %+v, %v", got, err)
	}

	// Patch: fields outside the mask stay; the result is validated again.
	e.wifDone(provs.Patch(wtProvName, &iam.WorkloadIdentityPoolProvider{
		AttributeCondition: "assertion.repository == 'acme/app'", Disabled: true,
		Oidc: &iam.Oidc{AllowedAudiences: []string{"aud-1"}, IssuerUri: "https://ignored.example"},
	}).UpdateMask("attribute_condition,disabled,oidc.allowedAudiences").Do())
	got, _ = provs.Get(wtProvName).Do()
	if got.AttributeCondition != "assertion.repository == 'acme/app'" || !got.Disabled ||
		len(got.Oidc.AllowedAudiences) != 1 || got.Oidc.IssuerUri != "https://token.actions.githubusercontent.com" {
		t.Errorf("after patch: %+v %+v", got, got.Oidc)
	}
	_, err = provs.Patch(wtProvName, &iam.WorkloadIdentityPoolProvider{}).UpdateMask("attributeCondition").Do()
	cpGoogleErr(t, err, 400) // GitHub without a condition, again

	e.wifDone(provs.Delete(wtProvName).Do())
	if got, _ = provs.Get(wtProvName).Do(); got.State != "DELETED" {
		t.Errorf("deleted provider = %+v", got)
	}
	_, err = provs.Create(wtPoolName, githubProvider("assertion.repository_owner == 'acme'")).WorkloadIdentityPoolProviderId("github").Do()
	cpGoogleErr(t, err, 409)
	if l, _ := provs.List(wtPoolName).Do(); len(l.WorkloadIdentityPoolProviders) != 0 {
		t.Errorf("list shows a deleted provider")
	}
	e.wifDone(provs.Undelete(wtProvName, &iam.UndeleteWorkloadIdentityPoolProviderRequest{}).Do())
	if l, _ := provs.List(wtPoolName).Do(); len(l.WorkloadIdentityPoolProviders) != 1 {
		t.Errorf("list after undelete = %+v", l.WorkloadIdentityPoolProviders)
	}

	// A deleted pool takes no providers.
	e.wifDone(pools.Delete(wtPoolName).Do())
	_, err = provs.Create(wtPoolName, githubProvider("assertion.repository_owner == 'acme'")).WorkloadIdentityPoolProviderId("other").Do()
	cpGoogleErr(t, err, 400)
}
