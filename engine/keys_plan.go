package engine

import "time"

// Plans of `fedctl keys prune` and `keys enforce` (SPEC §7.6): the same
// Plan, rendered by RenderText and RenderJSON, with their own operations and
// resource kinds. The keys package builds and applies them.

const (
	OpKeysPrune   Operation = "keys_prune"
	OpKeysEnforce Operation = "keys_enforce"
)

// KindKey is a service-account key (the kind the admin key of setup has).
const KindKey = KindAdminKey

// KindOrgPolicy is a project's organization policy on one constraint.
const KindOrgPolicy Kind = "org_policy"

// NewPlan is an empty plan of op on project, for the commands that build
// their changes themselves (keys prune, keys enforce).
func NewPlan(op Operation, project string) *Plan {
	return &Plan{Operation: op, Project: project}
}

// KeyState is a service_account_key change's state (metadata only: key
// material is never read).
type KeyState struct {
	Name           string     `json:"name"`
	ServiceAccount string     `json:"service_account"`
	KeyID          string     `json:"key_id"`
	Created        time.Time  `json:"created"`
	Disabled       bool       `json:"disabled"`
	LastUsed       *time.Time `json:"last_used,omitempty"`
}

// OrgPolicyState is an org_policy change's state: the project's own
// policy on a boolean constraint.
type OrgPolicyState struct {
	Name       string `json:"name"`
	Constraint string `json:"constraint"`
	Enforced   bool   `json:"enforced"`
}

func renderKey(tw *errWriter, c *Change, st *KeyState) {
	tw.printf("        service account: %s\n", st.ServiceAccount)
	tw.printf("        created:         %s\n", st.Created.UTC().Format(time.RFC3339))
	if b, ok := c.Before.(*KeyState); ok && c.Action == ActionUpdate {
		tw.printf("        disabled:        %t -> %t\n", b.Disabled, st.Disabled)
	}
}

func renderOrgPolicy(tw *errWriter, c *Change, st *OrgPolicyState) {
	tw.printf("        constraint: %s\n", st.Constraint)
	before := false
	if b, ok := c.Before.(*OrgPolicyState); ok {
		before = b.Enforced
	}
	tw.printf("        enforce:    %t -> %t\n", before, st.Enforced)
}
