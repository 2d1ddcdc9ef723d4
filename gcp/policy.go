package gcp

import (
	"slices"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
)

// AllServices is the audit-config service that stands for every service.
const AllServices = "allServices"

// Policy is an IAM policy, independent of the API that carries it (crm v1
// for projects, iam v1 for service accounts). Conversions to and from both
// are lossless.
type Policy struct {
	Version      int64
	Etag         string
	Bindings     []*Binding
	AuditConfigs []*AuditConfig
}

// Binding grants Role to Members, under Condition when it is non-nil. A
// conditional binding is a different binding from the unconditional one for
// the same role.
type Binding struct {
	Role      string
	Members   []string
	Condition *Condition
}

// Condition is a binding's CEL condition (google.type.Expr).
type Condition struct {
	Title, Description, Expression string
	Location                       string // rarely set; kept for lossless round trips
}

// AuditConfig says which audit logs are on for Service ("allServices" or
// "bigquery.googleapis.com"...).
type AuditConfig struct {
	Service         string
	AuditLogConfigs []*AuditLogConfig
}

// AuditLogConfig turns one log type on (ADMIN_READ, DATA_READ, DATA_WRITE),
// except for the exempted members.
type AuditLogConfig struct {
	LogType         string
	ExemptedMembers []string
}

// Clone is a deep copy.
func (p *Policy) Clone() *Policy {
	if p == nil {
		return nil
	}
	out := &Policy{Version: p.Version, Etag: p.Etag}
	for _, b := range p.Bindings {
		nb := &Binding{Role: b.Role, Members: slices.Clone(b.Members)}
		if b.Condition != nil {
			cond := *b.Condition
			nb.Condition = &cond
		}
		out.Bindings = append(out.Bindings, nb)
	}
	for _, ac := range p.AuditConfigs {
		nac := &AuditConfig{Service: ac.Service}
		for _, lc := range ac.AuditLogConfigs {
			nac.AuditLogConfigs = append(nac.AuditLogConfigs, &AuditLogConfig{LogType: lc.LogType, ExemptedMembers: slices.Clone(lc.ExemptedMembers)})
		}
		out.AuditConfigs = append(out.AuditConfigs, nac)
	}
	return out
}

// AddMember adds member to the unconditional binding for role (creating it)
// and reports whether the policy changed.
func (p *Policy) AddMember(role, member string) bool {
	if p.HasMember(role, member) {
		return false
	}
	for _, b := range p.Bindings {
		if b.Role == role && b.Condition == nil {
			b.Members = append(b.Members, member)
			return true
		}
	}
	p.Bindings = append(p.Bindings, &Binding{Role: role, Members: []string{member}})
	return true
}

// RemoveMember removes member from the unconditional binding(s) for role,
// dropping a binding it leaves empty, and reports whether the policy changed.
// Conditional bindings are never touched.
func (p *Policy) RemoveMember(role, member string) bool {
	changed := false
	kept := p.Bindings[:0]
	for _, b := range p.Bindings {
		if b.Role == role && b.Condition == nil && slices.Contains(b.Members, member) {
			b.Members = slices.DeleteFunc(b.Members, func(m string) bool { return m == member })
			changed = true
			if len(b.Members) == 0 {
				continue
			}
		}
		kept = append(kept, b)
	}
	clear(p.Bindings[len(kept):])
	p.Bindings = kept
	return changed
}

// HasMember reports whether the unconditional binding for role has member.
func (p *Policy) HasMember(role, member string) bool {
	for _, b := range p.Bindings {
		if b.Role == role && b.Condition == nil && slices.Contains(b.Members, member) {
			return true
		}
	}
	return false
}

// EnableAuditLogs turns on logTypes for service (creating its audit config
// if needed), keeping existing exemptions and every other entry, and reports
// whether the policy changed.
func (p *Policy) EnableAuditLogs(service string, logTypes ...string) bool {
	var ac *AuditConfig
	for _, c := range p.AuditConfigs {
		if c.Service == service {
			ac = c
			break
		}
	}
	changed := false
	for _, lt := range dedupe(logTypes) {
		if ac != nil && ac.has(lt) {
			continue
		}
		if ac == nil {
			ac = &AuditConfig{Service: service}
			p.AuditConfigs = append(p.AuditConfigs, ac)
		}
		ac.AuditLogConfigs = append(ac.AuditLogConfigs, &AuditLogConfig{LogType: lt})
		changed = true
	}
	return changed
}

// AuditLogsEnabled reports whether logType is on for service, directly or
// through allServices.
func (p *Policy) AuditLogsEnabled(service, logType string) bool {
	for _, c := range p.AuditConfigs {
		if (c.Service == service || c.Service == AllServices) && c.has(logType) {
			return true
		}
	}
	return false
}

func (ac *AuditConfig) has(logType string) bool {
	for _, lc := range ac.AuditLogConfigs {
		if lc.LogType == logType {
			return true
		}
	}
	return false
}

// The two wire forms of a policy are field-for-field the same shape; these
// converters are written out (rather than round-tripped through JSON) so that
// the compiler checks them.

func policyFromCRM(in *cloudresourcemanager.Policy) *Policy {
	if in == nil {
		return &Policy{}
	}
	p := &Policy{Version: in.Version, Etag: in.Etag}
	for _, b := range in.Bindings {
		nb := &Binding{Role: b.Role, Members: slices.Clone(b.Members)}
		if e := b.Condition; e != nil && e.Title+e.Description+e.Expression+e.Location != "" {
			nb.Condition = &Condition{Title: e.Title, Description: e.Description, Expression: e.Expression, Location: e.Location}
		}
		p.Bindings = append(p.Bindings, nb)
	}
	for _, ac := range in.AuditConfigs {
		nac := &AuditConfig{Service: ac.Service}
		for _, lc := range ac.AuditLogConfigs {
			nac.AuditLogConfigs = append(nac.AuditLogConfigs, &AuditLogConfig{LogType: lc.LogType, ExemptedMembers: slices.Clone(lc.ExemptedMembers)})
		}
		p.AuditConfigs = append(p.AuditConfigs, nac)
	}
	return p
}

func (p *Policy) toCRM() *cloudresourcemanager.Policy {
	out := &cloudresourcemanager.Policy{Version: p.Version, Etag: p.Etag}
	for _, b := range p.Bindings {
		nb := &cloudresourcemanager.Binding{Role: b.Role, Members: slices.Clone(b.Members)}
		if c := b.Condition; c != nil {
			nb.Condition = &cloudresourcemanager.Expr{Title: c.Title, Description: c.Description, Expression: c.Expression, Location: c.Location}
		}
		out.Bindings = append(out.Bindings, nb)
	}
	for _, ac := range p.AuditConfigs {
		nac := &cloudresourcemanager.AuditConfig{Service: ac.Service}
		for _, lc := range ac.AuditLogConfigs {
			nac.AuditLogConfigs = append(nac.AuditLogConfigs, &cloudresourcemanager.AuditLogConfig{LogType: lc.LogType, ExemptedMembers: slices.Clone(lc.ExemptedMembers)})
		}
		out.AuditConfigs = append(out.AuditConfigs, nac)
	}
	return out
}

func policyFromIAM(in *iam.Policy) *Policy {
	if in == nil {
		return &Policy{}
	}
	p := &Policy{Version: in.Version, Etag: in.Etag}
	for _, b := range in.Bindings {
		nb := &Binding{Role: b.Role, Members: slices.Clone(b.Members)}
		if e := b.Condition; e != nil && e.Title+e.Description+e.Expression+e.Location != "" {
			nb.Condition = &Condition{Title: e.Title, Description: e.Description, Expression: e.Expression, Location: e.Location}
		}
		p.Bindings = append(p.Bindings, nb)
	}
	for _, ac := range in.AuditConfigs {
		nac := &AuditConfig{Service: ac.Service}
		for _, lc := range ac.AuditLogConfigs {
			nac.AuditLogConfigs = append(nac.AuditLogConfigs, &AuditLogConfig{LogType: lc.LogType, ExemptedMembers: slices.Clone(lc.ExemptedMembers)})
		}
		p.AuditConfigs = append(p.AuditConfigs, nac)
	}
	return p
}

func (p *Policy) toIAM() *iam.Policy {
	out := &iam.Policy{Version: p.Version, Etag: p.Etag}
	for _, b := range p.Bindings {
		nb := &iam.Binding{Role: b.Role, Members: slices.Clone(b.Members)}
		if c := b.Condition; c != nil {
			nb.Condition = &iam.Expr{Title: c.Title, Description: c.Description, Expression: c.Expression, Location: c.Location}
		}
		out.Bindings = append(out.Bindings, nb)
	}
	for _, ac := range p.AuditConfigs {
		nac := &iam.AuditConfig{Service: ac.Service}
		for _, lc := range ac.AuditLogConfigs {
			nac.AuditLogConfigs = append(nac.AuditLogConfigs, &iam.AuditLogConfig{LogType: lc.LogType, ExemptedMembers: slices.Clone(lc.ExemptedMembers)})
		}
		out.AuditConfigs = append(out.AuditConfigs, nac)
	}
	return out
}
