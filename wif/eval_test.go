package wif

import (
	"strings"
	"testing"
)

var githubClaims = map[string]any{
	"iss": "https://token.actions.githubusercontent.com", "sub": "repo:acme/app:ref:refs/heads/main",
	"repository": "acme/app", "repository_owner": "acme", "repository_owner_id": "42",
}

func mustCompile(t *testing.T, m map[string]string, cond string) *Compiled {
	t.Helper()
	c, err := Compile(m, cond)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEvaluate(t *testing.T) {
	mapping := map[string]string{
		"google.subject": "assertion.sub", "attribute.repository": "assertion.repository",
		"attribute.environment": "assertion.environment",
	}
	c := mustCompile(t, mapping, "assertion.repository_owner_id == '42' && attribute.repository == 'acme/app'")

	r := c.Evaluate(githubClaims)
	if !r.Admitted || r.Subject != "repo:acme/app:ref:refs/heads/main" {
		t.Fatalf("Evaluate = %+v, want admitted", r)
	}
	if _, ok := r.Attributes["attribute.environment"]; ok {
		t.Error("an absent claim must leave its attribute unset")
	}
	if got := r.Flat()["attribute.repository"]; got != "acme/app" {
		t.Errorf("Flat()[attribute.repository] = %q", got)
	}

	other := map[string]any{"sub": "repo:evil/app:ref:refs/heads/main", "repository": "evil/app", "repository_owner_id": "666"}
	r = c.Evaluate(other)
	if r.Admitted || !strings.Contains(r.Reason, "returned false") {
		t.Errorf("other tenant: %+v, want rejected by the condition", r)
	}

	r = c.Evaluate(map[string]any{"repository": "acme/app", "repository_owner_id": "42"})
	if r.Admitted || !strings.Contains(r.Reason, "google.subject") {
		t.Errorf("no sub: %+v, want rejected for the subject", r)
	}

	long := map[string]any{"sub": strings.Repeat("s", 128), "repository": "acme/app", "repository_owner_id": "42"}
	r = c.Evaluate(long)
	if r.Admitted || !strings.Contains(r.Reason, "128 bytes") {
		t.Errorf("long subject: %+v, want rejected for its length", r)
	}
}

func TestEvaluateConditionOnMissingClaimRejects(t *testing.T) {
	c := mustCompile(t, map[string]string{"google.subject": "assertion.sub"}, "assertion.org == 'acme'")
	r := c.Evaluate(map[string]any{"sub": "x"})
	if r.Admitted || !strings.Contains(r.Reason, "failed to evaluate") {
		t.Errorf("got %+v, want an evaluation failure", r)
	}
}

func TestEvaluateNoCondition(t *testing.T) {
	c := mustCompile(t, map[string]string{"google.subject": "assertion.sub"}, "")
	if r := c.Evaluate(map[string]any{"sub": "anyone"}); !r.Admitted {
		t.Errorf("no condition: %+v, want admitted", r)
	}
}

func TestMemberMatches(t *testing.T) {
	const n, pool = "123", "gh"
	base := "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/gh/"
	attrs := map[string]any{"google.subject": "repo:acme/app", "attribute.repository": "acme/app", "google.groups": []string{"admins"}}
	for member, want := range map[string]bool{
		"principalSet:" + base + "attribute.repository/acme/app":                                        true,
		"principalSet:" + base + "attribute.repository/acme/evil":                                       false,
		"principalSet:" + base + "attribute.org/acme":                                                   false,
		"principalSet:" + base + "*":                                                                    true,
		"principalSet:" + base + "group/admins":                                                         true,
		"principalSet:" + base + "group/dev":                                                            false,
		"principal:" + base + "subject/repo:acme/app":                                                   true,
		"principal:" + base + "subject/repo:acme/other":                                                 false,
		"principalSet://iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/other/*": false,
		"principalSet://iam.googleapis.com/projects/999/locations/global/workloadIdentityPools/gh/*":    false,
		"serviceAccount:x@p.iam.gserviceaccount.com":                                                    false,
	} {
		if got := MemberMatches(member, n, pool, attrs); got != want {
			t.Errorf("MemberMatches(%s) = %v, want %v", member, got, want)
		}
	}
	got := MatchingMembers([]string{"user:a@x.com", "principalSet:" + base + "attribute.repository/acme/app"}, n, pool, attrs)
	if len(got) != 1 || !strings.HasSuffix(got[0], "acme/app") {
		t.Errorf("MatchingMembers = %v", got)
	}
	if p := Principal(n, pool, "s"); p != "principal:"+base+"subject/s" {
		t.Errorf("Principal = %s", p)
	}
}
