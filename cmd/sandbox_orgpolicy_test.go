package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// `sandbox org-policy set` changes what the Org Policy API answers (read
// through gcp.GetEffectivePolicy) and what the sandbox enforces; bad flag
// combinations are usage errors.
func TestSandboxOrgPolicySet(t *testing.T) {
	state := filepath.Join(t.TempDir(), "state.json")
	if r := runCLI(t, "sandbox", "org-policy", "set", "iam.disableServiceAccountKeyCreation", "--enforce", "--state", state); r.code != 0 {
		t.Fatalf("set: exit %d: %s", r.code, r.stderr)
	}
	if r := runCLI(t, "sandbox", "org-policy", "set", "iam.allowedPolicyMemberDomains", "--allow", "example.com", "--state", state); r.code != 0 {
		t.Fatalf("set list: exit %d: %s", r.code, r.stderr)
	}
	r := runCLI(t, "sandbox", "org-policy", "list", "--state", state)
	if r.code != 0 || !strings.Contains(r.stdout, "constraints/iam.disableServiceAccountKeyCreation: enforce=true") ||
		!strings.Contains(r.stdout, "constraints/iam.allowedPolicyMemberDomains: allow example.com") {
		t.Fatalf("list: exit %d:\n%s", r.code, r.stdout)
	}
	srv, err := emulator.New(emulator.Options{StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	url, err := srv.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx := context.Background()
	c, err := gcp.New(ctx, gcp.Config{Endpoint: url, AccessToken: srv.OperatorToken()})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.GetEffectivePolicy(ctx, "demo-project", gcp.ConstraintDisableKeyCreation)
	if err != nil || !p.Enforced() {
		t.Fatalf("effective key-creation policy = %+v, %v", p, err)
	}
	d, err := c.GetEffectivePolicy(ctx, "demo-project", gcp.ConstraintAllowedPolicyMemberDomains)
	if err != nil || !d.Allows("example.com") || d.Allows("other.org") {
		t.Fatalf("effective domains policy = %+v, %v", d, err)
	}
	// The gcp client's own write: stop enforcing through the API.
	if err := c.SetBooleanPolicy(ctx, "demo-project", gcp.ConstraintDisableKeyCreation, false); err != nil {
		t.Fatal(err)
	}
	if p, err = c.GetEffectivePolicy(ctx, "demo-project", gcp.ConstraintDisableKeyCreation); err != nil || p.Enforced() {
		t.Fatalf("after SetBooleanPolicy(false): %+v, %v", p, err)
	}
	// And create one that did not exist.
	if err := c.SetBooleanPolicy(ctx, "demo-project", gcp.ConstraintManagedDisableKeyCreation, true); err != nil {
		t.Fatal(err)
	}
	if p, err = c.GetEffectivePolicy(ctx, "demo-project", gcp.ConstraintManagedDisableKeyCreation); err != nil || !p.Enforced() {
		t.Fatalf("after SetBooleanPolicy(true): %+v, %v", p, err)
	}

	for _, args := range [][]string{
		{"set", "iam.disableServiceAccountKeyCreation", "--allow", "x"},
		{"set", "iam.allowedPolicyMemberDomains", "--enforce"},
		{"set", "iam.allowedPolicyMemberDomains"},
		{"set"},
	} {
		if r := runCLI(t, append(append([]string{"sandbox", "org-policy"}, args...), "--state", state)...); r.code != cmdutil.ExitUsage {
			t.Errorf("%v: exit %d, want usage error", args, r.code)
		}
	}
	// An unknown constraint is a usage error naming the known ones, not "a list constraint".
	if r := runCLI(t, "sandbox", "org-policy", "set", "iam.bogus", "--enforce", "--state", state); r.code != cmdutil.ExitUsage ||
		strings.Contains(r.stderr, "list constraint") || !strings.Contains(r.stderr, "iam.bogus") ||
		!strings.Contains(r.stderr, gcp.ConstraintDisableKeyCreation) || !strings.Contains(r.stderr, gcp.ConstraintLifetimeExtension) {
		t.Errorf("set iam.bogus --enforce: exit %d, stderr %q; want a usage error naming the known constraints", r.code, r.stderr)
	}
	if r := runCLI(t, "sandbox", "org-policy", "clear", "iam.allowedPolicyMemberDomains", "--state", state); r.code != 0 {
		t.Fatalf("clear: exit %d", r.code)
	}
}
