package wif

import (
	"strings"
	"testing"
)

func problemsText(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		b.WriteString(p.String() + "\n")
	}
	return b.String()
}

func TestCheck(t *testing.T) {
	gh := map[string]string{"google.subject": "assertion.sub", "attribute.repository": "assertion.repository"}
	tests := []struct {
		name      string
		mapping   map[string]string
		condition string
		want      []Problem // compared on Severity, Field, Column and a message fragment
		fragments []string
	}{
		{name: "clean", mapping: gh, condition: "attribute.repository == 'acme/app'"},
		{name: "clean via the mapped claim", mapping: gh, condition: "assertion.repository == 'acme/app'"},
		{name: "no subject", mapping: map[string]string{"attribute.a": "assertion.a"}, condition: "assertion.a == 'x'",
			want: []Problem{{Severity: Error, Field: FieldMapping}}, fragments: []string{"google.subject is not mapped"}},
		{name: "unmapped attribute", mapping: gh, condition: "assertion.sub != '' && attribute.org == 'x'",
			want: []Problem{{Severity: Error, Field: FieldCondition, Line: 1, Column: 33}}, fragments: []string{"attribute.org is not mapped"}},
		{name: "reads no claim", mapping: gh, condition: "true",
			want: []Problem{{Severity: Error, Field: FieldCondition}}, fragments: []string{"must reference one of the provider's claims"}},
		{name: "reads only unmapped claims", mapping: gh, condition: "assertion.repository_owner_id == '42'",
			want: []Problem{{Severity: Warning, Field: FieldCondition}}, fragments: []string{"repository_owner_id"}},
		{name: "long constant", mapping: map[string]string{"google.subject": "assertion.sub", "attribute.x": "'" + strings.Repeat("x", 128) + "'"},
			condition: "assertion.sub != ''",
			want:      []Problem{{Severity: Error, Field: FieldMapping, Key: "attribute.x"}}, fragments: []string{"128-byte constant"}},
		{name: "compile error also reports missing subject", mapping: map[string]string{"attribute.a": "assertion.a +"},
			want:      []Problem{{Severity: Error, Field: FieldMapping, Key: "attribute.a"}, {Severity: Error, Field: FieldMapping, Key: "google.subject"}},
			fragments: []string{"Syntax error", "google.subject is not mapped"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ps := Check(tt.mapping, tt.condition)
			if len(ps) != len(tt.want) {
				t.Fatalf("problems:\n%swant %d", problemsText(ps), len(tt.want))
			}
			for i, w := range tt.want {
				p := ps[i]
				if p.Severity != w.Severity || p.Field != w.Field || (w.Key != "" && p.Key != w.Key) ||
					(w.Line != 0 && (p.Line != w.Line || p.Column != w.Column)) || !strings.Contains(p.Message, tt.fragments[i]) {
					t.Errorf("problem %d = %s; want %+v containing %q", i, p, w, tt.fragments[i])
				}
			}
		})
	}
}

func TestConditionReadsClaim(t *testing.T) {
	for cond, want := range map[string]bool{
		"assertion.org == 'x'":        true,
		"attribute.org == 'x'":        true,
		"'a' in google.groups":        true,
		"true":                        false,
		"1 == 1":                      false,
		"assertion.org ==":            false,
		"assertion['org'] == 'acme'":  true,
		"request.time > timestamp(0)": false,
	} {
		if got := ConditionReadsClaim(cond); got != want {
			t.Errorf("ConditionReadsClaim(%q) = %v, want %v", cond, got, want)
		}
	}
}
