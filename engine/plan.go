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

	desired *Desired
	live    *Live
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
		after := saState(sa, live)
		c := &Change{Address: sa.Address, Kind: KindServiceAccount, Action: ActionNoop, After: after}
		switch {
		case live.Exists(sa.Email):
			c.Before = after
			if w := foreignIdentityWarning(sa, live); w != "" {
				p.Warnings = append(p.Warnings, w)
			}
		case live.ServiceAccountsUnknown:
			c.Action = ActionCreate
			c.Reason = "IAM API still off: accounts not listed yet (an existing one is adopted)"
		default:
			c.Action = ActionCreate
		}
		p.Changes = append(p.Changes, c)
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

// foreignIdentityWarning: an existing per-user SA that fedctl made for
// someone else. Two users whose emails share a local part (alice@acme.com,
// alice@example.com) render the same SA ID; within one user list preflight
// refuses that, but across separate setups in one project only the SA's
// display name tells. Adopting it would merge two people's audit trails.
func foreignIdentityWarning(sa *ServiceAccountSpec, live *Live) string {
	l := live.ServiceAccounts[lower(sa.Email)]
	if l == nil || len(sa.Users) != 1 || !strings.HasPrefix(l.DisplayName, userSAPrefix) {
		return ""
	}
	owner := strings.TrimPrefix(l.DisplayName, userSAPrefix)
	if strings.EqualFold(owner, sa.Users[0]) {
		return ""
	}
	return fmt.Sprintf("%s was created by fedctl for %s, not %s: both would act through one service account and one audit trail. "+
		"Give one of the setups its own --template (e.g. a prefix naming the team or domain).", sa.Email, owner, sa.Users[0])
}

func saState(sa *ServiceAccountSpec, live *Live) *ServiceAccountState {
	st := &ServiceAccountState{Email: sa.Email, AccountID: sa.AccountID, DisplayName: sa.DisplayName, Users: slices.Clone(sa.Users)}
	if l := live.ServiceAccounts[lower(sa.Email)]; l != nil {
		st.DisplayName, st.UniqueID = l.DisplayName, l.UniqueID
	}
	return st
}

// policyChange computes the change of one policy: for setup the managed
// memberships it lacks (and audit log types), for teardown (remove) the
// managed memberships it has.
func policyChange(d *Desired, live *Live, t PolicyTarget, remove bool) *Change {
	ms := d.MembershipsOf(t)
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
		mc := MemberChange{Role: m.Role, Member: m.Member, Why: m.Why}
		if remove {
			if work.RemoveMember(m.Role, m.Member) {
				delta.Remove = append(delta.Remove, mc)
			}
		} else if work.AddMember(m.Role, m.Member) {
			delta.Add = append(delta.Add, mc)
		}
	}
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
