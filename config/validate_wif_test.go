package config

import (
	"strings"
	"testing"
)

func validWIF() *Config {
	return &Config{
		Project: "my-proj",
		Mode:    ModeWIF,
		WIF: WIF{
			Pool: Pool{ID: "gh-pool", DisplayName: "GitHub"},
			Provider: Provider{
				ID:                 "github",
				IssuerURI:          "https://token.actions.githubusercontent.com",
				AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"},
				AttributeCondition: "assertion.repository_owner == 'acme'",
			},
			ServiceAccount: "bigquery-runner",
			PrincipalSet:   "attribute.repository/acme/app",
		},
	}
}

func TestValidateWIF(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []wantProblem
	}{
		{"valid", func(*Config) {}, nil},
		{"wildcard and missing condition are legal here", func(c *Config) {
			c.WIF.PrincipalSet = "*"
			c.WIF.Provider.AttributeCondition = ""
		}, nil},
		{"direct mode needs no target SA", func(c *Config) { c.WIF.Direct, c.WIF.ServiceAccount = true, "" }, nil},
		{"single principal", func(c *Config) { c.WIF.PrincipalSet, c.WIF.Principal = "", "subject/repo:acme/app:ref:refs/heads/main" }, nil},
		{"full principal URI naming this pool", func(c *Config) {
			c.WIF.PrincipalSet = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gh-pool/attribute.repository/acme/app"
		}, nil},
		{"group principal set", func(c *Config) {
			c.WIF.PrincipalSet = "group/analysts"
			c.WIF.Provider.AttributeMapping["google.groups"] = "assertion.groups"
		}, nil},
		{"default mapping is judged when empty", func(c *Config) {
			c.WIF.Provider.AttributeMapping = nil
			c.WIF.PrincipalSet = "*"
		}, nil},
		{"inline JWKS", func(c *Config) { c.WIF.Provider.JWKSJSON = `{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}` }, nil},
		{"missing pool, provider, issuer", func(c *Config) {
			c.WIF.Pool.ID, c.WIF.Provider.ID, c.WIF.Provider.IssuerURI = "", "", ""
		}, []wantProblem{
			{"wif.pool.id", "is missing", "--pool"},
			{"wif.provider.id", "is missing", "--provider"},
			{"wif.provider.issuer_uri", "is missing", "--issuer-uri"},
		}},
		{"bad IDs", func(c *Config) {
			c.WIF.Pool.ID, c.WIF.Provider.ID = "gcp-pool", "GH_Provider"
			c.WIF.Pool.DisplayName = strings.Repeat("x", 33)
		}, []wantProblem{
			{"wif.pool.id", "starts with gcp-", "4–32"},
			{"wif.pool.display_name", "33 characters", "shorten"},
			{"wif.provider.id", "contains 'G', 'H', '_' and 'P'", "4–32"},
		}},
		{"short and long pool IDs", func(c *Config) { c.WIF.Pool.ID, c.WIF.Provider.ID = "abc", strings.Repeat("a", 33) }, []wantProblem{
			{"wif.pool.id", "3 characters", "4–32"}, {"wif.provider.id", "33 characters", "4–32"}}},
		{"http issuer", func(c *Config) { c.WIF.Provider.IssuerURI = "http://issuer.example.com/x" }, []wantProblem{
			{"wif.provider.issuer_uri", "not https", "https://issuer.example.com/x"}}},
		{"issuer not a URL", func(c *Config) { c.WIF.Provider.IssuerURI = "issuer.example.com" }, []wantProblem{
			{"wif.provider.issuer_uri", "not a URL", "https://"}}},
		{"issuer with a query", func(c *Config) { c.WIF.Provider.IssuerURI = "https://i.example.com/?a=b" }, []wantProblem{
			{"wif.provider.issuer_uri", "query or fragment", "https://i.example.com/"}}},
		{"mapping without google.subject and with bad keys", func(c *Config) {
			c.WIF.Provider.AttributeMapping = map[string]string{"attribute.repository": "assertion.repository", "org": "assertion.org", "google.email": "assertion.email", "attribute.x": " "}
		}, []wantProblem{
			{"wif.provider.attribute_mapping", "does not map google.subject", "google.subject=assertion.sub"},
			{"wif.provider.attribute_mapping.attribute.x", "empty expression", "assertion.sub"},
			{"wif.provider.attribute_mapping.google.email", "not a google.* attribute", "google.groups"},
			{"wif.provider.attribute_mapping.org", "not an attribute name", "attribute.org"},
		}},
		{"condition and audiences limits", func(c *Config) {
			c.WIF.Provider.AttributeCondition = strings.Repeat("a", 4097)
			c.WIF.Provider.AllowedAudiences = make([]string, 11)
			for i := range c.WIF.Provider.AllowedAudiences {
				c.WIF.Provider.AllowedAudiences[i] = "aud"
			}
			c.WIF.Provider.AllowedAudiences[3] = ""
		}, []wantProblem{
			{"wif.provider.attribute_condition", "4097 characters", "simplify"},
			{"wif.provider.allowed_audiences", "lists 11 audiences", "keep"},
			{"wif.provider.allowed_audiences[3]", "is empty", "remove"},
		}},
		{"bad JWKS", func(c *Config) { c.WIF.Provider.JWKSJSON = "not json" }, []wantProblem{
			{"wif.provider.jwks_json", "not a JWKS", "public keys"}}},
		{"no target SA", func(c *Config) { c.WIF.ServiceAccount = "" }, []wantProblem{
			{"wif.service_account", "no target service account", "--target-sa"}}},
		{"bad target SA", func(c *Config) { c.WIF.ServiceAccount = "bq" }, []wantProblem{
			{"wif.service_account", "2 characters", "bigquery-runner"}}},
		{"nobody may use it", func(c *Config) { c.WIF.PrincipalSet = "" }, []wantProblem{
			{"wif.principal_set", "nobody", "--principal-set"}}},
		{"both principal and set", func(c *Config) { c.WIF.Principal = "subject/x" }, []wantProblem{
			{"wif.principal", "together with principal_set", "keep one"}}},
		{"unmapped attribute", func(c *Config) { c.WIF.PrincipalSet = "attribute.org/ORG123" }, []wantProblem{
			{"wif.principal_set", "attribute.org, which the provider does not map", "attribute.org=assertion.CLAIM"}}},
		{"malformed principal set", func(c *Config) { c.WIF.PrincipalSet = "attribute.repository" }, []wantProblem{
			{"wif.principal_set", "not attribute.NAME/VALUE", "attribute.org/ORG123"}}},
		{"member-shaped principal set", func(c *Config) { c.WIF.PrincipalSet = "repo:acme/app" }, []wantProblem{
			{"wif.principal_set", "not a principal set", "group/GROUP"}}},
		{"groups without google.groups", func(c *Config) { c.WIF.PrincipalSet = "group/analysts" }, []wantProblem{
			{"wif.principal_set", "does not map google.groups", "google.groups=assertion.groups"}}},
		{"full URI naming another pool", func(c *Config) {
			c.WIF.PrincipalSet = "principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/other/attribute.repository/acme/app"
		}, []wantProblem{{"wif.principal_set", `names pool "other"`, "relative to the pool"}}},
		{"bad single principal", func(c *Config) { c.WIF.PrincipalSet, c.WIF.Principal = "", "repo:acme/app" }, []wantProblem{
			{"wif.principal", "not subject/SUBJECT", "subject/"}}},
		{"bad roles", func(c *Config) { c.WIF.Roles = []string{"jobUser"} }, []wantProblem{
			{"wif.roles[0]", "not an IAM role name", "roles/SERVICE.ROLE"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validWIF()
			tt.mutate(c)
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestWIFHelpers(t *testing.T) {
	w := validWIF().WIF
	if w.Wildcard() || w.MissingCondition() {
		t.Errorf("scoped set with a condition: Wildcard=%v MissingCondition=%v", w.Wildcard(), w.MissingCondition())
	}
	const pool = "projects/123/locations/global/workloadIdentityPools/gh-pool"
	if got := w.PoolName("123"); got != pool {
		t.Errorf("PoolName = %q", got)
	}
	if got := w.ProviderName("123"); got != pool+"/providers/github" {
		t.Errorf("ProviderName = %q", got)
	}
	if got := w.Audience("123"); got != "//iam.googleapis.com/"+pool+"/providers/github" {
		t.Errorf("Audience = %q", got)
	}
	if got := w.Member("123"); got != "principalSet://iam.googleapis.com/"+pool+"/attribute.repository/acme/app" {
		t.Errorf("Member = %q", got)
	}
	if got := w.TargetEmail("my-proj"); got != "bigquery-runner@my-proj.iam.gserviceaccount.com" {
		t.Errorf("TargetEmail = %q", got)
	}

	full := w
	full.PrincipalSet = "principalSet://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/gh-pool/attribute.repository/acme/app"
	if got := full.Member("123"); got != "principalSet://iam.googleapis.com/"+pool+"/attribute.repository/acme/app" {
		t.Errorf("Member from a full URI = %q", got)
	}

	one := w
	one.PrincipalSet, one.Principal = "", "subject/repo:acme/app"
	if got := one.Member("123"); got != "principal://iam.googleapis.com/"+pool+"/subject/repo:acme/app" {
		t.Errorf("principal Member = %q", got)
	}
	if one.Wildcard() {
		t.Error("a single principal is not a wildcard")
	}

	for _, ps := range []string{"*", "principalSet://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh-pool/*"} {
		wc := w
		wc.PrincipalSet = ps
		if !wc.Wildcard() {
			t.Errorf("%q must be a wildcard", ps)
		}
	}
	nc := w
	nc.Provider.AttributeCondition = "  "
	if !nc.MissingCondition() {
		t.Error("a blank condition is missing")
	}
	d := w
	d.Direct = true
	if d.TargetEmail("my-proj") != "" {
		t.Error("direct mode has no target SA")
	}
}
