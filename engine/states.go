package engine

import (
	"slices"

	"github.com/fedctl/fedctl/gcp"
)

// The Before and After of a Change hold one of these, by Kind. They are
// what the JSON rendering shows (field names are the JSON schema's).

// APIState is an api change's state.
type APIState struct {
	Service string `json:"service"`
	Enabled bool   `json:"enabled"`
}

// ServiceAccountState is a service_account change's state.
type ServiceAccountState struct {
	Email       string   `json:"email"`
	AccountID   string   `json:"account_id"`
	DisplayName string   `json:"display_name,omitempty"`
	UniqueID    string   `json:"unique_id,omitempty"`
	Users       []string `json:"users,omitempty"`
	// Description carries the ownership mark (SPEC §7.1).
	Description string `json:"description,omitempty"`
	// Disabled: offboarded (SPEC §7.2).
	Disabled bool `json:"disabled,omitempty"`
	// Ownership: owned, legacy (made by an earlier fedctl), adopted
	// (existed before fedctl: bindings only); "" for one to create.
	Ownership Ownership `json:"ownership,omitempty"`
}

// PolicyState is an iam_policy change's state, limited to what fedctl
// manages there: every binding (conditional ones included) of the roles
// fedctl grants on that policy, and the audit configs of the services it
// enables logs for. Other roles are not shown: they are never touched.
type PolicyState struct {
	Bindings     []BindingState     `json:"bindings"`
	AuditConfigs []AuditConfigState `json:"audit_configs,omitempty"`
}

// BindingState is one binding.
type BindingState struct {
	Role      string          `json:"role"`
	Members   []string        `json:"members"`
	Condition *ConditionState `json:"condition,omitempty"`
}

// ConditionState is a binding's condition.
type ConditionState struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Expression  string `json:"expression"`
}

// AuditConfigState is one auditConfigs entry.
type AuditConfigState struct {
	Service  string   `json:"service"`
	LogTypes []string `json:"log_types"`
}

// FileState is a local_file change's state (the content is never shown: for
// the admin key it is a secret).
type FileState struct {
	Path string `json:"path"`
	Mode string `json:"mode"`
}

// PolicyDelta is what an iam_policy change adds and removes.
type PolicyDelta struct {
	Add          []MemberChange   `json:"add,omitempty"`
	Remove       []MemberChange   `json:"remove,omitempty"`
	AuditLogsAdd []AuditLogChange `json:"audit_logs_add,omitempty"`
	// Untouched are conditional bindings of the managed roles: shown so a
	// reader sees they exist, never modified.
	Untouched []BindingState `json:"untouched,omitempty"`
}

// MemberChange is one member added to or removed from a role's
// unconditional binding.
type MemberChange struct {
	Role   string `json:"role"`
	Member string `json:"member"`
	Why    string `json:"why,omitempty"`
}

// AuditLogChange is one Data Access log type turned on.
type AuditLogChange struct {
	Service string `json:"service"`
	LogType string `json:"log_type"`
}

// policyState projects p onto the roles and audit services fedctl manages.
func policyState(p *gcp.Policy, roles, services []string) *PolicyState {
	st := &PolicyState{Bindings: []BindingState{}}
	if p == nil {
		return st
	}
	for _, b := range p.Bindings {
		if !slices.Contains(roles, b.Role) {
			continue
		}
		bs := BindingState{Role: b.Role, Members: slices.Clone(b.Members)}
		if b.Condition != nil {
			bs.Condition = &ConditionState{Title: b.Condition.Title, Description: b.Condition.Description, Expression: b.Condition.Expression}
		}
		st.Bindings = append(st.Bindings, bs)
	}
	for _, ac := range p.AuditConfigs {
		if !slices.Contains(services, ac.Service) && ac.Service != gcp.AllServices {
			continue
		}
		acs := AuditConfigState{Service: ac.Service, LogTypes: []string{}}
		for _, lc := range ac.AuditLogConfigs {
			acs.LogTypes = append(acs.LogTypes, lc.LogType)
		}
		st.AuditConfigs = append(st.AuditConfigs, acs)
	}
	return st
}

// conditionalBindings lists the conditional bindings of roles in p.
func conditionalBindings(p *gcp.Policy, roles []string) []BindingState {
	var out []BindingState
	for _, b := range policyState(p, roles, nil).Bindings {
		if b.Condition != nil {
			out = append(out, b)
		}
	}
	return out
}
