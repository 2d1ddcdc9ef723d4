package config

import (
	"errors"
	"strings"
	"testing"
)

func TestRenderIdentity(t *testing.T) {
	const def = DefaultIdentityTemplate
	tests := []struct {
		name, template, email, project string
		wantEmail, wantID              string
		wantErr                        string // substring of the error; "" = success
	}{
		{"default", def, "alice@acme.com", "my-proj", "fedctl-alice@my-proj.iam.gserviceaccount.com", "fedctl-alice", ""},
		{"uppercase email is lowercased", def, "Alice@ACME.com", "my-proj", "fedctl-alice@my-proj.iam.gserviceaccount.com", "fedctl-alice", ""},
		{"last @ splits", def, `"a@b"@acme.com`, "my-proj", `fedctl-"a@b"@my-proj.iam.gserviceaccount.com`, `fedctl-"a@b"`, `contains '"' and '@'`},
		{"project placeholder in the ID", "{project}-{user.email}@{project}.iam.gserviceaccount.com", "bob@acme.com", "my-proj", "my-proj-bob@my-proj.iam.gserviceaccount.com", "my-proj-bob", ""},
		{"no domain part implies the project", "svc-{user.email}", "carol@acme.com", "my-proj", "svc-carol@my-proj.iam.gserviceaccount.com", "svc-carol", ""},
		{"shared SA", "shared-bq@{project}.iam.gserviceaccount.com", "dave@acme.com", "my-proj", "shared-bq@my-proj.iam.gserviceaccount.com", "shared-bq", ""},
		{"domain-scoped project", def, "erin@acme.com", "example.com:my-proj", "fedctl-erin@my-proj.example.com.iam.gserviceaccount.com", "fedctl-erin", ""},
		{"exactly 30 characters", def, "abcdefghijklmnopqrstuvw@x.com", "my-proj", "fedctl-abcdefghijklmnopqrstuvw@my-proj.iam.gserviceaccount.com", "fedctl-abcdefghijklmnopqrstuvw", ""},
		{"31 characters", def, "abcdefghijklmnopqrstuvwx@x.com", "my-proj", "", "fedctl-abcdefghijklmnopqrstuvwx", "is 31 characters long"},
		{"too short", "{user.email}", "bo@acme.com", "my-proj", "bo@my-proj.iam.gserviceaccount.com", "bo", "is 2 characters long (service account IDs are 6–30)"},
		{"dot", def, "alice.smith@acme.com", "my-proj", "", "fedctl-alice.smith", "contains '.'"},
		{"underscore and plus", def, "a_b+c@acme.com", "my-proj", "", "fedctl-a_b+c", "contains '_' and '+'"},
		{"starts with a digit", "{user.email}-sa", "123abc@acme.com", "my-proj", "", "123abc-sa", "starts with '1'"},
		{"ends with a hyphen", "{user.email}", "alice-@acme.com", "my-proj", "", "alice-", "ends with '-'"},
		{"unknown placeholder", "fedctl-{user.name}@{project}.iam.gserviceaccount.com", "a@b.com", "p", "", "", "unknown placeholder {user.name}"},
		{"unmatched brace", "fedctl-{user.email@{project}.iam.gserviceaccount.com", "alice@b.com", "my-proj", "", "", "unmatched"},
		{"user in the domain", "fedctl@{user.email}.iam.gserviceaccount.com", "alice@b.com", "my-proj", "", "", "uses {user.email} after the '@'"},
		{"another project's domain", "fedctl-{user.email}@other-proj.iam.gserviceaccount.com", "alice@b.com", "my-proj", "", "fedctl-alice", "is not in project my-proj"},
		{"not an email", def, "alice", "my-proj", "", "", "is not an email address"},
		{"empty template", "", "alice@b.com", "my-proj", "", "", "is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email, id, err := RenderIdentity(tt.template, tt.email, tt.project)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
			} else {
				var re *RenderError
				if !errors.As(err, &re) {
					t.Fatalf("want *RenderError containing %q, got %v", tt.wantErr, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %q, want it to contain %q", err, tt.wantErr)
				}
			}
			if tt.wantEmail != "" && email != tt.wantEmail {
				t.Errorf("email %q, want %q", email, tt.wantEmail)
			}
			if tt.wantID != "" && id != tt.wantID {
				t.Errorf("account ID %q, want %q", id, tt.wantID)
			}
		})
	}
}

func TestRenderErrorMessages(t *testing.T) {
	_, _, err := RenderIdentity(DefaultIdentityTemplate, "alice.smith@acme.com", "my-proj")
	want := `identity template renders "fedctl-alice.smith" for alice.smith@acme.com, which contains '.' (service account IDs allow only a-z, 0-9 and '-'): ` +
		`{user.email} is the local part "alice.smith" as-is, and '.' cannot appear in an SA ID, so no template can give this user a per-user SA: ` +
		`list the user under an alias without it, remove the user, or use one shared SA (a template without {user.email})`
	if err == nil || err.Error() != want {
		t.Errorf("error\n%v\nwant\n%s", err, want)
	}
	_, _, err = RenderIdentity("{user.email}", "bo@acme.com", "my-proj")
	if err == nil || !strings.HasSuffix(err.Error(), `add fixed text, e.g. --template "user-{user.email}"`) {
		t.Errorf("short ID fix: %v", err)
	}
	_, _, err = RenderIdentity("{user.emial}@{project}.iam.gserviceaccount.com", "bo@acme.com", "my-proj")
	if err == nil || !strings.Contains(err.Error(), "did you mean {user.email}?") {
		t.Errorf("typo'd placeholder: %v", err)
	}
}

func TestConfigIdentities(t *testing.T) {
	c := &Config{Project: "my-proj", Impersonation: Impersonation{Users: []string{"alice@acme.com", "bob@acme.com"}}}
	ids, err := c.Identities()
	if err != nil {
		t.Fatal(err)
	}
	want := []Identity{
		{User: "alice@acme.com", AccountID: "fedctl-alice", Email: "fedctl-alice@my-proj.iam.gserviceaccount.com"},
		{User: "bob@acme.com", AccountID: "fedctl-bob", Email: "fedctl-bob@my-proj.iam.gserviceaccount.com"},
	}
	if len(ids) != 2 || ids[0] != want[0] || ids[1] != want[1] {
		t.Errorf("identities %+v, want %+v", ids, want)
	}
	if got := c.AdminEmail(); got != "fedctl-admin@my-proj.iam.gserviceaccount.com" {
		t.Errorf("AdminEmail = %q", got)
	}
	id, err := c.IdentityFor("Zed@acme.com")
	if err != nil || id.Email != "fedctl-zed@my-proj.iam.gserviceaccount.com" || id.User != "zed@acme.com" {
		t.Errorf("IdentityFor = %+v, %v", id, err)
	}
	if c.SharedServiceAccount() {
		t.Error("the default template is per-user")
	}
	c.Impersonation.IdentityTemplate = "bq-shared@{project}.iam.gserviceaccount.com"
	if !c.SharedServiceAccount() {
		t.Error("a template without {user.email} is shared")
	}
	c.Impersonation.Users = append(c.Impersonation.Users, "x.y@acme.com")
	c.Impersonation.IdentityTemplate = ""
	if _, err := c.Identities(); err == nil || !strings.Contains(err.Error(), "x.y@acme.com") {
		t.Errorf("Identities must fail on an illegal rendering, got %v", err)
	}
}
