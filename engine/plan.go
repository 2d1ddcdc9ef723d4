package engine

import (
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// Action is what a Change does to its resource.
type Action string

const (
	ActionCreate Action = "create"
	ActionUpdate Action = "update"
	ActionDelete Action = "delete"
	ActionNoop   Action = "no-op"
)

// Kind is the type of resource a Change is about.
type Kind string

const (
	KindAPI            Kind = "api"
	KindServiceAccount Kind = "service_account"
	KindPolicy         Kind = "iam_policy"
	KindAdminKey       Kind = "service_account_key"
	KindLocalFile      Kind = "local_file"
)

// Operation says which command a plan is for.
type Operation string

const (
	OpSetup    Operation = "setup"
	OpTeardown Operation = "teardown"
)

// Command is the fedctl command line that runs the operation (for the
// plan's heading).
func (o Operation) Command() string {
	switch o {
	case OpAuditEnable:
		return "audit enable"
	case OpAuditSink:
		return "audit sink create"
	case OpKeysPrune:
		return "keys prune"
	case OpKeysEnforce:
		return "keys enforce"
	}
	return string(o)
}

// summaryVerb heads the summary after apply ("Setup complete: …").
func (o Operation) summaryVerb() string {
	switch o {
	case OpTeardown:
		return "Teardown"
	case OpAuditEnable:
		return "Audit logging"
	case OpAuditSink:
		return "Audit sink"
	}
	return "Setup"
}

// noChangesMessage ends a plan with nothing to do.
func (o Operation) noChangesMessage() string {
	switch o {
	case OpTeardown:
		return NothingToRemove
	case OpAuditEnable:
		return "No changes. The Data Access audit logs are already enabled."
	case OpAuditSink:
		return "No changes. The audit log sink is set up."
	}
	return NoChangesMessage
}

// Change is one resource's planned change. Before and After hold one of the
// *State types of states.go (nil for a resource that does not exist before
// or after): *APIState, *ServiceAccountState, *PolicyState, *FileState,
// *PoolState, *ProviderState, *DatasetState, *SinkState, *DatasetAccessState.
type Change struct {
	Address string       `json:"address"`
	Kind    Kind         `json:"kind"`
	Action  Action       `json:"action"`
	Reason  string       `json:"reason,omitempty"`
	Before  any          `json:"before"`
	After   any          `json:"after"`
	Delta   *PolicyDelta `json:"delta,omitempty"`
	// Offboard marks the removal of an identity (SPEC §7.2): its SA is
	// disabled (or deleted) and its bindings removed.
	Offboard bool `json:"offboard,omitempty"`
}

// Counts are a plan's totals by action.
type Counts struct {
	Add     int `json:"add"`
	Change  int `json:"change"`
	Destroy int `json:"destroy"`
	NoOp    int `json:"no_op"`
}

// Plan is what setup or teardown will do: data, rendered by RenderText and
// RenderJSON and executed by Apply.
type Plan struct {
	Operation     Operation
	Project       string
	ProjectNumber string
	Mode          config.Mode
	// Changes holds one entry per managed resource, no-ops included, in
	// the order Apply runs them.
	Changes  []*Change
	Warnings []string
	// Preflight holds the SPEC §7.3 checks' findings (preflight.go); an
	// error among them means the plan must not be applied.
	Preflight []Finding
	// Info are notes that need no action from this plan (oauth members
	// holding the data roles but not in the configuration).
	Info []string

	desired *Desired
	live    *Live
}

// RewriteHints passes every text the plan prints for the operator to act
// on (warnings, notes, preflight fixes) through fn: the command printing
// the plan gives them its invocation's context (fixhint.Invocation), which
// the engine does not know.
func (p *Plan) RewriteHints(fn func(string) string) {
	for i := range p.Warnings {
		p.Warnings[i] = fn(p.Warnings[i])
	}
	for i := range p.Info {
		p.Info[i] = fn(p.Info[i])
	}
	for i := range p.Preflight {
		p.Preflight[i].Fix = fn(p.Preflight[i].Fix)
	}
}

// Desired is the desired state the plan was computed from.
func (p *Plan) Desired() *Desired { return p.desired }

// Live is the live state the plan was computed from.
func (p *Plan) Live() *Live { return p.live }

// Counts totals the plan's changes by action.
func (p *Plan) Counts() Counts {
	var c Counts
	for _, ch := range p.Changes {
		switch ch.Action {
		case ActionCreate:
			c.Add++
		case ActionUpdate:
			c.Change++
		case ActionDelete:
			c.Destroy++
		default:
			c.NoOp++
		}
	}
	return c
}

// HasChanges reports whether applying the plan would change anything.
func (p *Plan) HasChanges() bool {
	c := p.Counts()
	return c.Add+c.Change+c.Destroy > 0
}

// Change returns the change at address, or nil.
func (p *Plan) Change(address string) *Change {
	for _, c := range p.Changes {
		if c.Address == address {
			return c
		}
	}
	return nil
}

// PatternBWarning is printed with any plan that grants Token Creator on the
// project.
const PatternBWarning = "Pattern B (--grant project): the admin service account can impersonate EVERY service account in the project, not only the fedctl users'. Prefer --grant per-user unless you need it."

// KeyFileWarning is printed when setup writes an admin key.
const KeyFileWarning = "--admin-key-file writes a long-lived private key for the admin service account. Keys defeat keyless access; fedctl itself can verify keylessly with --verifier user:YOU instead. Keep the file out of version control and delete it once the gateway holds it."

// diffSetup compares the desired state with the live one.
func diffSetup(d *Desired, live *Live) *Plan {
	p := newPlan(OpSetup, d, live)
	if d.Grant == config.GrantProject {
		p.Warnings = append(p.Warnings, PatternBWarning)
	}

	for _, api := range d.APIs {
		c := &Change{Address: apiAddress(api), Kind: KindAPI, Action: ActionNoop}
		enabled := live.Services[api]
		c.Before = &APIState{Service: api, Enabled: enabled}
		c.After = &APIState{Service: api, Enabled: true}
		if !enabled {
			c.Action, c.Reason = ActionCreate, "required by "+string(d.Mode)+" mode"
			if api == LoggingAPI {
				c.Reason = "required by the audit log sink"
			}
		}
		p.Changes = append(p.Changes, c)
	}

	if d.WIF != nil {
		p.Changes = append(p.Changes, wifChanges(d, live)...)
		if d.WIF.Provider.AttributeCondition == "" {
			p.Warnings = append(p.Warnings, UnconditionedWarning)
		}
		if strings.HasSuffix(d.WIF.Member, "/*") {
			p.Warnings = append(p.Warnings, WildcardWarning)
		}
	}

	for _, sa := range d.ServiceAccounts {
		p.Changes = append(p.Changes, saSetupChange(d, sa, live))
	}
	p.Changes = append(p.Changes, offboardChanges(d, live)...)
	for _, m := range oauthStrays(d, live) {
		u := strings.TrimPrefix(m, "user:")
		p.Info = append(p.Info, fmt.Sprintf("%s holds the data roles but is not in the configuration; oauth marks nothing, so fedctl leaves it: offboard with `fedctl teardown --mode oauth --user %s`.", m, u))
	}

	for _, t := range d.PolicyTargets() {
		p.Changes = append(p.Changes, policyChange(d, live, t, false))
	}

	if d.AdminKeyFile != "" && d.Admin != nil {
		p.Warnings = append(p.Warnings, KeyFileWarning)
		c := &Change{Address: "service_account_key.admin", Kind: KindAdminKey, Action: ActionCreate,
			After:  &FileState{Path: d.AdminKeyFile, Mode: "0600"},
			Reason: "a user-managed key for " + d.Admin.Email + ", written to " + d.AdminKeyFile}
		if _, err := os.Lstat(d.AdminKeyFile); err == nil {
			c.Action = ActionNoop
			c.Before = c.After
			c.Reason = d.AdminKeyFile + " exists: not overwritten and no new key created (delete the file to mint a new key)"
		}
		p.Changes = append(p.Changes, c)
	}
	if d.HoopPolicyFile != "" && hoopProvider(d) != "" {
		p.Changes = append(p.Changes, hoopPolicyChange(d))
		if len(d.MixedCaseUsers) > 0 {
			p.Warnings = append(p.Warnings, HoopCaseWarning(d.MixedCaseUsers))
		}
	}
	if d.Sink != nil {
		changes, warnings := sinkChanges(d, live)
		p.Changes = append(p.Changes, changes...)
		p.Warnings = append(p.Warnings, warnings...)
	}
	return p
}

func newPlan(op Operation, d *Desired, live *Live) *Plan {
	p := &Plan{Operation: op, Project: d.Project, Mode: d.Mode, desired: d, live: live}
	if live.Project != nil {
		p.ProjectNumber = live.Project.Number
	}
	return p
}

// userSAPrefix starts the display name fedctl gives a per-user SA
// ("fedctl: alice@acme.com"); see NewDesired.
const userSAPrefix = "fedctl: "

func saState(sa *ServiceAccountSpec, live *Live) *ServiceAccountState {
	st := &ServiceAccountState{Email: sa.Email, AccountID: sa.AccountID, DisplayName: sa.DisplayName, Users: slices.Clone(sa.Users), Description: sa.Description}
	if l := live.ServiceAccounts[lower(sa.Email)]; l != nil {
		st.DisplayName, st.UniqueID, st.Disabled, st.Description = l.DisplayName, l.UniqueID, l.Disabled, l.Description
	}
	return st
}

// policyChange computes the change of one policy: for setup the managed
// memberships it lacks (and audit log types), for teardown (remove) the
// managed memberships it has.
func policyChange(d *Desired, live *Live, t PolicyTarget, remove bool) *Change {
	ms := d.MembershipsOf(t)
	if remove {
		ms = nil // teardown removes d.Removals only
	}
	rs := d.RemovalsOf(t)
	roles := rolesOf(ms)
	var services []string
	if t.Type == TargetProject {
		for _, a := range d.AuditLogs {
			services = append(services, a.Service)
		}
	}
	cur := live.Policies[t]
	if cur == nil {
		cur = &gcp.Policy{} // a service account that does not exist yet
	}
	work := cur.Clone()
	delta := &PolicyDelta{Untouched: conditionalBindings(cur, roles)}
	for _, m := range ms {
		if work.AddMember(m.Role, m.Member) {
			delta.Add = append(delta.Add, MemberChange{Role: m.Role, Member: m.Member, Why: m.Why})
		}
	}
	for _, r := range rs {
		for _, mc := range applyRemoval(work, r) {
			delta.Remove = append(delta.Remove, mc)
			if !slices.Contains(roles, mc.Role) {
				roles = append(roles, mc.Role)
			}
		}
	}
	delta.Untouched = conditionalBindings(cur, roles)
	if !remove && t.Type == TargetProject {
		for _, a := range d.AuditLogs {
			for _, lt := range a.LogTypes {
				if !work.AuditLogsEnabled(a.Service, lt) {
					work.EnableAuditLogs(a.Service, lt)
					delta.AuditLogsAdd = append(delta.AuditLogsAdd, AuditLogChange{Service: a.Service, LogType: lt})
				}
			}
		}
	}
	c := &Change{Address: t.Address(), Kind: KindPolicy, Action: ActionNoop,
		Before: policyState(cur, roles, services), After: policyState(work, roles, services), Delta: delta}
	if len(delta.Add)+len(delta.Remove)+len(delta.AuditLogsAdd) > 0 {
		c.Action = ActionUpdate
		c.Reason = fmt.Sprintf("%d member(s) added, %d removed, %d audit log type(s) enabled", len(delta.Add), len(delta.Remove), len(delta.AuditLogsAdd))
	}
	return c
}

func rolesOf(ms []Membership) []string {
	var roles []string
	for _, m := range ms {
		if !slices.Contains(roles, m.Role) {
			roles = append(roles, m.Role)
		}
	}
	return roles
}
