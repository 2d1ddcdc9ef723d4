package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/option"
	sts "google.golang.org/api/sts/v1"

	"github.com/fedctl/fedctl/wif"
)

const (
	stPool     = "e2e-pool"
	stProvider = "demo"
	stPoolName = "projects/" + cpNumber + "/locations/global/workloadIdentityPools/" + stPool
	stProvName = stPoolName + "/providers/" + stProvider
	stAudience = "//iam.googleapis.com/" + stProvName
)

// stEnv is an emulator with a pool and a provider trusting the demo
// issuer: google.subject=sub, attribute.org=org, condition org in acme/beta.
type stEnv struct {
	*cpEnv
	sts *sts.Service
}

func stNew(t *testing.T, opts Options) *stEnv {
	t.Helper()
	e := &stEnv{cpEnv: cpNew(t, opts)}
	e.enable(iamService, credService, "sts.googleapis.com")
	pools := e.iam.Projects.Locations.WorkloadIdentityPools
	e.wifDone(pools.Create(wtParent, &iam.WorkloadIdentityPool{}).WorkloadIdentityPoolId(stPool).Do())
	e.wifDone(pools.Providers.Create(stPoolName, &iam.WorkloadIdentityPoolProvider{
		AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"},
		AttributeCondition: "assertion.org in ['acme', 'beta']",
		Oidc:               &iam.Oidc{IssuerUri: DemoIssuerURI("demo")},
	}).WorkloadIdentityPoolProviderId(stProvider).Do())
	svc, err := sts.NewService(e.ctx, option.WithEndpoint(e.ts.Endpoint+"sts/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	e.sts = svc
	return e
}

func (e *stEnv) subjectToken(claims map[string]any) string {
	e.t.Helper()
	base := map[string]any{"sub": "workflow-1", "org": "acme", "aud": stAudience}
	for k, v := range claims {
		base[k] = v
	}
	tok, err := e.ts.MintSubjectToken("demo", base)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

func (e *stEnv) exchange(subject string) (*sts.GoogleIdentityStsV1ExchangeTokenResponse, error) {
	return e.sts.V1.Token(&sts.GoogleIdentityStsV1ExchangeTokenRequest{
		Audience: stAudience, GrantType: grantTokenExchange, RequestedTokenType: tokenTypeAccessToken,
		Scope: cloudPlatformScope, SubjectToken: subject, SubjectTokenType: wif.SubjectTokenTypeJWT,
	}).Do()
}

// identity decodes an access token the emulator minted.
func (e *stEnv) identity(tok string) *Identity {
	e.t.Helper()
	var id *Identity
	e.ts.WithState(func(st *State) error {
		id, _ = parseToken(st.Secret, tok, e.clk.Now())
		return nil
	})
	if id == nil {
		e.t.Fatalf("not a valid emulator token")
	}
	return id
}

// oauthError is the OAuth error code and description of an STS failure.
func oauthError(t *testing.T, err error) (string, string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != 400 {
		t.Fatalf("want a 400 googleapi.Error, got %v", err)
	}
	var body struct{ Error, ErrorDescription string }
	var raw map[string]string
	if json.Unmarshal([]byte(ge.Body), &raw) != nil {
		t.Fatalf("STS error body is not OAuth JSON: %s", ge.Body)
	}
	body.Error, body.ErrorDescription = raw["error"], raw["error_description"]
	return body.Error, body.ErrorDescription
}

func TestSTSExchangeJSON(t *testing.T) {
	e := stNew(t, Options{})
	resp, err := e.exchange(e.subjectToken(nil))
	if err != nil {
		t.Fatal(err)
	}
	if resp.TokenType != "Bearer" || resp.IssuedTokenType != tokenTypeAccessToken || resp.ExpiresIn != 3600 {
		t.Errorf("response = %+v", resp)
	}
	id := e.identity(resp.AccessToken)
	if id.Principal != "principal://iam.googleapis.com/"+stPoolName+"/subject/workflow-1" ||
		id.Attributes["attribute.org"] != "acme" || id.Attributes["google.subject"] != "workflow-1" {
		t.Errorf("identity = %+v", id)
	}
	if !principalSetMatches("principalSet://iam.googleapis.com/"+stPoolName+"/attribute.org/acme", id) {
		t.Error("the federated identity does not match its principal set")
	}
}

// TestSTSExchangeForm posts the auth libraries' form encoding, with the
// http ENDPOINT/oidc/demo spelling of the issuer in the token.
func TestSTSExchangeForm(t *testing.T) {
	e := stNew(t, Options{})
	tok := e.subjectToken(map[string]any{"iss": e.ts.Endpoint + "oidc/demo"})
	form := url.Values{"audience": {stAudience}, "grant_type": {grantTokenExchange},
		"requested_token_type": {tokenTypeAccessToken}, "scope": {cloudPlatformScope},
		"subject_token": {tok}, "subject_token_type": {wif.SubjectTokenTypeJWT}}
	resp, err := http.PostForm(e.ts.Endpoint+"sts/v1/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || out["expires_in"] != float64(3600) || out["access_token"] == "" {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
}

func TestSTSErrors(t *testing.T) {
	e := stNew(t, Options{})
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	forged, _ := wif.SignRS256(other, "nope", map[string]any{"iss": DemoIssuerURI("demo"), "sub": "x", "org": "acme",
		"aud": stAudience, "exp": time.Now().Add(time.Hour).Unix()})

	tests := []struct {
		name     string
		mutate   func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest)
		code     string
		fragment string
	}{
		{"bad audience", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) { r.Audience = "projects/1/pool" }, "invalid_request", `Invalid value for "audience"`},
		{"unknown pool", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.Audience = strings.Replace(stAudience, stPool, "nope-pool", 1)
		}, "invalid_target", "disabled or deleted"},
		{"project by id", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.Audience = strings.Replace(stAudience, cpNumber, cpProject, 1)
		}, "invalid_target", ""},
		{"grant type", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) { r.GrantType = "client_credentials" }, "unsupported_grant_type", ""},
		{"token type", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectTokenType = "urn:ietf:params:aws:token-type:aws4_request"
		}, "invalid_request", "subject_token_type"},
		{"not a JWT", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) { r.SubjectToken = "abc" }, "invalid_grant", "parse"},
		{"forged signature", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) { r.SubjectToken = forged }, "invalid_grant", "signature"},
		{"wrong audience", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectToken = e.subjectToken(map[string]any{"aud": "https://github.com/acme"})
		}, "invalid_grant", "audience in ID Token [https://github.com/acme]"},
		{"expired", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectToken = e.subjectToken(map[string]any{"exp": cpStart.Add(-time.Minute).Unix()})
		}, "invalid_grant", "expired"},
		{"other issuer", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectToken = e.subjectToken(map[string]any{"iss": DemoIssuerURI("other")})
		}, "invalid_grant", "issuer"},
		{"condition", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectToken = e.subjectToken(map[string]any{"org": "evil"})
		}, "unauthorized_client", "The given credential is rejected by the attribute condition."},
		{"no subject", func(r *sts.GoogleIdentityStsV1ExchangeTokenRequest) {
			r.SubjectToken = e.subjectToken(map[string]any{"sub": ""})
		}, "invalid_grant", "google.subject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &sts.GoogleIdentityStsV1ExchangeTokenRequest{Audience: stAudience, GrantType: grantTokenExchange,
				RequestedTokenType: tokenTypeAccessToken, SubjectToken: e.subjectToken(nil), SubjectTokenType: wif.SubjectTokenTypeJWT}
			tt.mutate(req)
			_, err := e.sts.V1.Token(req).Do()
			code, desc := oauthError(t, err)
			if code != tt.code || !strings.Contains(desc, tt.fragment) {
				t.Errorf("got %s %q, want %s containing %q", code, desc, tt.code, tt.fragment)
			}
		})
	}
}

func TestSTSDisabledOrDeletedProvider(t *testing.T) {
	e := stNew(t, Options{})
	provs := e.iam.Projects.Locations.WorkloadIdentityPools.Providers
	e.wifDone(provs.Patch(stProvName, &iam.WorkloadIdentityPoolProvider{Disabled: true}).UpdateMask("disabled").Do())
	if code, _ := oauthError(t, second(e.exchange(e.subjectToken(nil)))); code != "invalid_target" {
		t.Errorf("disabled provider: %s", code)
	}
	e.wifDone(provs.Patch(stProvName, &iam.WorkloadIdentityPoolProvider{Disabled: false}).UpdateMask("disabled").Do())
	if _, err := e.exchange(e.subjectToken(nil)); err != nil {
		t.Fatalf("re-enabled: %v", err)
	}
	e.wifDone(e.iam.Projects.Locations.WorkloadIdentityPools.Delete(stPoolName).Do())
	if code, _ := oauthError(t, second(e.exchange(e.subjectToken(nil)))); code != "invalid_target" {
		t.Errorf("deleted pool: %s", code)
	}
}

func second[T any](_ T, err error) error { return err }

// TestSTSPrivateIssuerJWKS: an issuer the sandbox cannot reach works with
// the provider's jwksJson, and fails with invalid_grant without it.
func TestSTSPrivateIssuerJWKS(t *testing.T) {
	e := stNew(t, Options{})
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	jwks, _ := json.Marshal(wif.JWKS{Keys: []wif.JWK{wif.PublicJWK(&key.PublicKey, "k1")}})
	provs := e.iam.Projects.Locations.WorkloadIdentityPools.Providers
	e.wifDone(provs.Patch(stProvName, &iam.WorkloadIdentityPoolProvider{Oidc: &iam.Oidc{IssuerUri: "https://idp.acme.example"}}).
		UpdateMask("oidc.issuerUri").Do())
	tok, _ := wif.SignRS256(key, "k1", map[string]any{"iss": "https://idp.acme.example", "sub": "svc", "org": "acme",
		"aud": stAudience, "exp": time.Now().Add(time.Hour).Unix()})
	if _, desc := oauthError(t, second(e.exchange(tok))); !strings.Contains(desc, "jwksJson") {
		t.Errorf("without JWKS: %s", desc)
	}
	e.wifDone(provs.Patch(stProvName, &iam.WorkloadIdentityPoolProvider{Oidc: &iam.Oidc{JwksJson: string(jwks)}}).
		UpdateMask("oidc.jwksJson").Do())
	resp, err := e.exchange(tok)
	if err != nil {
		t.Fatal(err)
	}
	if id := e.identity(resp.AccessToken); !strings.HasSuffix(id.Principal, "/subject/svc") {
		t.Errorf("principal = %s", id.Principal)
	}
}

func TestDemoIssuerDiscoveryAndJWKS(t *testing.T) {
	e := stNew(t, Options{})
	get := func(path string, v any) {
		resp, err := http.Get(e.ts.Endpoint + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(v) != nil {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
	}
	var disc map[string]any
	get("oidc/demo/.well-known/openid-configuration", &disc)
	if disc["issuer"] != DemoIssuerURI("demo") || disc["jwks_uri"] != e.ts.Endpoint+"oidc/demo/jwks" {
		t.Errorf("discovery = %v", disc)
	}
	var set wif.JWKS
	get("oidc/demo/jwks", &set)
	tok, _ := wif.ParseJWT(e.subjectToken(nil))
	if err := tok.VerifySignature(&set); err != nil {
		t.Errorf("a minted token does not verify against the served JWKS: %v", err)
	}
	// The key persists: a second fetch serves the same key.
	var again wif.JWKS
	get("oidc/demo/jwks", &again)
	if again.Keys[0].N != set.Keys[0].N {
		t.Error("the demo issuer's key changed between requests")
	}
	resp, _ := http.Get(e.ts.Endpoint + "oidc/Bad_Name/jwks")
	if resp.StatusCode != 404 {
		t.Errorf("bad issuer name: %d", resp.StatusCode)
	}
}
