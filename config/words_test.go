package config

import (
	"strings"
	"testing"
)

// Messages read as English and never contradict themselves (issue #16
// item 10).
func TestProblemWords(t *testing.T) {
	for in, tc := range map[string]struct{ want, not string }{
		"Alice-fedctl":  {"contains 'A'", "must start with a"},
		"fedctl-josé":   {"ends with", "''"},
		"fedctl-jose ":  {"ends with a space", "''"},
		"9fedctl-alice": {"starts with '9' (it must start with a lowercase letter)", ""},
	} {
		got := accountIDProblem(in)
		if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
			t.Errorf("%q: %q (want %q, not %q)", in, got, tc.want, tc.not)
		}
	}
	if got := projectIDProblem("p"); !strings.Contains(got, "is 1 character long") {
		t.Errorf("project p: %q", got)
	}
	if got := allUsers(1); got != "the one user" {
		t.Errorf("allUsers(1) = %q", got)
	}
	_, err := Parse([]byte("project: demo-project\nimpersonation:\n  users: 5\n"))
	if err == nil || strings.Contains(err.Error(), "e.g. [5]") || !strings.Contains(err.Error(), "must be a list") {
		t.Errorf("users: 5 → %v", err)
	}
	_, err = Parse([]byte("project: demo-project\nimpersonation:\n  users: alice@acme.com\n"))
	if err == nil || !strings.Contains(err.Error(), "e.g. [alice@acme.com]") {
		t.Errorf("users: alice@acme.com → %v", err)
	}
}
