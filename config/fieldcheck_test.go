package config

import "testing"

func TestFieldChecks(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string // "" = nil
	}{
		{"email ok", CheckEmail("a@acme.com"), ""},
		{"email bad", CheckEmail("user:a@acme.com"), `"user:a@acme.com" is an IAM member, not an email: drop the "user:" prefix: a@acme.com`},
		{"project ok", CheckProjectID("my-proj"), ""},
		{"project empty", CheckProjectID(""), "enter a project ID"},
		{"project bad", CheckProjectID("My-Proj"), `"My-Proj" has uppercase letters; project IDs are lowercase`},
		{"account ok", CheckAccountID("fedctl-admin"), ""},
		{"account bad", CheckAccountID("fedctl_admin"), `"fedctl_admin" contains '_' (service account IDs allow only a-z, 0-9 and '-')`},
		{"pool ok", CheckPoolID("gh-pool"), ""},
		{"pool bad", CheckPoolID("gcp-x"), `"gcp-x" starts with gcp- (reserved by Google)`},
		{"role ok", CheckRole("roles/bigquery.user"), ""},
		{"role bad", CheckRole("bigquery.user"), `"bigquery.user" is missing the roles/ prefix: write roles/bigquery.user`},
		{"member ok", CheckMember("user:me@acme.com"), ""},
		{"member bad", CheckMember("me@acme.com"), `"me@acme.com" has no member type: write user:me@acme.com (or serviceAccount:/group:)`},
		{"template ok", CheckTemplate(DefaultIdentityTemplate), ""},
		{"template bad", CheckTemplate("x-{user}"), `identity template "x-{user}" has unknown placeholder {user}: the known placeholders are {user.email} (the email's local part) and {project}`},
	}
	for _, tt := range tests {
		got := ""
		if tt.err != nil {
			got = tt.err.Error()
		}
		if got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}
