package config

import (
	"errors"
	"strings"
	"testing"
)

func validImpersonation() *Config {
	return &Config{
		Project:       "my-proj",
		Mode:          ModeImpersonation,
		Impersonation: Impersonation{Users: []string{"alice@acme.com", "bob@acme.com"}},
	}
}

func problemsOf(t *testing.T, err error) []Problem {
	t.Helper()
	if err == nil {
		return nil
	}
	var pe *PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("want *PreflightError, got %T %v", err, err)
	}
	return pe.Problems
}

// wantProblem is a problem expected on Field whose message contains Msg
// and whose fix contains Fix.
type wantProblem struct{ Field, Msg, Fix string }

func checkProblems(t *testing.T, err error, want []wantProblem) {
	t.Helper()
	got := problemsOf(t, err)
	if len(got) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(got), len(want), err)
	}
	for i, w := range want {
		g := got[i]
		if g.Field != w.Field || !strings.Contains(g.Message, w.Msg) || !strings.Contains(g.Fix, w.Fix) {
			t.Errorf("problem %d = %+v\nwant field %q, message ⊇ %q, fix ⊇ %q", i, g, w.Field, w.Msg, w.Fix)
		}
		if g.Fix == "" {
			t.Errorf("problem %d has no fix: %+v", i, g)
		}
	}
}

func TestValidateImpersonation(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   []wantProblem
	}{
		{"valid with defaults", func(*Config) {}, nil},
		{"valid domain-scoped project", func(c *Config) { c.Project = "example.com:my-proj" }, nil},
		{"valid custom roles", func(c *Config) {
			c.Impersonation.Roles = []string{"projects/my-proj/roles/bqReader", "organizations/123/roles/x.reader", "roles/owner"}
		}, nil},
		{"missing project", func(c *Config) { c.Project = "" }, []wantProblem{{"project", "no project", "--project"}}},
		{"uppercase project", func(c *Config) { c.Project = "My-Proj" }, []wantProblem{{"project", "uppercase", "write it in lowercase: my-proj"}}},
		{"project number", func(c *Config) { c.Project = "123456789012" }, []wantProblem{{"project", "project number", "project ID"}}},
		{"short project", func(c *Config) { c.Project = "abc" }, []wantProblem{{"project", "3 characters long", "6–30"}}},
		{"project ending in hyphen", func(c *Config) { c.Project = "my-proj-" }, []wantProblem{{"project", "must not end with '-'", "gcloud projects list"}}},
		{"bad domain-scoped project", func(c *Config) { c.Project = "example.com:AB" }, []wantProblem{{"project", "after the domain", "gcloud"}}},
		{"bad mode", func(c *Config) { c.Mode = "federated" }, []wantProblem{{"mode", "is not a mode", "impersonation, wif or oauth"}}},
		{"bad grant", func(c *Config) { c.Impersonation.Grant = "pattern-a" }, []wantProblem{{"impersonation.grant", "not a grant pattern", "per-user"}}},
		{"bad admin SA", func(c *Config) { c.Impersonation.AdminServiceAccount = "Admin" }, []wantProblem{
			{"impersonation.admin_service_account", "5 characters long", "fedctl-admin"}}},
		{"admin SA given as an email", func(c *Config) {
			c.Impersonation.AdminServiceAccount = "gw-admin@my-proj.iam.gserviceaccount.com"
		}, []wantProblem{{"impersonation.admin_service_account", "contains '@' and '.'", "account ID only, without the domain: gw-admin"}}},
		{"no users", func(c *Config) { c.Impersonation.Users = nil }, []wantProblem{{"impersonation.users", "no users", "--users-file"}}},
		{"bad emails, each reported", func(c *Config) {
			c.Impersonation.Users = []string{"alice@acme.com", "bob", "user:carol@acme.com", "dave@acme"}
		}, []wantProblem{
			{"impersonation.users[1]", "has no '@'", "bob@example.com"},
			{"impersonation.users[2]", "IAM member", `drop the "user:" prefix`},
			{"impersonation.users[3]", `invalid domain "acme"`, "acme.com"},
		}},
		{"bad roles", func(c *Config) {
			c.Impersonation.Roles = []string{"bigquery.dataViewer", "role/bigquery.user", "projects/my-proj/roles/x", "owner"}
		}, []wantProblem{
			{"impersonation.roles[0]", "missing the roles/ prefix", "roles/bigquery.dataViewer"},
			{"impersonation.roles[1]", "starts with role/", "roles/bigquery.user"},
			{"impersonation.roles[2]", "not an IAM role name", "projects/PROJECT/roles/ID"},
			{"impersonation.roles[3]", "not an IAM role name", "roles/SERVICE.ROLE"},
		}},
		{"unknown placeholder", func(c *Config) { c.Impersonation.IdentityTemplate = "fedctl-{email}@{project}.iam.gserviceaccount.com" }, []wantProblem{
			{"impersonation.identity_template", "unknown placeholder {email}", "{user.email}"}}},
		{"template in another project", func(c *Config) {
			c.Impersonation.IdentityTemplate = "fedctl-{user.email}@prod.iam.gserviceaccount.com"
		}, []wantProblem{{"impersonation.identity_template", "@prod.iam.gserviceaccount.com", "@{project}.iam.gserviceaccount.com"}}},
		{"shared SA is fine for many users", func(c *Config) { c.Impersonation.IdentityTemplate = "bq-shared@{project}.iam.gserviceaccount.com" }, nil},
		{"shared SA that is the admin", func(c *Config) { c.Impersonation.IdentityTemplate = "fedctl-admin" }, []wantProblem{
			{"impersonation.identity_template", "is the admin SA", "another ID"}}},
		{"shared SA with an illegal ID", func(c *Config) { c.Impersonation.IdentityTemplate = "bq" }, []wantProblem{
			{"impersonation.identity_template", `"bq", which is 2 characters long`, "6–30"}}},
		{"verifier as a bare email", func(c *Config) { c.Verifier = "me@acme.com" }, []wantProblem{{"verifier", "no member type", "user:me@acme.com"}}},
		{"verifier of a kind that cannot call", func(c *Config) { c.Verifier = "domain:acme.com" }, []wantProblem{{"verifier", `"domain"`, "user:EMAIL"}}},
		{"valid verifier", func(c *Config) { c.Verifier = "serviceAccount:ci@my-proj.iam.gserviceaccount.com" }, nil},
		{"negative concurrency and wait", func(c *Config) { c.Concurrency, c.Wait = -1, -1 }, []wantProblem{
			{"concurrency", "negative", "positive"}, {"wait", "negative", "2m"}}},
		{"bad sink", func(c *Config) { c.Audit.Sink = Sink{Name: "my sink", Dataset: "audit-logs"} }, []wantProblem{
			{"audit.sink.name", "not a log sink name", DefaultSinkName}, {"audit.sink.dataset", "dataset ID", "audit_logs"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validImpersonation()
			tt.mutate(c)
			checkProblems(t, c.Validate(), tt.want)
		})
	}
}

func TestValidateReportsFieldFlagAndValue(t *testing.T) {
	c := validImpersonation()
	c.Impersonation.Grant = "both"
	c.Project = ""
	p := problemsOf(t, c.Validate())
	if len(p) != 2 {
		t.Fatalf("want 2 problems, got %+v", p)
	}
	if p[1].Field != "impersonation.grant" || p[1].Flag != "--grant" || p[1].Value != "both" {
		t.Errorf("grant problem %+v", p[1])
	}
	msg := c.Validate().Error()
	want := "2 problems in the configuration:\n" +
		"  - project (--project): no project\n" +
		"    fix: pass --project, set project: in the file, or set CLOUDSDK_CORE_PROJECT / gcloud's core/project\n" +
		"  - impersonation.grant (--grant) \"both\": is not a grant pattern\n" +
		"    fix: use per-user (Token Creator on each user SA) or project (on the whole project)"
	if msg != want {
		t.Errorf("message\n%s\nwant\n%s", msg, want)
	}
}

func TestValidateDoesNotModify(t *testing.T) {
	c := validImpersonation()
	_ = c.Validate()
	if c.Impersonation.Roles != nil || c.Impersonation.IdentityTemplate != "" {
		t.Errorf("Validate must judge a copy with defaults, not fill c: %+v", c.Impersonation)
	}
}

func TestValidateRenderedIdentities(t *testing.T) {
	tests := []struct {
		name     string
		template string
		users    []string
		want     []wantProblem
	}{
		{
			name:     "too short: a tested longer prefix is suggested",
			template: "{user.email}@{project}.iam.gserviceaccount.com",
			users:    []string{"bo@acme.com", "carol@acme.com", "dave-the-analyst@acme.com"},
			want: []wantProblem{
				{"impersonation.identity_template", `bo@acme.com renders "bo", which is 2 characters long`,
					`use --template "user-{user.email}@{project}.iam.gserviceaccount.com" (identity_template), which renders a legal, unique ID for all 3 users`},
				{"impersonation.identity_template", `carol@acme.com renders "carol", which is 5 characters long`, `"user-{user.email}@{project}.iam.gserviceaccount.com"`},
			},
		},
		{
			name:     "too long: a shorter prefix that fits everyone",
			template: DefaultIdentityTemplate,
			users:    []string{"alexandra-konstantinopoulos@acme.com", "bobby@acme.com"},
			want: []wantProblem{
				{"impersonation.identity_template", "is 34 characters long",
					`use --template "f-{user.email}@{project}.iam.gserviceaccount.com"`},
			},
		},
		{
			name:     "dot: no template fixes it, the fix says why",
			template: DefaultIdentityTemplate,
			users:    []string{"alice.smith@acme.com", "bob@acme.com"},
			want: []wantProblem{
				{"impersonation.identity_template", `alice.smith@acme.com renders "fedctl-alice.smith", which contains '.'`,
					`{user.email} is the local part "alice.smith" as-is, and '.' cannot appear in an SA ID`},
			},
		},
		{
			name:     "collision across domains names both users",
			template: DefaultIdentityTemplate,
			users:    []string{"alice@acme.com", "bob@acme.com", "alice@other.com"},
			want: []wantProblem{
				{"impersonation.identity_template", `alice@acme.com and alice@other.com all render "fedctl-alice"; each user needs their own SA`,
					"these users collide under any template"},
			},
		},
		{
			name:     "collision with the admin SA: a tested prefix avoids it",
			template: "{user.email}",
			users:    []string{"fedctl-admin@acme.com", "bob-jones@acme.com"},
			want: []wantProblem{
				{"impersonation.identity_template", `fedctl-admin@acme.com renders "fedctl-admin", which is the admin SA's ID`,
					`use --template "user-{user.email}"`},
			},
		},
		{
			name:     "starts with a digit",
			template: "{user.email}-bq",
			users:    []string{"1password@acme.com", "zed@acme.com"},
			want: []wantProblem{
				{"impersonation.identity_template", `1password@acme.com renders "1password-bq", which starts with '1'`,
					`use --template "user-{user.email}-bq"`},
			},
		},
		{
			name:     "invalid emails are reported once, not rendered",
			template: DefaultIdentityTemplate,
			users:    []string{"alice@acme.com", "bob.@acme.com"},
			want:     []wantProblem{{"impersonation.users[1]", "invalid part before the '@'", "check the address"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validImpersonation()
			c.Impersonation.IdentityTemplate = tt.template
			c.Impersonation.Users = tt.users
			err := c.Validate()
			checkProblems(t, err, tt.want)
			for _, p := range problemsOf(t, err) {
				if p.Field == "impersonation.identity_template" && p.User == "" {
					t.Errorf("per-user problem without its user: %+v", p)
				}
			}
		})
	}
}

func TestSuggestTemplateIsTested(t *testing.T) {
	users := []string{"bo@acme.com", "alexandra-konstantinopoulos@acme.com"}
	tp, _ := parseTemplate(DefaultIdentityTemplate)
	// "bo" needs a prefix of ≥4 characters, the long name one of ≤3: no
	// candidate satisfies both, so nothing is suggested.
	if s := suggestTemplate(tp, users, "my-proj", "fedctl-admin"); s != "" {
		t.Errorf("suggested %q, which cannot work for both users", s)
	}
	users = []string{"bo@acme.com", "carol@acme.com"}
	tp, _ = parseTemplate("{user.email}")
	s := suggestTemplate(tp, users, "my-proj", "fedctl-admin")
	if s != "user-{user.email}" {
		t.Fatalf("suggested %q", s)
	}
	for _, u := range users {
		if _, _, err := RenderIdentity(s, u, "my-proj"); err != nil {
			t.Errorf("the suggestion fails for %s: %v", u, err)
		}
	}
}

func TestValidateOAuth(t *testing.T) {
	c := &Config{Project: "my-proj", Mode: ModeOAuth, OAuth: OAuth{Users: []string{"alice@acme.com"}}}
	if err := c.Validate(); err != nil {
		t.Fatalf("valid oauth: %v", err)
	}
	c.OAuth.Users = nil
	c.OAuth.Roles = []string{"bigquery.user"}
	c.AdminKeyFile = "k.json"
	checkProblems(t, c.Validate(), []wantProblem{
		{"admin_key_file", "only impersonation mode has an admin SA", "remove --admin-key-file"},
		{"oauth.users", "no users", "--users"},
		{"oauth.roles[0]", "missing the roles/ prefix", "roles/bigquery.user"},
	})
}
