package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

func TestApplyOverridesOnlyWhatIsSet(t *testing.T) {
	c, err := Load("testdata/spec-sample.yaml")
	if err != nil {
		t.Fatal(err)
	}
	before := *c
	if err := c.Apply(Flags{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*c, before) {
		t.Fatalf("empty Flags changed the config:\n%+v\n%+v", *c, before)
	}

	err = c.Apply(Flags{
		Project:        ptr("other-proj"),
		AdminSA:        ptr("gw-admin"),
		Grant:          ptr("project"),
		Roles:          ptr([]string{"roles/bigquery.dataEditor"}),
		DataAccessLogs: ptr(false),
		Verifier:       ptr("user:me@acme.com"),
		AdminKeyFile:   ptr("admin.json"),
		HoopPolicy:     ptr("hoop.json"),
		Concurrency:    ptr(4),
		Wait:           ptr(3 * time.Minute),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := before
	want.Project = "other-proj"
	want.Impersonation.AdminServiceAccount = "gw-admin"
	want.Impersonation.Grant = GrantProject
	want.Impersonation.Roles = []string{"roles/bigquery.dataEditor"}
	want.Audit.DataAccessLogs = false
	want.Verifier = "user:me@acme.com"
	want.AdminKeyFile, want.HoopPolicy = "admin.json", "hoop.json"
	want.Concurrency, want.Wait = 4, 3*time.Minute
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("after Apply\n%+v\nwant\n%+v", *c, want)
	}
	// Untouched by the flags: the template, the users, other sections.
	if c.Impersonation.IdentityTemplate != before.Impersonation.IdentityTemplate || len(c.Impersonation.Users) != 2 {
		t.Error("a flag that was not set overrode the file")
	}
}

func TestApplyUsersFlagsMergeAndReplace(t *testing.T) {
	c := &Config{Impersonation: Impersonation{Users: []string{"old@acme.com"}}}
	err := c.Apply(Flags{
		Users:     ptr([]string{"zed@acme.com", "ALICE@acme.com"}),
		UsersFile: ptr("testdata/users.txt"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"zed@acme.com", "alice@acme.com", "bob@acme.com", "carol@acme.com"}
	if !reflect.DeepEqual(c.Impersonation.Users, want) {
		t.Errorf("users %q, want %q", c.Impersonation.Users, want)
	}
	if len(c.Notes) != 2 {
		t.Errorf("want a note per duplicate (alice, bob), got %q", c.Notes)
	}
}

func TestApplyModeRoutesUsersAndRoles(t *testing.T) {
	c := &Config{Mode: ModeImpersonation, Impersonation: Impersonation{Users: []string{"a@x.com"}}}
	if err := c.Apply(Flags{Mode: ptr("oauth"), Users: ptr([]string{"b@x.com"}), Roles: ptr([]string{"roles/bigquery.user"})}); err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeOAuth || !reflect.DeepEqual(c.OAuth.Users, []string{"b@x.com"}) || !reflect.DeepEqual(c.OAuth.Roles, []string{"roles/bigquery.user"}) {
		t.Errorf("oauth section %+v", c.OAuth)
	}
	if !reflect.DeepEqual(c.Impersonation.Users, []string{"a@x.com"}) || c.Impersonation.Roles != nil {
		t.Errorf("the impersonation section must be untouched, got %+v", c.Impersonation)
	}
	if !reflect.DeepEqual(c.Users(), []string{"b@x.com"}) || !reflect.DeepEqual(c.Roles(), []string{"roles/bigquery.user"}) {
		t.Errorf("accessors follow the mode: %v %v", c.Users(), c.Roles())
	}
}

func TestApplyWIFFlags(t *testing.T) {
	c := &Config{Mode: ModeWIF, WIF: WIF{Principal: "subject/x", Provider: Provider{AttributeMapping: map[string]string{"google.subject": "assertion.email"}}}}
	err := c.Apply(Flags{
		Pool:               ptr("gh-pool"),
		Provider:           ptr("github"),
		IssuerURI:          ptr("https://token.actions.githubusercontent.com"),
		AttributeMapping:   ptr("google.subject=assertion.sub, attribute.repo=assertion.repository"),
		AttributeCondition: ptr("assertion.repository_owner == 'acme'"),
		AllowedAudiences:   ptr([]string{"aud-1"}),
		TargetSA:           ptr("bigquery-runner"),
		PrincipalSet:       ptr("attribute.repo/acme/app"),
		Roles:              ptr([]string{"roles/bigquery.jobUser"}),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := WIF{
		Pool: Pool{ID: "gh-pool"},
		Provider: Provider{
			ID: "github", IssuerURI: "https://token.actions.githubusercontent.com",
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.repo": "assertion.repository"},
			AttributeCondition: "assertion.repository_owner == 'acme'",
			AllowedAudiences:   []string{"aud-1"},
		},
		ServiceAccount: "bigquery-runner",
		PrincipalSet:   "attribute.repo/acme/app",
		Roles:          []string{"roles/bigquery.jobUser"},
	}
	if !reflect.DeepEqual(c.WIF, want) {
		t.Errorf("wif\n%+v\nwant\n%+v", c.WIF, want)
	}
	c.Project = "my-proj"
	if err := c.Validate(); err != nil {
		t.Errorf("flags alone make a valid wif config: %v", err)
	}
}

func TestApplyErrors(t *testing.T) {
	c := &Config{}
	if err := c.Apply(Flags{UsersFile: ptr("testdata/users-bad.txt")}); !errors.As(err, new(*ParseError)) {
		t.Errorf("bad users file: want *ParseError, got %v", err)
	}
	if err := c.Apply(Flags{AttributeMapping: ptr("google.subject")}); err == nil || !strings.Contains(err.Error(), `"google.subject" is not KEY=EXPRESSION`) {
		t.Errorf("bad mapping: got %v", err)
	}
}

func TestParseAttributeMapping(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr string
	}{
		{"google.subject=assertion.sub", map[string]string{"google.subject": "assertion.sub"}, ""},
		{" google.subject = assertion.sub , attribute.org=assertion.org_id,", map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org_id"}, ""},
		{"attribute.x=assertion.a == 'b'", map[string]string{"attribute.x": "assertion.a == 'b'"}, ""},
		{"", map[string]string{}, ""},
		{"google.subject=", nil, "is not KEY=EXPRESSION"},
		{"=assertion.sub", nil, "is not KEY=EXPRESSION"},
		{"a=b,a=c", nil, "a is mapped twice"},
	}
	for _, tt := range tests {
		got, err := ParseAttributeMapping(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: error %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	m := map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"}
	s := FormatAttributeMapping(m)
	if s != "attribute.org=assertion.org,google.subject=assertion.sub" {
		t.Errorf("FormatAttributeMapping = %q", s)
	}
	if back, _ := ParseAttributeMapping(s); !reflect.DeepEqual(back, m) {
		t.Errorf("format/parse round trip: %v", back)
	}
}

func TestApplyUsersInWIFModeIsNoted(t *testing.T) {
	c := &Config{Mode: ModeWIF}
	if err := c.Apply(Flags{Users: ptr([]string{"a@x.com"})}); err != nil {
		t.Fatal(err)
	}
	if c.Users() != nil || c.Impersonation.Users != nil || c.OAuth.Users != nil {
		t.Errorf("users must not land anywhere in wif mode: %+v", c)
	}
	if len(c.Notes) != 1 || !strings.Contains(c.Notes[0], "ignored in wif mode") {
		t.Errorf("notes %q", c.Notes)
	}
}
