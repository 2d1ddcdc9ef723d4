package wif

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/traits"
)

// Result is what STS would make of a token's claims: the mapped attributes
// and the condition's verdict.
type Result struct {
	// Attributes by mapping key (google.subject, attribute.org, ...): a
	// string, or []string for list-valued mappings (google.groups). A
	// mapping whose claim is absent is left out, as Google does.
	Attributes map[string]any
	// Subject is the mapped google.subject ("" when it failed).
	Subject string
	// Admitted: the subject mapped and the condition (if any) returned true.
	Admitted bool
	// Reason says why the token is not admitted ("" when it is).
	Reason string
	// Problems are mapping failures that do not stop the exchange by
	// themselves (an attribute that did not evaluate to a string).
	Problems []string
}

// Flat returns the attributes as strings, lists joined with commas: the
// form the emulator's tokens carry.
func (r *Result) Flat() map[string]string {
	out := make(map[string]string, len(r.Attributes))
	for k, v := range r.Attributes {
		switch v := v.(type) {
		case string:
			out[k] = v
		case []string:
			out[k] = strings.Join(v, ",")
		}
	}
	return out
}

// Evaluate maps claims through the attribute mapping and runs the
// condition, as STS does after checking the token's signature, issuer,
// audience and expiry. It never fails: every problem lands in the Result.
func (c *Compiled) Evaluate(claims map[string]any) *Result {
	r := &Result{Attributes: map[string]any{}}
	if claims == nil {
		claims = map[string]any{}
	}
	act := map[string]any{"assertion": claims}
	for _, k := range slices.Sorted(maps.Keys(c.mapping)) {
		v, err := evalValue(c.mapping[k].prog, act)
		switch {
		case err != nil && isNoSuchKey(err):
			continue // claim absent: attribute not set
		case err != nil:
			r.Problems = append(r.Problems, fmt.Sprintf("%s: %v", k, err))
			continue
		}
		if s, ok := v.(string); ok && len(s) > MaxAttributeBytes {
			r.Problems = append(r.Problems, fmt.Sprintf("%s is %d bytes (at most %d)", k, len(s), MaxAttributeBytes))
			if k == "google.subject" {
				r.Reason = fmt.Sprintf("the mapped google.subject is %d bytes, more than Google's %d", len(s), MaxAttributeBytes)
				return r
			}
			continue
		}
		r.Attributes[k] = v
	}
	sub, _ := r.Attributes["google.subject"].(string)
	if sub == "" {
		r.Reason = "google.subject did not map to a value (is the claim present?)"
		return r
	}
	r.Subject = sub
	if c.cond == nil {
		r.Admitted = true
		return r
	}
	google, attribute := map[string]any{}, map[string]any{}
	for k, v := range r.Attributes {
		if name, ok := strings.CutPrefix(k, "google."); ok {
			google[name] = v
		} else if name, ok := strings.CutPrefix(k, "attribute."); ok {
			attribute[name] = v
		}
	}
	out, _, err := c.cond.prog.Eval(map[string]any{"assertion": claims, "google": google, "attribute": attribute})
	switch {
	case err != nil:
		r.Reason = "the attribute condition failed to evaluate: " + err.Error()
	case out == types.True:
		r.Admitted = true
	default:
		r.Reason = "the attribute condition returned " + fmt.Sprint(out.Value())
	}
	return r
}

// evalValue runs a mapping program and returns a string or []string.
func evalValue(prog cel.Program, act map[string]any) (any, error) {
	out, _, err := prog.Eval(act)
	if err != nil {
		return nil, err
	}
	switch v := out.Value().(type) {
	case string:
		return v, nil
	}
	if l, ok := out.(traits.Lister); ok {
		var ss []string
		for it := l.Iterator(); it.HasNext() == types.True; {
			s, ok := it.Next().Value().(string)
			if !ok {
				return nil, fmt.Errorf("evaluated to a list with a non-string element")
			}
			ss = append(ss, s)
		}
		return ss, nil
	}
	return nil, fmt.Errorf("evaluated to %s, not a string", out.Type().TypeName())
}

func isNoSuchKey(err error) bool { return strings.Contains(err.Error(), "no such key") }
