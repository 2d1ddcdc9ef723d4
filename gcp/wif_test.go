package gcp

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// wifClient is a Client on an emulator with the IAM API on.
func wifClient(t *testing.T) (*Client, *emulator.TestServer, *sleeps) {
	t.Helper()
	ts := emulator.NewTestServer(t, emulator.Options{})
	ts.WithState(func(st *emulator.State) error {
		st.Projects["demo-project"].Services["iam.googleapis.com"] = true
		return nil
	})
	s := &sleeps{}
	c, err := New(context.Background(), Config{Endpoint: ts.Endpoint, AccessToken: ts.Token, Retry: RetryPolicy{Sleep: s.sleep}})
	if err != nil {
		t.Fatal(err)
	}
	return c, ts, s
}

const (
	tPool = "projects/123456789012/locations/global/workloadIdentityPools/gh-pool"
	tProv = tPool + "/providers/gh-oidc"
)

func TestPoolOperations(t *testing.T) {
	c, _, s := wifClient(t)
	ctx := context.Background()
	if err := c.CreatePool(ctx, "demo-project", "gh-pool", &WorkloadIdentityPool{DisplayName: "GH"}); err != nil {
		t.Fatal(err)
	}
	if len(s.recorded()) == 0 {
		t.Error("the create operation was not polled")
	}
	p, err := c.GetPool(ctx, tPool)
	if err != nil || p.State != StateActive || p.DisplayName != "GH" {
		t.Fatalf("GetPool = %+v, %v", p, err)
	}
	err = c.CreatePool(ctx, "demo-project", "gh-pool", &WorkloadIdentityPool{})
	if !IsAlreadyExists(err) {
		t.Errorf("duplicate: %v", err)
	}
	if err := c.UpdatePool(ctx, tPool, &WorkloadIdentityPool{DisplayName: "GitHub", Disabled: true}, []string{"displayName", "disabled"}); err != nil {
		t.Fatal(err)
	}
	if p, _ = c.GetPool(ctx, tPool); p.DisplayName != "GitHub" || !p.Disabled {
		t.Errorf("after update: %+v", p)
	}
	// disabled=false is sent (ForceSendFields), so a pool can be re-enabled.
	c.UpdatePool(ctx, tPool, &WorkloadIdentityPool{}, []string{"disabled"})
	if p, _ = c.GetPool(ctx, tPool); p.Disabled {
		t.Error("re-enabling did not send disabled=false")
	}
	if err := c.DeletePool(ctx, tPool); err != nil {
		t.Fatal(err)
	}
	if p, _ = c.GetPool(ctx, tPool); p.State != StateDeleted || p.ExpireTime == "" {
		t.Errorf("after delete: %+v", p)
	}
	if err := c.UndeletePool(ctx, tPool); err != nil {
		t.Fatal(err)
	}
	if p, _ = c.GetPool(ctx, tPool); p.State != StateActive {
		t.Errorf("after undelete: %+v", p)
	}
	if _, err := c.GetPool(ctx, tPool+"x"); !IsNotFound(err) {
		t.Errorf("missing pool: %v", err)
	}
}

func TestProviderOperations(t *testing.T) {
	c, _, _ := wifClient(t)
	ctx := context.Background()
	c.CreatePool(ctx, "123456789012", "gh-pool", &WorkloadIdentityPool{})
	prov := &WorkloadIdentityProvider{IssuerURI: "https://token.actions.githubusercontent.com",
		AttributeMapping: map[string]string{"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"}}
	err := c.CreateProvider(ctx, tPool, "gh-oidc", prov)
	if KindOf(err) != KindInvalidArgument || !strings.Contains(Classify(err).Message, "must reference one of the provider's claims") {
		t.Fatalf("GitHub without a condition: %v", err)
	}
	prov.AttributeCondition = "assertion.repository == 'acme/app'"
	prov.AllowedAudiences = []string{"a1"}
	if err := c.CreateProvider(ctx, tPool, "gh-oidc", prov); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetProvider(ctx, tProv)
	if err != nil || got.IssuerURI != prov.IssuerURI || got.AttributeCondition != prov.AttributeCondition ||
		len(got.AllowedAudiences) != 1 || got.AttributeMapping["attribute.repository"] != "assertion.repository" {
		t.Fatalf("GetProvider = %+v, %v", got, err)
	}
	got.AttributeCondition = "assertion.repository == 'acme/other'"
	got.AllowedAudiences = nil
	got.DisplayName = "ignored: not in the mask"
	if err := c.UpdateProvider(ctx, tProv, got, []string{MaskAttributeCondition, MaskAllowedAudiences}); err != nil {
		t.Fatal(err)
	}
	after, _ := c.GetProvider(ctx, tProv)
	if after.AttributeCondition != "assertion.repository == 'acme/other'" || len(after.AllowedAudiences) != 0 || after.DisplayName != "" {
		t.Errorf("after update: %+v", after)
	}
	if err := c.DeleteProvider(ctx, tProv); err != nil {
		t.Fatal(err)
	}
	if after, _ = c.GetProvider(ctx, tProv); after.State != StateDeleted {
		t.Errorf("after delete: %+v", after)
	}
	if err := c.UndeleteProvider(ctx, tProv); err != nil {
		t.Fatal(err)
	}
}

func TestExchangeToken(t *testing.T) {
	c, ts, _ := wifClient(t)
	ctx := context.Background()
	c.CreatePool(ctx, "demo-project", "gh-pool", &WorkloadIdentityPool{})
	if err := c.CreateProvider(ctx, tPool, "gh-oidc", &WorkloadIdentityProvider{IssuerURI: emulator.DemoIssuerURI("demo"),
		AttributeMapping:   map[string]string{"google.subject": "assertion.sub"},
		AttributeCondition: "assertion.org == 'acme'"}); err != nil {
		t.Fatal(err)
	}
	aud := "//iam.googleapis.com/" + tProv
	jwt, _ := ts.MintSubjectToken("demo", map[string]any{"sub": "s1", "org": "acme", "aud": aud})
	tok, err := c.ExchangeToken(ctx, aud, jwt)
	if err != nil || tok.AccessToken == "" || !tok.Valid() {
		t.Fatalf("ExchangeToken = %+v, %v", tok, err)
	}
	other, _ := ts.MintSubjectToken("demo", map[string]any{"sub": "s1", "org": "evil", "aud": aud})
	_, err = c.ExchangeToken(ctx, aud, other)
	var se *STSError
	if !errors.As(err, &se) || se.Code != "unauthorized_client" || !strings.Contains(se.Description, "attribute condition") {
		t.Errorf("rejected token: %v", err)
	}
}
