package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLoadSpecSample(t *testing.T) {
	c, err := Load("testdata/spec-sample.yaml")
	if err != nil {
		t.Fatalf("the SPEC's sample must parse as-is: %v", err)
	}
	want := &Config{
		Project: "my-proj",
		Mode:    ModeImpersonation,
		Impersonation: Impersonation{
			AdminServiceAccount: "fedctl-admin",
			IdentityTemplate:    "fedctl-{user.email}@{project}.iam.gserviceaccount.com",
			Grant:               GrantPerUser,
			Users:               []string{"alice@acme.com", "bob@acme.com"},
			Roles:               []string{"roles/bigquery.user", "roles/bigquery.dataViewer"},
		},
		WIF: WIF{
			Pool: Pool{ID: "gumloop-pool", DisplayName: "Gumloop"},
			Provider: Provider{
				ID:                 "gumloop-oidc",
				IssuerURI:          "https://api.gumloop.com",
				AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.gumloop_org_id"},
				AttributeCondition: "assertion.gumloop_org_id == 'ORG123'",
			},
			ServiceAccount: "bigquery-runner",
			PrincipalSet:   "attribute.org/ORG123",
		},
		OAuth: OAuth{Users: []string{"alice@acme.com"}},
		Audit: Audit{DataAccessLogs: true, Sink: Sink{Name: "fedctl-federation-audit", Dataset: "audit_logs", Location: "US"}},
	}
	want.source = "testdata/spec-sample.yaml"
	if !reflect.DeepEqual(c, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", c, want)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the SPEC's sample must pass preflight: %v", err)
	}
	// The same file in each of the other modes is valid too.
	for _, m := range []Mode{ModeWIF, ModeOAuth} {
		cc := *c
		cc.Mode = m
		if err := cc.Validate(); err != nil {
			t.Errorf("sample in mode %s: %v", m, err)
		}
	}
}

func TestLoadNamesFileLineAndKey(t *testing.T) {
	_, err := Load("testdata/federation.yaml")
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("want *ParseError, got %T %v", err, err)
	}
	want := `testdata/federation.yaml:7: unknown key "userz" in impersonation (known: admin_service_account, identity_template, grant, users, roles); did you mean "users"?` + "\n" +
		`testdata/federation.yaml:8: impersonation.roles must be a list, e.g. [roles/bigquery.user], got "roles/bigquery.user"`
	if err.Error() != want {
		t.Errorf("error\n%s\nwant\n%s", err, want)
	}
}

func TestParseProblems(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []LineProblem
	}{
		{"unknown top-level key", "project: p\nprojekt: q\n",
			[]LineProblem{{2, `unknown top-level key "projekt" (known: name, project, mode, impersonation, wif, oauth, audit, verifier, admin_key_file, hoop_policy, hoop_token_ttl, concurrency, wait); did you mean "project"?`}}},
		{"unknown nested key, no close match", "wif:\n  provider:\n    issuer: https://x\n",
			[]LineProblem{{3, `unknown key "issuer" in wif.provider (known: id, issuer_uri, attribute_mapping, attribute_condition, allowed_audiences, jwks_json)`}}},
		{"every problem, not just the first", "mode: wif\nfoo: 1\naudit:\n  data_access_logs: maybe\n  sink: US\nconcurrency: lots\nwait: 3\n",
			[]LineProblem{
				{2, `unknown top-level key "foo" (known: name, project, mode, impersonation, wif, oauth, audit, verifier, admin_key_file, hoop_policy, hoop_token_ttl, concurrency, wait)`},
				{4, `audit.data_access_logs must be true or false, got "maybe"`},
				{5, `audit.sink must be a mapping of keys (name, dataset, location), got "US"`},
				{6, `concurrency must be a whole number, got "lots"`},
				{7, `wait must be a duration such as 90s or 2m, got "3"`},
			}},
		{"list where a value belongs", "project: [a, b]\n",
			[]LineProblem{{1, `project must be a single value, got a list`}}},
		{"mapping where a list belongs", "oauth:\n  users: {a: b}\n",
			[]LineProblem{{2, `oauth.users must be a list, got a mapping`}}},
		{"list item of the wrong shape", "oauth:\n  users:\n    - a@x.com\n    - [b@x.com]\n",
			[]LineProblem{{4, `oauth.users[1] must be a single value, got a list`}}},
		{"attribute mapping value not a string", "wif:\n  provider:\n    attribute_mapping:\n      google.subject: [x]\n",
			[]LineProblem{{4, `wif.provider.attribute_mapping.google.subject must be a single value, got a list`}}},
		{"duplicate key", "project: a\nmode: wif\nproject: b\n",
			[]LineProblem{{3, `duplicate key "project" in the top level (first at line 1)`}}},
		{"YAML syntax error", "project: [x\n",
			[]LineProblem{{1, `did not find expected ',' or ']'`}}},
		{"two documents", "project: a\n---\nproject: b\n",
			[]LineProblem{{2, `only one YAML document is allowed (remove the second '---')`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want *ParseError, got %T %v", err, err)
			}
			if !reflect.DeepEqual(pe.Problems, tt.want) {
				t.Errorf("problems\n%+v\nwant\n%+v", pe.Problems, tt.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		check func(*Config) bool
	}{
		{"empty file", "", func(c *Config) bool { return reflect.DeepEqual(*c, Config{}) }},
		{"comments only", "# nothing yet\n", func(c *Config) bool { return c.Project == "" }},
		{"null sections", "impersonation:\noauth: ~\nproject: p\n", func(c *Config) bool { return c.Project == "p" }},
		{"numeric-looking project kept as text", "project: 123456\n", func(c *Config) bool { return c.Project == "123456" }},
		{"yaml 1.1 booleans", "audit:\n  data_access_logs: yes\n", func(c *Config) bool { return c.Audit.DataAccessLogs }},
		{"durations and ints", "wait: 90s\nconcurrency: 8\n", func(c *Config) bool { return c.Wait == 90*time.Second && c.Concurrency == 8 }},
		{"block lists", "impersonation:\n  users:\n    - a@x.com\n    - b@x.com\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Impersonation.Users, []string{"a@x.com", "b@x.com"})
		}},
		{"anchors", "oauth:\n  users: &u [a@x.com]\nimpersonation:\n  users: *u\n", func(c *Config) bool {
			return reflect.DeepEqual(c.Impersonation.Users, []string{"a@x.com"})
		}},
		{"wif extras", "wif:\n  direct: true\n  preset: github\n  principal: subject/repo:acme/app\n  provider:\n    jwks_json: '{\"keys\":[{}]}'\n    allowed_audiences: [a, b]\n",
			func(c *Config) bool {
				return c.WIF.Direct && c.WIF.Preset == "github" && c.WIF.Principal == "subject/repo:acme/app" &&
					c.WIF.Provider.JWKSJSON == `{"keys":[{}]}` && len(c.WIF.Provider.AllowedAudiences) == 2
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestParseNormalisesUsers(t *testing.T) {
	c, err := Parse([]byte("impersonation:\n  users: [Alice@Acme.com, bob@acme.com, alice@acme.com]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"alice@acme.com", "bob@acme.com"}; !reflect.DeepEqual(c.Impersonation.Users, want) {
		t.Errorf("users %v, want %v", c.Impersonation.Users, want)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "alice@acme.com is the same account as Alice@Acme.com") {
		t.Errorf("notes %q", c.Notes)
	}
}

func TestLoadMissingFile(t *testing.T) {
	if _, err := Load("testdata/nope.yaml"); err == nil || !strings.Contains(err.Error(), "nope.yaml") {
		t.Errorf("want an error naming the file, got %v", err)
	}
}
