package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/lazyregexp"
)

// --data-role-bundle: one project custom role holding the union of the
// data roles' permissions, bound once per identity instead of each role,
// so that the project policy stays under Google's 1,500 principals. It is
// created (or undeleted), updated and torn down like any resource.

// KindCustomRole is a project custom role fedctl manages.
const KindCustomRole Kind = "custom_role"

// DefaultDataRoleBundle is the bundle's role ID when --data-role-bundle is
// given without one.
const DefaultDataRoleBundle = "fedctlDataRoles"

var customRoleIDRE = lazyregexp.New(`^[a-zA-Z0-9_.]{3,64}$`)

// ValidCustomRoleID reports whether id is a valid custom role ID (IAM:
// letters, digits, underscores and periods, 3 to 64 characters).
func ValidCustomRoleID(id string) bool { return customRoleIDRE.MatchString(id) }

// BundleRoleName is the full name of the bundle role in project.
func BundleRoleName(project, id string) string { return "projects/" + project + "/roles/" + id }

// RoleBundleSpec is the desired bundle role.
type RoleBundleSpec struct {
	ID   string
	Name string // projects/P/roles/ID
	// Roles are the data roles it merges; Permissions their union, known
	// once the plan has read the roles (roles.get).
	Roles       []string
	Permissions []string

	live *gcp.Role // as the plan read it (nil: absent)
}

// CustomRoleState is a custom role in a plan.
type CustomRoleState struct {
	Name        string   `json:"name"`
	Roles       []string `json:"merges,omitempty"`
	Permissions []string `json:"permissions"`
	Deleted     bool     `json:"deleted,omitempty"`
}

const bundleAddress = "custom_role.data_roles"

// rolePermissions reads what each role grants (roles.get, custom roles
// included). A role that cannot be read is reported in errs.
func (e *Engine) rolePermissions(ctx context.Context, roles []string) (map[string][]string, map[string]error) {
	out, errs := map[string][]string{}, map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range roles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var role *gcp.Role
			err := e.call(ctx, func() (err error) {
				role, err = e.c.GetRole(ctx, r)
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[r] = err
				return
			}
			out[r] = role.Permissions
		}()
	}
	wg.Wait()
	return out, errs
}

// planBundle adds the bundle role's change to a setup plan: create (or
// undelete) it, or update its permissions to the union of the data roles'.
func (e *Engine) planBundle(ctx context.Context, p *Plan) error {
	b := p.desired.Bundle
	if b == nil {
		return nil
	}
	perms, errs := e.rolePermissions(ctx, b.Roles)
	if len(errs) > 0 {
		var msgs []string
		for _, r := range b.Roles {
			if err := errs[r]; err != nil {
				msgs = append(msgs, err.Error())
			}
		}
		return fmt.Errorf("--data-role-bundle needs each data role's permissions: %s", strings.Join(msgs, "; "))
	}
	union := map[string]bool{}
	for _, r := range b.Roles {
		for _, perm := range perms[r] {
			union[perm] = true
		}
	}
	b.Permissions = b.Permissions[:0]
	for perm := range union {
		b.Permissions = append(b.Permissions, perm)
	}
	slices.Sort(b.Permissions)
	after := &CustomRoleState{Name: b.Name, Roles: b.Roles, Permissions: b.Permissions}
	c := &Change{Address: bundleAddress, Kind: KindCustomRole, Action: ActionCreate, After: after,
		Reason: fmt.Sprintf("merges %s into one role bound once per identity (%d permissions)", strings.Join(b.Roles, ", "), len(b.Permissions))}
	cur, err := e.c.GetRole(ctx, b.Name)
	switch {
	case gcp.IsNotFound(err), gcp.KindOf(err) == gcp.KindServiceDisabled:
		// Absent (with the IAM API off, nothing of IAM exists yet).
	case err != nil:
		return err
	default:
		// Ownership (SPEC §7.1): only a role this federation marked is
		// updated (or undeleted); another federation's, or one made by
		// hand, is refused before any write.
		if m, ok := ParseMark(cur.Description); !ok || m.Federation != p.desired.Name {
			owner := "it was not made by fedctl"
			if ok {
				owner = fmt.Sprintf("it belongs to federation %q", m.Federation)
			}
			return &OwnershipError{Problems: []string{fmt.Sprintf("custom role %s exists and %s\n    fix: pass another --data-role-bundle ID", b.Name, owner)}}
		}
		b.live = cur
		before := &CustomRoleState{Name: b.Name, Permissions: cur.Permissions, Deleted: cur.Deleted}
		c.Before = before
		switch {
		case cur.Deleted:
			c.Action, c.Reason = ActionUpdate, "undeleted (deleted by an earlier teardown) and "+c.Reason
		case slices.Equal(sortedCopy(cur.Permissions), b.Permissions) && cur.Description == bundleDescription(p.desired):
			c.Action, c.Reason = ActionNoop, ""
		default:
			c.Action, c.Reason = ActionUpdate, "permissions set to the union of "+strings.Join(b.Roles, ", ")
		}
	}
	p.Changes = insertAfterAPIs(p.Changes, c)
	return nil
}

// planBundleTeardown removes the bundle role (soft delete) when it exists.
func (e *Engine) planBundleTeardown(ctx context.Context, p *Plan) error {
	b := p.desired.Bundle
	if b == nil {
		return nil
	}
	cur, err := e.c.GetRole(ctx, b.Name)
	if gcp.IsNotFound(err) || gcp.KindOf(err) == gcp.KindServiceDisabled {
		return nil
	}
	if err != nil {
		return err
	}
	before := &CustomRoleState{Name: b.Name, Permissions: cur.Permissions, Deleted: cur.Deleted}
	c := &Change{Address: bundleAddress, Kind: KindCustomRole, Action: ActionDelete, Before: before}
	switch m, ok := ParseMark(cur.Description); {
	case !ok || m.Federation != p.desired.Name:
		// Not this federation's: never deleted (SPEC §7.1).
		c.Action, c.After, c.Reason = ActionNoop, before, AdoptedReason
		if ok {
			c.Reason = "federation " + m.Federation + "'s: left alone"
		}
	case cur.Deleted:
		c.Action, c.After = ActionNoop, before
	}
	p.Changes = append(p.Changes, c)
	return nil
}

// maxRoleDescription is IAM's limit on a custom role's description.
const maxRoleDescription = 256

// bundleDescription is the bundle role's description: what it merges,
// then the federation's ownership mark.
func bundleDescription(d *Desired) string {
	m := Mark{Federation: d.Name, Mode: d.Mode, Kind: MarkRole}
	if m.Mode == "" {
		m.Mode = config.DefaultMode
	}
	desc, err := m.Describe("Union of "+strings.Join(d.Bundle.Roles, ", ")+" (fedctl --data-role-bundle).", maxRoleDescription)
	if err != nil {
		return m.String() // a name too long for any mark is refused by setup's SAs first
	}
	return desc
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

func insertAfterAPIs(cs []*Change, c *Change) []*Change {
	i := 0
	for i < len(cs) && cs[i].Kind == KindAPI {
		i++
	}
	return slices.Insert(cs, i, c)
}

// bundleStep creates, undeletes and updates, or deletes the bundle role.
func (e *Engine) bundleStep(c *Change, d *Desired, live *gcp.Role) step {
	b := d.Bundle
	verb := map[Action]string{ActionCreate: "create ", ActionUpdate: "update ", ActionDelete: "delete "}[c.Action]
	return step{name: verb + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		if c.Action == ActionDelete {
			return e.c.DeleteCustomRole(ctx, b.Name)
		}
		want := &gcp.Role{Name: b.Name, Title: "fedctl data roles", Description: bundleDescription(d), Permissions: b.Permissions}
		if c.Action == ActionCreate {
			_, err := e.c.CreateCustomRole(ctx, d.Project, b.ID, want)
			if !gcp.IsAlreadyExists(err) {
				return err
			}
		}
		if live != nil && live.Deleted {
			if _, err := e.c.UndeleteCustomRole(ctx, b.Name); err != nil {
				return err
			}
		}
		// Read-modify-write with the role's etag, redone on a conflict, so
		// that an edit landing meanwhile is seen rather than overwritten;
		// a role that changed hands meanwhile is left alone (SPEC §7.1).
		_, err := e.c.ModifyCustomRole(ctx, b.Name, func(r *gcp.Role) error {
			if m, ok := ParseMark(r.Description); !ok || m.Federation != d.Name {
				return &OwnershipError{Problems: []string{fmt.Sprintf("custom role %s is no longer federation %q's: left alone", b.Name, d.Name)}}
			}
			r.Title, r.Description, r.Permissions = want.Title, want.Description, want.Permissions
			return nil
		})
		return err
	}}
}
