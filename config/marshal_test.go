package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestMarshalRoundTrip(t *testing.T) {
	full := &Config{
		Project: "example.com:my-proj",
		Mode:    ModeWIF,
		Impersonation: Impersonation{
			AdminServiceAccount: "gw-admin", IdentityTemplate: "bq-{user.email}@{project}.iam.gserviceaccount.com",
			Grant: GrantProject, Users: []string{"alice@acme.com"}, Roles: []string{"roles/bigquery.user"},
		},
		WIF: WIF{
			Pool: Pool{ID: "gh-pool", DisplayName: "GitHub: acme"},
			Provider: Provider{
				ID: "github", IssuerURI: "https://token.actions.githubusercontent.com",
				AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.repo": "assertion.repository"},
				AttributeCondition: "assertion.repository_owner == 'acme' && assertion.ref == \"refs/heads/main\"",
				AllowedAudiences:   []string{"https://github.com/acme"},
				JWKSJSON:           `{"keys":[{"kty":"RSA","n":"x","e":"AQAB"}]}`,
			},
			ServiceAccount: "bigquery-runner", PrincipalSet: "attribute.repo/acme/app",
			Direct: true, Preset: "github", Roles: []string{"roles/bigquery.jobUser"},
		},
		OAuth:        OAuth{Users: []string{"bob@acme.com"}, Roles: []string{"roles/bigquery.dataViewer"}},
		Audit:        Audit{DataAccessLogs: true, Sink: Sink{Name: "s", Dataset: "d", Location: "EU"}},
		Verifier:     "user:me@acme.com",
		AdminKeyFile: "out/admin.json", HoopPolicy: "out/hoop.json",
		Concurrency: 8, Wait: 150 * time.Second,
		Notes: []string{"notes are not configuration"},
	}
	for name, c := range map[string]*Config{"full": full, "empty": {}, "spec sample": mustLoad(t, "testdata/spec-sample.yaml")} {
		t.Run(name, func(t *testing.T) {
			data, err := c.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			back, err := Parse(data)
			if err != nil {
				t.Fatalf("Parse(Marshal()) failed: %v\n%s", err, data)
			}
			want := *c
			want.Notes, want.source = nil, ""
			if !reflect.DeepEqual(*back, want) {
				t.Errorf("round trip changed the config:\n%s\ngot  %+v\nwant %+v", data, *back, want)
			}
			if strings.Contains(string(data), "notes") {
				t.Errorf("notes leaked into YAML:\n%s", data)
			}
		})
	}
}

func TestMarshalIsReadable(t *testing.T) {
	c := &Config{Project: "my-proj"}
	c.Impersonation.Users = []string{"alice@acme.com"}
	c.ApplyDefaults()
	c.Wait = 2 * time.Minute
	data, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := fileHeader + `project: my-proj
mode: impersonation
impersonation:
  admin_service_account: fedctl-admin
  identity_template: fedctl-{user.email}@{project}.iam.gserviceaccount.com
  grant: per-user
  users: [alice@acme.com]
  roles: [roles/bigquery.user, roles/bigquery.dataViewer]
wait: 2m0s
`
	if string(data) != want {
		t.Errorf("Marshal:\n%s\nwant\n%s", data, want)
	}
}

func mustLoad(t *testing.T, path string) *Config {
	t.Helper()
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
