package emulator

import (
	"sort"
	"strings"
	"time"
)

// grantKey identifies one grant of a member in a policy, for GrantedAt.
func grantKey(role, member string, cond *Expr) string {
	k := role + "|" + member
	if cond != nil {
		k += "|" + cond.Expression
	}
	return k
}

// memberMatches reports whether a policy member names the caller.
func memberMatches(member string, id *Identity) bool {
	switch {
	case member == id.Principal:
		return true
	case member == "allUsers", member == "allAuthenticatedUsers":
		return true
	case strings.HasPrefix(member, "principalSet://"):
		return principalSetMatches(member, id)
	}
	return false
}

// principalSetMatches implements the principalSet forms for workload identity
// pools: .../workloadIdentityPools/POOL/* and
// .../workloadIdentityPools/POOL/attribute.NAME/VALUE (and group/GROUP).
func principalSetMatches(set string, id *Identity) bool {
	if !strings.HasPrefix(id.Principal, "principal://") {
		return false
	}
	const poolsSeg = "/workloadIdentityPools/"
	setRest := strings.TrimPrefix(set, "principalSet://")
	idRest := strings.TrimPrefix(id.Principal, "principal://")
	si, ii := strings.Index(setRest, poolsSeg), strings.Index(idRest, poolsSeg)
	if si < 0 || ii < 0 || setRest[:si] != idRest[:ii] {
		return false
	}
	setPool, setSel, _ := strings.Cut(setRest[si+len(poolsSeg):], "/")
	idPool, _, _ := strings.Cut(idRest[ii+len(poolsSeg):], "/")
	if setPool != idPool {
		return false
	}
	if setSel == "*" {
		return true
	}
	if name, value, ok := strings.Cut(setSel, "/"); ok {
		if strings.HasPrefix(name, "attribute.") {
			return id.Attributes[name] == value
		}
		if name == "group" {
			return id.Attributes["google.groups"] != "" && containsCSV(id.Attributes["google.groups"], value)
		}
	}
	return false
}

func containsCSV(list, v string) bool {
	for _, x := range strings.Split(list, ",") {
		if x == v {
			return true
		}
	}
	return false
}

// allows reports whether policy p grants permission to the caller, counting
// only grants older than the propagation delay. Conditional bindings never
// grant in the emulator (it evaluates no IAM conditions) — a documented
// simplification that errs on the side of denying.
func (p *Policy) allows(id *Identity, permission string, now time.Time, delay time.Duration) bool {
	return p.allowsR(nil, id, permission, now, delay)
}

// allowsR is allows with custom roles resolved by custom.
func (p *Policy) allowsR(custom roleResolver, id *Identity, permission string, now time.Time, delay time.Duration) bool {
	if p == nil {
		return false
	}
	for _, b := range p.Bindings {
		if b.Condition != nil || !roleHasR(custom, b.Role, permission) {
			continue
		}
		for _, m := range b.Members {
			if !memberMatches(m, id) {
				continue
			}
			if t, ok := p.GrantedAt[grantKey(b.Role, m, nil)]; ok && now.Sub(t) < delay {
				continue // granted, not yet propagated
			}
			return true
		}
	}
	return false
}

// grantedButPending reports whether permission would be granted to id by a
// binding still inside the propagation window (for tests and diagnostics).
func (p *Policy) grantedButPending(id *Identity, permission string, now time.Time, delay time.Duration) bool {
	return p != nil && !p.allows(id, permission, now, delay) && p.allows(id, permission, now, 0)
}

// stampGrants records GrantedAt for grants new in p relative to old, and
// keeps the times of those that stay. Called on every policy write.
func (p *Policy) stampGrants(old *Policy, now time.Time) {
	prev := map[string]time.Time{}
	if old != nil {
		prev = old.GrantedAt
	}
	p.GrantedAt = map[string]time.Time{}
	for _, b := range p.Bindings {
		for _, m := range b.Members {
			k := grantKey(b.Role, m, b.Condition)
			if t, ok := prev[k]; ok {
				p.GrantedAt[k] = t
			} else {
				p.GrantedAt[k] = now
			}
		}
	}
}

// clone deep-copies a policy.
func (p *Policy) clone() *Policy {
	if p == nil {
		return nil
	}
	c := &Policy{Version: p.Version, Etag: p.Etag, GrantedAt: map[string]time.Time{}}
	for k, v := range p.GrantedAt {
		c.GrantedAt[k] = v
	}
	for _, b := range p.Bindings {
		nb := &Binding{Role: b.Role, Members: append([]string(nil), b.Members...)}
		if b.Condition != nil {
			cc := *b.Condition
			nb.Condition = &cc
		}
		c.Bindings = append(c.Bindings, nb)
	}
	for _, a := range p.AuditConfigs {
		na := &AuditConfig{Service: a.Service}
		for _, l := range a.AuditLogConfigs {
			na.AuditLogConfigs = append(na.AuditLogConfigs, &AuditLogConfig{LogType: l.LogType, ExemptedMembers: append([]string(nil), l.ExemptedMembers...)})
		}
		c.AuditConfigs = append(c.AuditConfigs, na)
	}
	return c
}

// dataAccessLogged reports whether the project's auditConfigs turn on logType
// Data Access logs for service (or allServices) for the caller (exemptions
// honoured).
func (p *Policy) dataAccessLogged(service, logType string, caller string) bool {
	if p == nil {
		return false
	}
	for _, ac := range p.AuditConfigs {
		if ac.Service != service && ac.Service != "allServices" {
			continue
		}
		for _, l := range ac.AuditLogConfigs {
			if l.LogType != logType {
				continue
			}
			exempt := false
			for _, m := range l.ExemptedMembers {
				if m == caller {
					exempt = true
				}
			}
			if !exempt {
				return true
			}
		}
	}
	return false
}

// memberCount counts principals across bindings and exemptions (the 1,500 limit).
func (p *Policy) memberCount() int {
	n := 0
	for _, b := range p.Bindings {
		n += len(b.Members)
	}
	for _, a := range p.AuditConfigs {
		for _, l := range a.AuditLogConfigs {
			n += len(l.ExemptedMembers)
		}
	}
	return n
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
