package wif

import (
	"errors"
	"strings"
	"testing"
)

func TestCompileLocatesErrors(t *testing.T) {
	tests := []struct {
		name      string
		mapping   map[string]string
		condition string
		field     string
		key       string
		line, col int
		msg       string
	}{
		{"undeclared in condition", map[string]string{"google.subject": "assertion.sub"},
			"assertion.sub == 'a' && org == 'x'", FieldCondition, "", 1, 25, "undeclared reference to 'org'"},
		{"syntax error", map[string]string{"google.subject": "assertion.sub"},
			"assertion.sub ==", FieldCondition, "", 1, 17, "Syntax error"},
		{"second line", map[string]string{"google.subject": "assertion.sub"},
			"assertion.sub == 'a' &&\n  attribute.x = 'y'", FieldCondition, "", 2, 15, "Syntax error"},
		{"mapping sees no attribute variable", map[string]string{"google.subject": "attribute.sub"},
			"", FieldMapping, "google.subject", 1, 1, "undeclared reference to 'attribute'"},
		{"condition not bool", map[string]string{"google.subject": "assertion.sub"},
			"'yes'", FieldCondition, "", 1, 1, "must evaluate to a bool"},
		{"mapping not string", map[string]string{"google.subject": "assertion.sub == 'x'"},
			"", FieldMapping, "google.subject", 1, 1, "must evaluate to a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.mapping, tt.condition)
			var es ExprErrors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("Compile error = %v, want ExprErrors", err)
			}
			e := es[0]
			if e.Field != tt.field || e.Key != tt.key || e.Line != tt.line || e.Column != tt.col || !strings.Contains(e.Message, tt.msg) {
				t.Errorf("got %s[%s] %d:%d %q, want %s[%s] %d:%d containing %q",
					e.Field, e.Key, e.Line, e.Column, e.Message, tt.field, tt.key, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestExprErrorPointer(t *testing.T) {
	_, err := Compile(map[string]string{"google.subject": "assertion.sub"}, "assertion.sub == org")
	es := err.(ExprErrors)
	want := "  assertion.sub == org\n                   ^"
	if got := es[0].Pointer(); got != want {
		t.Errorf("Pointer:\n%s\nwant:\n%s", got, want)
	}
	if !strings.Contains(err.Error(), "line 1, column 18") {
		t.Errorf("Error() = %q, want the position", err.Error())
	}
}

func TestCompileAcceptsGoogleStyleExpressions(t *testing.T) {
	mapping := map[string]string{
		"google.subject":       "assertion.sub",
		"google.groups":        "assertion.groups",
		"attribute.role":       "assertion.arn.extract('assumed-role/{role}/')",
		"attribute.repository": "assertion['repository'].lowerAscii()",
	}
	cond := "'admins' in google.groups && attribute.role.startsWith('ci') && assertion.sub.split(':')[0] == 'repo'"
	c, err := Compile(mapping, cond)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Evaluate(map[string]any{
		"sub": "repo:acme/app", "groups": []any{"admins", "dev"},
		"arn": "arn:aws:sts::1:assumed-role/ci-runner/i-123", "repository": "Acme/App",
	})
	if !r.Admitted {
		t.Fatalf("not admitted: %s %v", r.Reason, r.Problems)
	}
	if r.Attributes["attribute.role"] != "ci-runner" || r.Attributes["attribute.repository"] != "acme/app" {
		t.Errorf("attributes = %v", r.Attributes)
	}
	if g, ok := r.Attributes["google.groups"].([]string); !ok || len(g) != 2 {
		t.Errorf("google.groups = %#v, want a 2-element []string", r.Attributes["google.groups"])
	}
}

func TestExtract(t *testing.T) {
	for _, tt := range []struct{ s, tmpl, want string }{
		{"arn:aws:sts::1:assumed-role/ci/i-1", "assumed-role/{role}/", "ci"},
		{"projects/p/x", "projects/{p}", "p/x"},
		{"nothing here", "assumed-role/{role}/", ""},
		{"assumed-role/open", "assumed-role/{role}/", ""},
	} {
		if got := extract(tt.s, tt.tmpl); got != tt.want {
			t.Errorf("extract(%q, %q) = %q, want %q", tt.s, tt.tmpl, got, tt.want)
		}
	}
}
