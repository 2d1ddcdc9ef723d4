package engine

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// Ownership (SPEC §7.1): what a federation owns is what carries its mark;
// a resource that existed before fedctl touched it is adopted (fedctl adds
// bindings to it, never marks, disables or deletes it); a resource marked
// by another federation, or an SA marked for another user, is refused.

// Ownership says how a live resource relates to the federation.
type Ownership string

const (
	Owned   Ownership = "owned"   // carries this federation's mark
	Legacy  Ownership = "legacy"  // made by fedctl before marks: owned, re-marked on setup
	Adopted Ownership = "adopted" // existed before fedctl: bindings only
	Foreign Ownership = "foreign" // another federation's, or another user's
)

// OffboardSpec is an identity to offboard (SPEC §7.2): its bindings are
// removed and its SA disabled, or deleted with Delete.
type OffboardSpec struct {
	Address  string
	User     string // the person, "" for a non-user SA
	Email    string // the SA ("" in oauth mode: user:EMAIL has no SA)
	UniqueID string
	// Delete also deletes the SA (teardown, --delete); otherwise it is
	// disabled.
	Delete bool
	// Disabled: the SA is already disabled (an earlier offboarding).
	Disabled bool
}

// Removal is a policy member to remove: from the unconditional bindings of
// Roles, or of every role when Roles is nil (an identity the federation
// owns loses every binding naming it).
type Removal struct {
	Target PolicyTarget
	Member string
	Roles  []string
	Why    string
}

// OwnershipError is setup's refusal to take over a resource another
// federation owns, or an SA marked for another user. It is raised while
// planning, before any write.
type OwnershipError struct {
	Problems []string
	// FixText is the fix, worded for the plain invocation (the command
	// printing it adds its context: fixhint.Invocation.Contextualize).
	FixText string
}

// Fix is the fix printed with the refusal.
func (e *OwnershipError) Fix() string { return e.FixText }

func (e *OwnershipError) Error() string {
	if len(e.Problems) == 1 {
		return "refusing to take over a resource fedctl does not own here: " + e.Problems[0]
	}
	return "refusing to take over resources fedctl does not own here:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// ownerOf classifies a live SA against the desired spec sa (nil for an SA
// found by listing) for federation name; why explains Foreign.
func ownerOf(name string, l *gcp.ServiceAccount, sa *ServiceAccountSpec) (o Ownership, m Mark, why string) {
	if m, ok := ParseMark(l.Description); ok {
		if m.Federation != name {
			return Foreign, m, fmt.Sprintf("%s belongs to federation %q (its description says %q)", l.Email, m.Federation, m.String())
		}
		if sa != nil && sa.Kind == SAUser && len(sa.Users) == 1 && !strings.EqualFold(m.User, sa.Users[0]) {
			who := m.User
			if who == "" {
				who = "its " + m.Kind + " identity"
			}
			return Foreign, m, fmt.Sprintf("%s was made by federation %q for %s, not %s", l.Email, m.Federation, who, sa.Users[0])
		}
		return Owned, m, ""
	}
	if user, kind, ok := legacyOwner(l.Description); ok {
		m := Mark{Federation: config.DefaultName, User: user, Kind: kind}
		if sa != nil && sa.Kind == SAUser && len(sa.Users) == 1 && user != "" && !strings.EqualFold(user, sa.Users[0]) {
			return Foreign, m, fmt.Sprintf("%s was made by an earlier fedctl for %s, not %s", l.Email, user, sa.Users[0])
		}
		if name != config.DefaultName {
			// Made before names existed, i.e. by federation "fedctl".
			return Foreign, m, fmt.Sprintf("%s was made by an earlier fedctl (federation %q)", l.Email, config.DefaultName)
		}
		return Legacy, m, ""
	}
	return Adopted, Mark{}, ""
}

// ownershipFix is the fix printed with a refusal; owners are the other
// federations owning what was refused (none: another user's SA of this
// federation, which only other names avoid).
func ownershipFix(d *Desired, owners []string) string {
	var fix string
	if d.Mode == config.ModeImpersonation {
		fix = "give this setup its own service accounts (--template with a different prefix such as \"acme-{user.email}@{project}.iam.gserviceaccount.com\", and --admin-sa)"
	} else {
		fix = "use another federation's resources only through that federation: give this setup its own names (--template with a different prefix, --admin-sa, --target-sa, --pool)"
	}
	if len(owners) == 0 {
		return fix
	}
	var names, teardowns []string
	for _, o := range owners {
		names = append(names, "--name "+fixhint.Quote(o))
		teardowns = append(teardowns, "fedctl teardown --name "+fixhint.Quote(o))
	}
	return fix + ", pass the owning federation's " + strings.Join(names, " or ") + ", or tear the other down first (" + strings.Join(teardowns, "; ") + ")"
}

// addOwner adds the federation name to owners once.
func addOwner(owners []string, name string) []string {
	if slices.Contains(owners, name) {
		return owners
	}
	return append(owners, name)
}

// checkOwnership refuses, before any write, desired resources that exist
// and belong to another federation or another user (SPEC §7.1).
func checkOwnership(d *Desired, live *Live) error {
	var problems, owners []string
	for _, sa := range d.ServiceAccounts {
		l := live.ServiceAccounts[lower(sa.Email)]
		if l == nil {
			continue
		}
		if o, m, why := ownerOf(d.Name, l, sa); o == Foreign {
			problems = append(problems, why)
			if m.Federation != d.Name {
				owners = addOwner(owners, m.Federation)
			}
		}
	}
	if d.WIF != nil {
		if live.Pool != nil {
			if m, ok := ParseMark(live.Pool.Description); ok && m.Federation != d.Name {
				problems = append(problems, fmt.Sprintf("pool %s belongs to federation %q", d.WIF.PoolID, m.Federation))
				owners = addOwner(owners, m.Federation)
			}
		}
		if live.Provider != nil {
			if m, ok := ParseMark(live.Provider.Description); ok && m.Federation != d.Name {
				problems = append(problems, fmt.Sprintf("provider %s belongs to federation %q", d.WIF.ProviderID, m.Federation))
				owners = addOwner(owners, m.Federation)
			}
		}
	}
	if d.Sink != nil && live.Sink != nil {
		if m, ok := ParseMark(live.Sink.Description); ok && m.Federation != d.Name {
			problems = append(problems, fmt.Sprintf("log sink %s belongs to federation %q", d.Sink.Name, m.Federation))
			owners = addOwner(owners, m.Federation)
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &OwnershipError{Problems: problems, FixText: ownershipFix(d, owners)}
}

// offboardStrays offboards (disables, or deletes with del) the per-user
// SAs federation d.Name owns that the configuration no longer lists
// (impersonation), in email order.
func offboardStrays(d *Desired, live *Live, del bool) {
	if d.Mode != config.ModeImpersonation {
		return
	}
	type stray struct {
		sa   *gcp.ServiceAccount
		user string
	}
	var out []stray
	for email, l := range live.ServiceAccounts {
		if d.serviceAccountFold(email) != nil {
			continue
		}
		o, m, _ := ownerOf(d.Name, l, nil)
		if (o == Owned || o == Legacy) && m.User != "" {
			out = append(out, stray{l, m.User})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].sa.Email < out[j].sa.Email })
	for _, s := range out {
		d.offboard(s.sa, s.user, del)
	}
}

func (d *Desired) serviceAccountFold(email string) *ServiceAccountSpec {
	for _, sa := range d.ServiceAccounts {
		if strings.EqualFold(sa.Email, email) {
			return sa
		}
	}
	return nil
}

// offboard adds the offboarding of the owned SA l (for user) to d: every
// unconditional project binding naming it, the admin's Token Creator on
// it, and the SA disabled (or deleted with del). An SA already disabled
// with nothing left to remove is still recorded, so that --delete can
// complete it.
func (d *Desired) offboard(l *gcp.ServiceAccount, user string, del bool) {
	member := ServiceAccountMember(l.Email)
	d.Offboards = append(d.Offboards, &OffboardSpec{
		Address: fmt.Sprintf("service_account.user[%q]", user), User: user,
		Email: l.Email, UniqueID: l.UniqueID, Delete: del, Disabled: l.Disabled,
	})
	d.Removals = append(d.Removals, Removal{Target: ProjectTarget(d.Project), Member: member, Why: "offboarded: " + user})
	if d.Admin != nil && !del {
		// A deleted SA's own policy goes with it; a disabled one keeps it.
		d.Removals = append(d.Removals, Removal{Target: ServiceAccountTarget(l.Email), Member: ServiceAccountMember(d.Admin.Email),
			Roles: []string{RoleTokenCreator}, Why: "offboarded: " + user})
	}
}

// RemovalsOf returns the removals on target, in Desired order.
func (d *Desired) RemovalsOf(t PolicyTarget) []Removal {
	var out []Removal
	for _, r := range d.Removals {
		if r.Target == t {
			out = append(out, r)
		}
	}
	return out
}

// Offboard returns the offboarding at address, or nil.
func (d *Desired) Offboard(address string) *OffboardSpec {
	for _, o := range d.Offboards {
		if o.Address == address {
			return o
		}
	}
	return nil
}

// applyRemoval removes r from p and returns the member changes made.
func applyRemoval(p *gcp.Policy, r Removal) []MemberChange {
	var out []MemberChange
	roles := r.Roles
	if roles == nil {
		for _, b := range p.Bindings {
			if b.Condition == nil && slices.Contains(b.Members, r.Member) && !slices.Contains(roles, b.Role) {
				roles = append(roles, b.Role)
			}
		}
	}
	for _, role := range roles {
		if p.RemoveMember(role, r.Member) {
			out = append(out, MemberChange{Role: role, Member: r.Member, Why: r.Why})
		}
	}
	return out
}

// mergedVerifiers is the admin mark's verifiers: those recorded live plus
// the configured one (setup never forgets a verifier whose binding the
// federation still owns).
func mergedVerifiers(live Mark, configured string) []string {
	out := slices.Clone(live.Verifiers)
	if configured != "" && !slices.Contains(out, configured) {
		out = append(out, configured)
	}
	return out
}

// prepareSetup completes setup's desired state from the listing: the admin
// mark keeps the verifiers recorded live, and every per-user SA the
// federation owns that the configuration no longer lists is offboarded
// (disabled, its bindings removed: terraform's model, SPEC §7.1).
func prepareSetup(d *Desired, live *Live) error {
	if d.Admin != nil {
		if l := live.ServiceAccounts[lower(d.Admin.Email)]; l != nil {
			if o, m, _ := ownerOf(d.Name, l, d.Admin); o == Owned {
				vs := mergedVerifiers(m, d.Verifier)
				if err := d.describe(d.Admin, "Mints short-lived tokens for the per-user service accounts.", Mark{Kind: MarkAdmin, Verifiers: vs}); err != nil {
					return err
				}
			}
		}
	}
	offboardStrays(d, live, false)
	return nil
}

// prepareTeardown: teardown removes what the federation owns, so every
// SA it owns that the configuration does not name goes too: per-user ones
// no longer listed, and an admin, shared or target SA of another ID (so
// that `teardown --name NAME` alone finds the whole federation).
func prepareTeardown(d *Desired, live *Live) error {
	offboardStrays(d, live, true)
	mode := d.Mode
	if mode == "" {
		mode = config.DefaultMode
	}
	var others []*gcp.ServiceAccount
	for email, l := range live.ServiceAccounts {
		if d.serviceAccountFold(email) != nil {
			continue
		}
		// Only the accounts this mode makes: under one name (the default
		// "fedctl" most of all) a project may hold an impersonation and a
		// wif federation, and tearing down one must not delete the other's
		// admin or target SA.
		if m, ok := ParseMark(l.Description); ok && m.Federation == d.Name && m.User == "" && m.Mode == mode {
			others = append(others, l)
		}
	}
	sort.Slice(others, func(i, j int) bool { return others[i].Email < others[j].Email })
	for _, l := range others {
		d.Offboards = append(d.Offboards, &OffboardSpec{Address: fmt.Sprintf("service_account[%q]", l.Email),
			Email: l.Email, UniqueID: l.UniqueID, Delete: true, Disabled: l.Disabled})
		d.Removals = append(d.Removals, Removal{Target: ProjectTarget(d.Project), Member: ServiceAccountMember(l.Email), Why: "owned by federation " + d.Name})
	}
	return nil
}

// oauthStrays lists, for oauth mode, the user: members that hold every
// data role of the configuration on the project but are not in it: oauth
// creates nothing to mark, so they are only reported (SPEC §7.1), and
// removed by an explicit teardown --user.
func oauthStrays(d *Desired, live *Live) []string {
	if d.Mode != config.ModeOAuth || len(d.Roles) == 0 {
		return nil
	}
	pol := live.Policies[ProjectTarget(d.Project)]
	if pol == nil {
		return nil
	}
	listed := map[string]bool{}
	for _, m := range d.Memberships {
		listed[m.Member] = true
	}
	var out []string
	for _, b := range pol.Bindings {
		if b.Role != d.Roles[0] || b.Condition != nil {
			continue
		}
		for _, m := range b.Members {
			if !strings.HasPrefix(m, "user:") || listed[m] || slices.Contains(out, m) {
				continue
			}
			if !slices.ContainsFunc(d.Roles[1:], func(r string) bool { return !pol.HasMember(r, m) }) {
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out
}
