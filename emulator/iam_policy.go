package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// IAM policy semantics shared by every policy-bearing resource (projects in
// cloudresourcemanager, service accounts in iam): gcp-wire §2.3.

// policyWire is google.iam.v1.Policy on the wire: the stored Policy without
// its bookkeeping (GrantedAt).
type policyWire struct {
	Version      int64          `json:"version,omitempty"`
	Etag         string         `json:"etag,omitempty"`
	Bindings     []*Binding     `json:"bindings,omitempty"`
	AuditConfigs []*AuditConfig `json:"auditConfigs,omitempty"`
}

// getIamPolicyRequest is GetIamPolicyRequest (crm; iam sends the version as
// the query parameter options.requestedPolicyVersion instead).
type getIamPolicyRequest struct {
	Options *struct {
		RequestedPolicyVersion int64 `json:"requestedPolicyVersion,omitempty"`
	} `json:"options,omitempty"`
}

// setIamPolicyRequest is SetIamPolicyRequest.
type setIamPolicyRequest struct {
	Policy     *policyWire `json:"policy"`
	UpdateMask string      `json:"updateMask,omitempty"`
}

// permissionsMessage is TestIamPermissionsRequest and its response.
type permissionsMessage struct {
	Permissions []string `json:"permissions,omitempty"`
}

const versionsHelp = "For more information, please refer to https://cloud.google.com/iam/docs/policies#versions."

// maxPolicyMembers is the principal limit of one policy.
const maxPolicyMembers = 1500

func hasConditions(bs []*Binding) bool {
	for _, b := range bs {
		if b.Condition != nil {
			return true
		}
	}
	return false
}

func checkVersion(v int64) error {
	if v != 0 && v != 1 && v != 3 {
		return errBadRequest(fmt.Sprintf("Invalid policy version %d. Valid values are 0, 1 and 3. %s", v, versionsHelp))
	}
	return nil
}

// readPolicy renders the stored policy p for getIamPolicy with the requested
// version. The answer's version is the lowest that can express the policy,
// never above the request: 3 only when conditions exist. A request below 3 on
// a policy with conditions gets each conditional binding's role rewritten to
// ROLE_withcond_HASH with the condition removed, as Google does today. A
// never-set policy (nil) is {"etag":"ACAB"}.
func readPolicy(p *Policy, requested int64) (*policyWire, error) {
	if err := checkVersion(requested); err != nil {
		return nil, err
	}
	if p == nil {
		return &policyWire{Etag: emptyPolicyEtag}, nil
	}
	c := p.clone()
	w := &policyWire{Version: 1, Etag: c.Etag, Bindings: c.Bindings, AuditConfigs: c.AuditConfigs}
	if !hasConditions(c.Bindings) {
		return w, nil
	}
	if requested >= 3 {
		w.Version = 3
		return w, nil
	}
	for _, b := range w.Bindings {
		if b.Condition != nil {
			b.Role += "_withcond_" + conditionHash(b.Role, b.Condition)
			b.Condition = nil
		}
	}
	return w, nil
}

// conditionHash is the 20 hex digits of a _withcond_ role suffix; stable for
// one role and condition.
func conditionHash(role string, e *Expr) string {
	h := sha256.Sum256([]byte(role + "\x00" + e.Expression + "\x00" + e.Title + "\x00" + e.Description + "\x00" + e.Location))
	return hex.EncodeToString(h[:10])
}

// updateMask is the parsed SetIamPolicyRequest.updateMask.
type updateMask struct{ bindings, auditConfigs bool }

func parseUpdateMask(s string) (updateMask, error) {
	if strings.TrimSpace(s) == "" {
		return updateMask{bindings: true}, nil // Google's default: "bindings,etag"
	}
	var m updateMask
	for _, f := range strings.Split(s, ",") {
		switch strings.TrimSpace(f) {
		case "bindings":
			m.bindings = true
		case "auditConfigs", "audit_configs":
			m.auditConfigs = true
		case "etag", "version":
		default:
			return m, errBadRequest(fmt.Sprintf("Invalid field mask path %q. Valid paths are bindings, etag and auditConfigs.", strings.TrimSpace(f)))
		}
	}
	return m, nil
}

// writePolicy validates a setIamPolicy request against the stored policy cur
// (nil: never set) and returns the policy to store: fields outside the
// update mask kept, a new etag, version 3 exactly when conditions exist and
// grant times stamped for the propagation delay. auditable is false for
// resources whose policies have no auditConfigs (service accounts).
func (c *call) writePolicy(cur *Policy, req *setIamPolicyRequest, auditable bool) (*Policy, error) {
	in := req.Policy
	if in == nil {
		return nil, errBadRequest("Request contains an invalid argument.")
	}
	mask, err := parseUpdateMask(req.UpdateMask)
	if err != nil {
		return nil, err
	}
	curEtag := emptyPolicyEtag
	if cur != nil {
		curEtag = cur.Etag
	}
	if in.Etag != "" && !etagsEqual(in.Etag, curEtag) {
		return nil, errAborted()
	}
	if err := checkVersion(in.Version); err != nil {
		return nil, err
	}
	// A conditional write (etag given) from a client that only speaks
	// version 1 must not silently drop the stored conditions.
	if in.Etag != "" && in.Version < 3 && cur != nil && hasConditions(cur.Bindings) {
		return nil, errBadRequest(fmt.Sprintf("Specified policy version (%d) cannot be less than the existing policy version (3). %s", max(in.Version, 1), versionsHelp))
	}
	if in.Version < 3 && hasConditions(in.Bindings) {
		return nil, errBadRequest(fmt.Sprintf("Specified policy version (%d) does not support conditional role bindings; set the policy version to 3. %s", max(in.Version, 1), versionsHelp))
	}

	next := cur.clone()
	if next == nil {
		next = &Policy{}
	}
	if mask.bindings {
		if err := c.checkBindings(in.Bindings); err != nil {
			return nil, err
		}
		next.Bindings = normalizeBindings(in.Bindings)
	}
	if mask.auditConfigs {
		if len(in.AuditConfigs) > 0 && !auditable {
			return nil, errBadRequest("Audit configs are not supported on this resource.")
		}
		if err := checkAuditConfigs(in.AuditConfigs); err != nil {
			return nil, err
		}
		next.AuditConfigs = cloneAuditConfigs(in.AuditConfigs)
	}
	if n := next.memberCount(); n > maxPolicyMembers {
		return nil, errBadRequest(fmt.Sprintf("The number of members in the policy (%s) is larger than the maximum allowed size %s.", withThousands(n), withThousands(maxPolicyMembers)))
	}
	next.Version = 1
	if hasConditions(next.Bindings) {
		next.Version = 3
	}
	next.Etag = newEtag()
	next.stampGrants(cur, c.now)
	return next, nil
}

// checkBindings validates roles, members and conditions of a policy being
// written, including that service accounts of this emulated world exist
// (and are visible yet: gcp-wire §10.3.2).
func (c *call) checkBindings(bs []*Binding) error {
	for _, b := range bs {
		if b == nil {
			return errBadRequest("Request contains an invalid argument.")
		}
		if err := checkRole(b.Role); err != nil {
			return err
		}
		if err := c.checkCustomRoleExists(b.Role); err != nil {
			return err
		}
		if b.Condition != nil && strings.TrimSpace(b.Condition.Expression) == "" {
			return errBadRequest(fmt.Sprintf("Condition of the binding for role %s has an empty expression.", b.Role))
		}
		for _, m := range b.Members {
			if err := checkMember(m); err != nil {
				return err
			}
			if err := c.checkServiceAccountMember(m); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkRole(role string) error {
	ok := false
	switch {
	case strings.HasPrefix(role, "roles/"):
		ok = len(role) > len("roles/")
	case strings.HasPrefix(role, "projects/"), strings.HasPrefix(role, "organizations/"):
		parts := strings.Split(role, "/")
		ok = len(parts) == 4 && parts[1] != "" && parts[2] == "roles" && parts[3] != ""
	}
	if !ok || strings.Contains(role, "_withcond_") {
		return errBadRequest(fmt.Sprintf("Role %s is not supported for this resource.", role))
	}
	return nil
}

// checkMember validates a member's syntax (Binding.members in the discovery
// document). The exact production message for a bad value is unverified.
func checkMember(m string) error {
	if m == "allUsers" || m == "allAuthenticatedUsers" {
		return nil
	}
	typ, val, ok := strings.Cut(m, ":")
	if !ok || val == "" {
		return errBadRequest(`Policy members must be of the form "<type>:<value>".`)
	}
	valid := false
	switch typ {
	case "user", "group":
		valid = looksLikeEmail(val)
	case "serviceAccount":
		// SA emails, and GKE Workload Identity KSAs PROJECT.svc.id.goog[ns/ksa].
		valid = looksLikeEmail(val) || (strings.Contains(val, ".svc.id.goog[") && strings.HasSuffix(val, "]"))
	case "domain":
		valid = strings.Contains(val, ".") && !strings.ContainsAny(val, "@/ ")
	case "principal", "principalSet":
		rest, ok := strings.CutPrefix(val, "//iam.googleapis.com/")
		valid = ok && strings.Count(rest, "/") >= 3
	case "deleted":
		base, uid, ok := strings.Cut(val, "?uid=")
		inner, email, ok2 := strings.Cut(base, ":")
		valid = ok && ok2 && allDigits(uid) && looksLikeEmail(email) &&
			(inner == "user" || inner == "group" || inner == "serviceAccount")
	default:
		return errBadRequest(`Policy members must be of the form "<type>:<value>".`)
	}
	if !valid {
		return errBadRequest(fmt.Sprintf("Invalid member %q.", m))
	}
	return nil
}

func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " /:") && !strings.Contains(domain, "@")
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// checkServiceAccountMember rejects serviceAccount:EMAIL members naming a
// service account of an emulated project that does not exist or is not
// visible yet. SAs of projects outside this world (Google's service agents,
// other customers) are accepted, as their existence cannot be known.
func (c *call) checkServiceAccountMember(m string) error {
	email, ok := strings.CutPrefix(m, "serviceAccount:")
	if !ok {
		return nil
	}
	pid, ok := saProjectOf(email)
	if !ok {
		return nil
	}
	p := c.st.Projects[pid]
	if p == nil {
		return nil
	}
	if sa := p.ServiceAccounts[email]; sa != nil && c.saVisible(sa) {
		return nil
	}
	return errBadRequest(fmt.Sprintf("Service account %s does not exist.", email))
}

// saProjectOf returns the project ID of a user-managed SA email
// (ID@PROJECT.iam.gserviceaccount.com; domain-scoped
// ID@PROJ.DOMAIN.iam.gserviceaccount.com is DOMAIN:PROJ).
func saProjectOf(email string) (string, bool) {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return "", false
	}
	proj, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok || proj == "" {
		return "", false
	}
	if name, dom, scoped := strings.Cut(proj, "."); scoped {
		return dom + ":" + name, true
	}
	return proj, true
}

var logTypes = map[string]bool{"ADMIN_READ": true, "DATA_READ": true, "DATA_WRITE": true}

func checkAuditConfigs(acs []*AuditConfig) error {
	for _, ac := range acs {
		if ac == nil || ac.Service == "" {
			return errBadRequest("Audit config service must not be empty.")
		}
		for _, l := range ac.AuditLogConfigs {
			if l == nil || !logTypes[l.LogType] {
				lt := ""
				if l != nil {
					lt = l.LogType
				}
				return errBadRequest(fmt.Sprintf("Invalid log type %q for service %s.", lt, ac.Service))
			}
			for _, m := range l.ExemptedMembers {
				if err := checkMember(m); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func cloneAuditConfigs(acs []*AuditConfig) []*AuditConfig {
	return (&Policy{AuditConfigs: acs}).clone().AuditConfigs
}

// normalizeBindings is what Google stores for a written binding list:
// bindings of the same role and condition merged, members deduplicated, and
// bindings left without members dropped.
func normalizeBindings(in []*Binding) []*Binding {
	var out []*Binding
	idx := map[string]*Binding{}
	for _, b := range (&Policy{Bindings: in}).clone().Bindings {
		k := grantKey(b.Role, "", b.Condition)
		if b.Condition != nil {
			k += "|" + b.Condition.Title + "|" + b.Condition.Description
		}
		into := idx[k]
		if into == nil {
			into = &Binding{Role: b.Role, Condition: b.Condition}
			idx[k] = into
			out = append(out, into)
		}
		for _, m := range b.Members {
			if !slices.Contains(into.Members, m) {
				into.Members = append(into.Members, m)
			}
		}
	}
	kept := out[:0]
	for _, b := range out {
		if len(b.Members) > 0 {
			kept = append(kept, b)
		}
	}
	return kept
}

// withThousands formats n with comma separators, as Google's messages do.
func withThousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// heldPermissions answers testIamPermissions: those of perms that any of the
// policies (the resource's own and its ancestors') grants the caller, after
// the propagation delay.
func (c *call) heldPermissions(perms []string, policies ...*Policy) (*permissionsMessage, error) {
	id, err := c.caller()
	if err != nil {
		return nil, err
	}
	out := &permissionsMessage{}
	roles := c.customRoles()
	for _, perm := range perms {
		if strings.ContainsAny(perm, "*") {
			return nil, errBadRequest(fmt.Sprintf("Permissions ('%s') with wildcards (such as '*') are not allowed.", perm))
		}
		for _, p := range policies {
			if p.allowsR(roles, id, perm, c.now, c.s.opts.PropagationDelay) {
				out.Permissions = append(out.Permissions, perm)
				break
			}
		}
	}
	return out, nil
}

// renameMember replaces member from with to throughout p (bindings, audit
// exemptions and grant times). Used when a service account is deleted
// (serviceAccount:E → deleted:serviceAccount:E?uid=N) or undeleted.
func (p *Policy) renameMember(from, to string) {
	if p == nil {
		return
	}
	for _, b := range p.Bindings {
		for i, m := range b.Members {
			if m == from {
				b.Members[i] = to
				old := grantKey(b.Role, from, b.Condition)
				if t, ok := p.GrantedAt[old]; ok {
					delete(p.GrantedAt, old)
					p.GrantedAt[grantKey(b.Role, to, b.Condition)] = t
				}
			}
		}
	}
	for _, a := range p.AuditConfigs {
		for _, l := range a.AuditLogConfigs {
			for i, m := range l.ExemptedMembers {
				if m == from {
					l.ExemptedMembers[i] = to
				}
			}
		}
	}
}

// renameMemberEverywhere renames a member in every project and service
// account policy of the world. Etags are unchanged: Google resolves deleted
// principals when rendering, it does not rewrite the stored policy.
func (st *State) renameMemberEverywhere(from, to string) {
	for _, p := range st.Projects {
		p.Policy.renameMember(from, to)
		for _, sa := range p.ServiceAccounts {
			sa.Policy.renameMember(from, to)
		}
	}
}
