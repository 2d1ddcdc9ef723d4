package gcp

import (
	"context"
	"fmt"
	"slices"
	"strings"

	orgpolicy "google.golang.org/api/orgpolicy/v2"
)

// Organization Policy API v2 (orgpolicy.googleapis.com), project scope:
// read a constraint's effective policy (what Google enforces on the
// project, inheritance resolved) and create or patch a project's own
// policy. Routed like every other API (ENDPOINT/orgpolicy/ when overridden).

const orgPolicyBase = "https://orgpolicy.googleapis.com/"

// The constraints fedctl's writes can run into (SPEC §7.3), without the
// "constraints/" prefix, as policy names spell them.
const (
	// Boolean: no user-managed SA keys (enforced by default in
	// organizations created since May 2024).
	ConstraintDisableKeyCreation        = "iam.disableServiceAccountKeyCreation"
	ConstraintManagedDisableKeyCreation = "iam.managed.disableServiceAccountKeyCreation"
	// List: the customers (domains) whose principals may be granted roles.
	ConstraintAllowedPolicyMemberDomains = "iam.allowedPolicyMemberDomains"
	// List: the issuer URIs workload identity pool providers may use.
	ConstraintWorkloadIdentityPoolProviders = "iam.workloadIdentityPoolProviders"
	// List: the SAs that may be issued access tokens living up to 12 h.
	ConstraintLifetimeExtension = "iam.allowServiceAccountCredentialLifetimeExtension"
)

// OrgPolicyRule is one rule of a policy spec.
type OrgPolicyRule struct {
	Enforce  bool     // boolean constraints
	AllowAll bool     // list constraints
	DenyAll  bool     // list constraints
	Allowed  []string // list constraints: allowedValues
	Denied   []string // list constraints: deniedValues
	// Condition, when set, limits the rule to resources it matches (a CEL
	// expression on tags): Org Policy v2 PolicySpec.PolicyRule.condition,
	// a google.type.Expr (cloud.google.com/resource-manager/docs/
	// organization-policy/reference/rest/v2/organizations.policies).
	Condition *OrgPolicyCondition
}

// OrgPolicyCondition is a rule's google.type.Expr.
type OrgPolicyCondition struct {
	Expression, Title, Description, Location string
}

// OrgPolicy is a constraint's policy on a project, as Google evaluates it.
type OrgPolicy struct {
	Constraint string // e.g. "iam.disableServiceAccountKeyCreation"
	Rules      []OrgPolicyRule
	Etag       string // of the project's own policy (GetOrgPolicy only)
}

// Enforced reports whether a boolean constraint is enforced
// unconditionally: a rule that enforces only under a condition does not
// count (it may not hold for the resources fedctl writes).
func (p *OrgPolicy) Enforced() bool {
	if p == nil {
		return false
	}
	for _, r := range p.Rules {
		if r.Enforce && r.Condition == nil {
			return true
		}
	}
	return false
}

// Allows reports whether a list constraint allows value: a denied value
// or denyAll refuses; allowAll or a listed allowed value admits; with
// allowed values listed, anything else is refused; with none, allowed.
// (Org Policy docs, "Using constraints": list-policy evaluation.) A nil
// policy allows everything.
func (p *OrgPolicy) Allows(value string) bool {
	if p == nil {
		return true
	}
	for _, r := range p.Rules {
		if r.DenyAll || slices.Contains(r.Denied, value) {
			return false
		}
	}
	anyAllowed := false
	for _, r := range p.Rules {
		if r.AllowAll || slices.Contains(r.Allowed, value) {
			return true
		}
		anyAllowed = anyAllowed || len(r.Allowed) > 0
	}
	return !anyAllowed
}

// Restricts reports whether a list policy limits values at all.
func (p *OrgPolicy) Restricts() bool {
	if p == nil {
		return false
	}
	for _, r := range p.Rules {
		if r.DenyAll || len(r.Allowed) > 0 || len(r.Denied) > 0 {
			return true
		}
		if r.AllowAll {
			return false
		}
	}
	return false
}

func (c *Client) orgPolicyService(ctx context.Context) (*orgpolicy.Service, error) {
	svc, err := orgpolicy.NewService(ctx, c.clientOptions(c.httpClient, orgPolicyBase)...)
	if err != nil {
		return nil, fmt.Errorf("orgpolicy client: %w", err)
	}
	return svc, nil
}

func orgPolicyName(project, constraint string) string {
	return "projects/" + project + "/policies/" + strings.TrimPrefix(constraint, "constraints/")
}

func orgPolicyFromWire(constraint string, w *orgpolicy.GoogleCloudOrgpolicyV2Policy) *OrgPolicy {
	out := &OrgPolicy{Constraint: constraint, Etag: w.Etag}
	if w.Spec == nil {
		return out
	}
	for _, r := range w.Spec.Rules {
		if r == nil {
			continue
		}
		or := OrgPolicyRule{Enforce: r.Enforce, AllowAll: r.AllowAll, DenyAll: r.DenyAll}
		if r.Values != nil {
			or.Allowed, or.Denied = r.Values.AllowedValues, r.Values.DeniedValues
		}
		if e := r.Condition; e != nil {
			or.Condition = &OrgPolicyCondition{Expression: e.Expression, Title: e.Title, Description: e.Description, Location: e.Location}
		}
		out.Rules = append(out.Rules, or)
	}
	return out
}

func orgPolicyToWire(project string, p *OrgPolicy) *orgpolicy.GoogleCloudOrgpolicyV2Policy {
	spec := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{}
	for _, r := range p.Rules {
		wr := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{AllowAll: r.AllowAll, DenyAll: r.DenyAll, Enforce: r.Enforce}
		if r.Enforce || (!r.AllowAll && !r.DenyAll && len(r.Allowed) == 0 && len(r.Denied) == 0) {
			wr.ForceSendFields = []string{"Enforce"}
		}
		if len(r.Allowed) > 0 || len(r.Denied) > 0 {
			wr.Values = &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRuleStringValues{AllowedValues: r.Allowed, DeniedValues: r.Denied}
		}
		if e := r.Condition; e != nil {
			wr.Condition = &orgpolicy.GoogleTypeExpr{Expression: e.Expression, Title: e.Title, Description: e.Description, Location: e.Location}
		}
		spec.Rules = append(spec.Rules, wr)
	}
	return &orgpolicy.GoogleCloudOrgpolicyV2Policy{Name: orgPolicyName(project, p.Constraint), Spec: spec, Etag: p.Etag}
}

// GetEffectivePolicy reads the policy Google enforces for constraint on
// project (projects.policies.getEffectivePolicy; needs
// orgpolicy.policy.get, in roles/orgpolicy.policyViewer and roles/viewer).
func (c *Client) GetEffectivePolicy(ctx context.Context, project, constraint string) (*OrgPolicy, error) {
	svc, err := c.orgPolicyService(ctx)
	if err != nil {
		return nil, err
	}
	constraint = strings.TrimPrefix(constraint, "constraints/")
	var w *orgpolicy.GoogleCloudOrgpolicyV2Policy
	w, err = svc.Projects.Policies.GetEffectivePolicy(orgPolicyName(project, constraint)).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading the effective org policy %s on %s: %w", constraint, project, Classify(err))
	}
	return orgPolicyFromWire(constraint, w), nil
}

// GetOrgPolicy reads the project's own policy for constraint; nil, nil
// when the project sets none (it inherits).
func (c *Client) GetOrgPolicy(ctx context.Context, project, constraint string) (*OrgPolicy, error) {
	svc, err := c.orgPolicyService(ctx)
	if err != nil {
		return nil, err
	}
	constraint = strings.TrimPrefix(constraint, "constraints/")
	var w *orgpolicy.GoogleCloudOrgpolicyV2Policy
	w, err = svc.Projects.Policies.Get(orgPolicyName(project, constraint)).Context(ctx).Do()
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the org policy %s on %s: %w", constraint, project, Classify(err))
	}
	return orgPolicyFromWire(constraint, w), nil
}

// SetOrgPolicy creates the project's policy p.Constraint, or patches its
// spec when one exists (projects.policies.create / patch; needs
// orgpolicy.policies.create / update, roles/orgpolicy.policyAdmin). The
// rules given replace the spec's rules (conditional ones included, so pass
// those to keep); the dry-run spec is kept. The patch carries the read
// etag and is redone from a fresh read on a conflict.
func (c *Client) SetOrgPolicy(ctx context.Context, project string, p *OrgPolicy) error {
	return c.modifyOrgPolicy(ctx, project, p.Constraint, func([]OrgPolicyRule) []OrgPolicyRule { return p.Rules })
}

// SetBooleanPolicy enforces (or stops enforcing) a boolean constraint on
// project: it sets the unconditional rule of the project's policy and
// keeps its conditional rules and dry-run spec.
func (c *Client) SetBooleanPolicy(ctx context.Context, project, constraint string, enforce bool) error {
	return c.modifyOrgPolicy(ctx, project, constraint, func(cur []OrgPolicyRule) []OrgPolicyRule {
		var rules []OrgPolicyRule
		for _, r := range cur {
			if r.Condition != nil {
				rules = append(rules, r)
			}
		}
		return append(rules, OrgPolicyRule{Enforce: enforce})
	})
}

// modifyOrgPolicy is an etag-safe read-modify-write of the project's own
// policy on constraint: rules maps its current rules (none when unset) to
// the new ones; the rest of the policy (dryRunSpec) is sent back as read.
func (c *Client) modifyOrgPolicy(ctx context.Context, project, constraint string, rules func([]OrgPolicyRule) []OrgPolicyRule) error {
	svc, err := c.orgPolicyService(ctx)
	if err != nil {
		return err
	}
	constraint = strings.TrimPrefix(constraint, "constraints/")
	name := orgPolicyName(project, constraint)
	err = Do(ctx, c.retry, isPolicyConflict, func() error {
		cur, err := svc.Projects.Policies.Get(name).Context(ctx).Do()
		if err != nil && !IsNotFound(err) {
			return err
		}
		if cur == nil || IsNotFound(err) {
			w := orgPolicyToWire(project, &OrgPolicy{Constraint: constraint, Rules: rules(nil)})
			_, err = svc.Projects.Policies.Create("projects/"+project, w).Context(ctx).Do()
			return err
		}
		w := orgPolicyToWire(project, &OrgPolicy{Constraint: constraint, Rules: rules(orgPolicyFromWire(constraint, cur).Rules)})
		w.Name, w.Etag, w.DryRunSpec = cur.Name, cur.Etag, cur.DryRunSpec
		_, err = svc.Projects.Policies.Patch(name, w).Context(ctx).Do()
		return err
	})
	if err != nil {
		return fmt.Errorf("setting the org policy %s on %s: %w", constraint, project, Classify(err))
	}
	return nil
}

// DeleteOrgPolicy removes the project's own policy for constraint (the
// project inherits again); a missing policy is not an error.
func (c *Client) DeleteOrgPolicy(ctx context.Context, project, constraint string) error {
	svc, err := c.orgPolicyService(ctx)
	if err != nil {
		return err
	}
	_, err = svc.Projects.Policies.Delete(orgPolicyName(project, constraint)).Context(ctx).Do()
	if err != nil && !IsNotFound(err) {
		return fmt.Errorf("deleting the org policy %s on %s: %w", constraint, project, Classify(err))
	}
	return nil
}
