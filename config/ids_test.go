package config

import "testing"

func TestAccountIDRules(t *testing.T) {
	tests := []struct {
		id   string
		want bool
	}{
		{"fedctl-admin", true},
		{"abcdef", true},                           // 6: the minimum
		{"a23456789012345678901234567890", true},   // 30: the maximum
		{"a2345", false},                           // 5
		{"a234567890123456789012345678901", false}, // 31
		{"1abcdef", false},                         // starts with a digit
		{"-abcdef", false},
		{"abcdef-", false}, // ends with a hyphen
		{"abcde9", true},
		{"Abcdef", false},
		{"abc.def", false},
		{"abc_def", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidAccountID(tt.id); got != tt.want {
			t.Errorf("ValidAccountID(%q) = %v, want %v (%s)", tt.id, got, tt.want, accountIDProblem(tt.id))
		}
	}
}

func TestProjectIDRules(t *testing.T) {
	tests := []struct {
		p    string
		want bool
	}{
		{"my-proj", true},
		{"abcdef", true},
		{"a23456789012345678901234567890", true},
		{"abcde", false},
		{"a234567890123456789012345678901", false},
		{"1project", false},
		{"my-proj-", false},
		{"my_proj", false},
		{"My-proj", false},
		{"123456789012", false},
		{"example.com:my-proj", true},
		{"google.com:analytics-123", true},
		{"example:my-proj", false}, // not a domain
		{"example.com:My", false},
	}
	for _, tt := range tests {
		if got := projectIDProblem(tt.p) == ""; got != tt.want {
			t.Errorf("project %q valid = %v, want %v (%s)", tt.p, got, tt.want, projectIDProblem(tt.p))
		}
	}
}

func TestEmailRules(t *testing.T) {
	tests := []struct {
		email string
		want  bool
	}{
		{"alice@acme.com", true},
		{"Alice.Smith+bq@mail.acme.co.uk", true},
		{`"a@b"@acme.com`, true}, // quoted local part: the last '@' splits
		{"a@b@acme.com", false},
		{"alice", false},
		{"@acme.com", false},
		{"alice@", false},
		{"alice@acme", false},
		{"alice@-acme.com", false},
		{"al ice@acme.com", false},
		{".alice@acme.com", false},
		{"alice..b@acme.com", false},
		{"user:alice@acme.com", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidEmail(tt.email); got != tt.want {
			why, _ := emailProblem(tt.email)
			t.Errorf("ValidEmail(%q) = %v, want %v (%s)", tt.email, got, tt.want, why)
		}
	}
}

func TestRoleRules(t *testing.T) {
	tests := []struct {
		role string
		want bool
	}{
		{"roles/bigquery.dataViewer", true},
		{"roles/owner", true},
		{"projects/my-proj/roles/customReader", true},
		{"projects/example.com:my-proj/roles/custom.reader_2", true},
		{"organizations/1234567/roles/orgReader", true},
		{"organizations/acme/roles/orgReader", false},
		{"projects/my-proj/roles/ab", false}, // custom role IDs are ≥3
		{"projects/my-proj/role/reader", false},
		{"roles/", false},
		{"roles/bigquery.", false},
		{"bigquery.dataViewer", false},
		{"", false},
	}
	for _, tt := range tests {
		why, _ := roleProblem(tt.role)
		if got := why == ""; got != tt.want {
			t.Errorf("role %q valid = %v, want %v (%s)", tt.role, got, tt.want, why)
		}
	}
}

func TestServiceAccountEmail(t *testing.T) {
	if got := ServiceAccountEmail("sa-one", "my-proj"); got != "sa-one@my-proj.iam.gserviceaccount.com" {
		t.Errorf("got %q", got)
	}
	if got := ServiceAccountEmail("sa-one", "example.com:my-proj"); got != "sa-one@my-proj.example.com.iam.gserviceaccount.com" {
		t.Errorf("domain-scoped: got %q", got)
	}
}
