package keys

import (
	"context"
	"fmt"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// KeyCreationConstraint is the boolean constraint that forbids creating
// user-managed service-account keys.
const KeyCreationConstraint = gcp.ConstraintDisableKeyCreation

// OrgPolicyAddress is the plan address of the key-creation policy.
var OrgPolicyAddress = fmt.Sprintf("org_policy[%q]", KeyCreationConstraint)

// GatewayKeyConflict is why forbidding keys and --admin-key-file exclude
// each other.
const GatewayKeyConflict = "forbidding service-account keys (iam.disableServiceAccountKeyCreation) contradicts --admin-key-file: " +
	"Hoop's gcp_iam mode signs its token requests with the admin service account's key, which the policy would forbid creating (or rotating). " +
	"Move the gateway to keyless credentials first, then forbid keys without --admin-key-file"

// ExistingKeysWarning is shown with the policy: it forbids new keys only.
const ExistingKeysWarning = "the policy forbids new keys only: keys that exist keep working until they are deleted (fedctl keys prune)"

// EnforceChange reads the project's key-creation policy (the effective one,
// inheritance resolved, and the project's own) and returns the change that
// enforces it on the project: a no-op when it is enforced already.
func EnforceChange(ctx context.Context, c *gcp.Client, project string) (*engine.Change, error) {
	eff, err := c.GetEffectivePolicy(ctx, project, KeyCreationConstraint)
	if err != nil {
		return nil, err
	}
	own, err := c.GetOrgPolicy(ctx, project, KeyCreationConstraint)
	if err != nil {
		return nil, err
	}
	name := "projects/" + project + "/policies/" + KeyCreationConstraint
	after := &engine.OrgPolicyState{Name: name, Constraint: KeyCreationConstraint, Enforced: true}
	ch := &engine.Change{Address: OrgPolicyAddress, Kind: engine.KindOrgPolicy, After: after}
	if own != nil {
		ch.Before = &engine.OrgPolicyState{Name: name, Constraint: KeyCreationConstraint, Enforced: own.Enforced()}
	}
	switch {
	case eff.Enforced() && own != nil && own.Enforced():
		ch.Action, ch.Reason = engine.ActionNoop, "enforced by the project's own policy"
		ch.Before = after
	case eff.Enforced():
		// Inherited from the folder or organization: the project's own
		// policy would make it independent of a later change up there.
		ch.Action, ch.Reason = engine.ActionNoop, "enforced already (inherited from the organization or a folder)"
		ch.Before = after
	case own == nil:
		ch.Action, ch.Reason = engine.ActionCreate, "a project policy enforcing the constraint: no new user-managed keys in "+project
	default:
		ch.Action, ch.Reason = engine.ActionUpdate, "the project's policy now enforces the constraint: no new user-managed keys in "+project
	}
	return ch, nil
}

// PlanEnforce is the plan of `keys enforce`; remaining counts the
// user-managed keys that exist (they keep working).
func PlanEnforce(ctx context.Context, c *gcp.Client, project string, remaining int) (*engine.Plan, error) {
	ch, err := EnforceChange(ctx, c, project)
	if err != nil {
		return nil, err
	}
	p := engine.NewPlan(engine.OpKeysEnforce, project)
	p.Changes = append(p.Changes, ch)
	if ch.Action != engine.ActionNoop {
		w := ExistingKeysWarning
		if remaining > 0 {
			w = fmt.Sprintf("%d user-managed key(s) exist: %s", remaining, ExistingKeysWarning)
		}
		p.Warnings = append(p.Warnings, w)
	}
	return p, nil
}

func applyOrgPolicy(ctx context.Context, c *gcp.Client, project string, ch *engine.Change) error {
	st, _ := ch.After.(*engine.OrgPolicyState)
	if st == nil {
		return fmt.Errorf("%s: no policy", ch.Address)
	}
	return c.SetBooleanPolicy(ctx, project, st.Constraint, st.Enforced)
}
