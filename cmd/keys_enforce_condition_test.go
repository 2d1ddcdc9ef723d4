package cmd

import (
	"strings"
	"testing"

	"github.com/fedctl/fedctl/gcp"
)

// A project policy that forbids keys only under a condition (tags) does
// not forbid them: `keys enforce` plans and applies the unconditional
// rule, and keeps the conditional one.
func TestKeysEnforceOverConditionalRule(t *testing.T) {
	w := newKeysWorld(t)
	cond := &gcp.OrgPolicyCondition{Expression: "resource.matchTag('123/env', 'prod')", Title: "prod only"}
	if err := w.c.SetOrgPolicy(w.ctx, keysProject, &gcp.OrgPolicy{Constraint: gcp.ConstraintDisableKeyCreation,
		Rules: []gcp.OrgPolicyRule{{Enforce: true, Condition: cond}, {Enforce: false}}}); err != nil {
		t.Fatal(err)
	}
	r := runFed(t, w.srv, "keys", "enforce", "--yes")
	if r.code != 0 || strings.Contains(r.stdout, "already forbidden") || !strings.Contains(r.stdout, "Apply complete: 1 change(s) applied.") {
		t.Fatalf("enforce over a conditional rule: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	p, err := w.c.GetOrgPolicy(w.ctx, keysProject, gcp.ConstraintDisableKeyCreation)
	if err != nil || !p.Enforced() || len(p.Rules) != 2 {
		t.Fatalf("policy after enforce = %+v, %v", p, err)
	}
	var kept bool
	for _, r := range p.Rules {
		kept = kept || (r.Condition != nil && *r.Condition == *cond && r.Enforce)
	}
	if !kept {
		t.Errorf("the conditional rule was lost: %+v", p.Rules)
	}
}
