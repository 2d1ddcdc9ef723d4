package wif

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"cel.dev/cel-go/common/ast"
)

// MaxAttributeBytes is Google's limit on a mapped google.subject and on each
// mapped custom attribute value.
const MaxAttributeBytes = 127

// ConditionNoClaimMessage is Google's 400 text for a condition that reads
// none of the provider's claims (gcp-wire §5.5).
const ConditionNoClaimMessage = "The attribute condition must reference one of the provider's claims. For more information, see https://cloud.google.com/iam/docs/workload-identity-federation-with-deployment-pipelines#conditions"

// Severity ranks a Problem.
type Severity int

const (
	// Error: Google would reject the provider, or no token could ever pass.
	Error Severity = iota
	// Warning: legal, but likely not what was meant.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Problem is one finding of Check, located when it concerns an expression.
type Problem struct {
	Severity Severity
	Field    string // FieldMapping or FieldCondition
	Key      string // mapping key, when about one
	Line     int    // 1-based; 0 = not located
	Column   int
	Message  string
	Fix      string
}

func (p Problem) String() string {
	where := p.Field
	if p.Key != "" {
		where += "[" + p.Key + "]"
	}
	if p.Line > 0 {
		where += fmt.Sprintf(" (line %d, column %d)", p.Line, p.Column)
	}
	s := fmt.Sprintf("%s: %s: %s", p.Severity, where, p.Message)
	if p.Fix != "" {
		s += " — " + p.Fix
	}
	return s
}

// Errors returns the problems of Error severity.
func Errors(ps []Problem) []Problem {
	var out []Problem
	for _, p := range ps {
		if p.Severity == Error {
			out = append(out, p)
		}
	}
	return out
}

// Check compiles a provider's mapping and condition and lints them: what
// setup runs before any API call. Compile errors come back as Error
// problems (located); the Compiled is nil when any expression failed.
func Check(mapping map[string]string, condition string) (*Compiled, []Problem) {
	c, err := Compile(mapping, condition)
	if err != nil {
		var ps []Problem
		for _, e := range err.(ExprErrors) {
			ps = append(ps, Problem{Severity: Error, Field: e.Field, Key: e.Key, Line: e.Line, Column: e.Column,
				Message: e.Message, Fix: "fix the CEL expression"})
		}
		if _, ok := mapping["google.subject"]; !ok {
			ps = append(ps, missingSubject())
		}
		return nil, ps
	}
	return c, c.Lint()
}

func missingSubject() Problem {
	return Problem{Severity: Error, Field: FieldMapping, Key: "google.subject",
		Message: "google.subject is not mapped (OIDC providers must map it)", Fix: "add google.subject=assertion.sub"}
}

// Lint checks a compiled provider: google.subject mapped; literal values
// within 127 bytes; the condition reads at least one claim (Google's rule),
// reads only mapped attributes (an unmapped one fails every token), and
// reads claims the mapping carries (warning otherwise).
func (c *Compiled) Lint() []Problem {
	var ps []Problem
	if _, ok := c.Mapping["google.subject"]; !ok {
		ps = append(ps, missingSubject())
	}
	for _, k := range slices.Sorted(maps.Keys(c.mapping)) {
		root := c.mapping[k].ast.NativeRep().Expr()
		if root.Kind() != ast.LiteralKind {
			continue
		}
		if s, ok := root.AsLiteral().Value().(string); ok && len(s) > MaxAttributeBytes {
			ps = append(ps, Problem{Severity: Error, Field: FieldMapping, Key: k, Line: 1, Column: 1,
				Message: fmt.Sprintf("maps to a %d-byte constant (at most %d)", len(s), MaxAttributeBytes), Fix: "shorten it"})
		}
	}
	if c.cond == nil {
		return ps
	}
	refs := fieldRefs(c.cond.ast)
	mappedClaims := map[string]bool{}
	for _, claims := range c.claimsOf {
		for _, cl := range claims {
			mappedClaims[cl] = true
		}
	}
	readsClaim, readsMapped := false, false
	var unmappedClaims []string
	for _, r := range refs {
		switch r.root {
		case "attribute", "google":
			readsClaim = true
			if _, ok := c.Mapping[r.root+"."+r.field]; ok {
				readsMapped = true
				continue
			}
			ps = append(ps, Problem{Severity: Error, Field: FieldCondition, Line: r.line, Column: r.col,
				Message: fmt.Sprintf("%s.%s is not mapped, so the condition fails for every token", r.root, r.field),
				Fix:     fmt.Sprintf("map it (%s.%s=assertion.CLAIM) or read the claim itself (assertion.CLAIM)", r.root, r.field)})
		case "assertion":
			readsClaim = true
			if mappedClaims[r.field] {
				readsMapped = true
			} else if !slices.Contains(unmappedClaims, r.field) {
				unmappedClaims = append(unmappedClaims, r.field)
			}
		}
	}
	switch {
	case !readsClaim:
		ps = append(ps, Problem{Severity: Error, Field: FieldCondition, Message: ConditionNoClaimMessage,
			Fix: "pin the tenant with a claim, e.g. assertion.repository_owner_id == '123456'"})
	case !readsMapped && len(unmappedClaims) > 0:
		ps = append(ps, Problem{Severity: Warning, Field: FieldCondition,
			Message: fmt.Sprintf("reads only claims the attribute mapping does not carry (%s), so no principal set can name what it admits", strings.Join(unmappedClaims, ", ")),
			Fix:     fmt.Sprintf("also map the pinned claim, e.g. attribute.%s=assertion.%s", unmappedClaims[0], unmappedClaims[0])})
	}
	return ps
}

// ConditionReadsClaim reports whether a condition reads any of the token's
// claims or mapped attributes: Google's create-time rule (the emulator's
// 400). An expression that does not compile reads nothing.
func ConditionReadsClaim(condition string) bool {
	a, iss := condEnv().Compile(condition)
	if iss != nil && iss.Err() != nil {
		return false
	}
	for _, r := range fieldRefs(a) {
		if r.root == "assertion" || r.root == "attribute" || r.root == "google" {
			return true
		}
	}
	return false
}
