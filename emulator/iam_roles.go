package emulator

import (
	"fmt"
	"sort"
	"strings"

	iam "google.golang.org/api/iam/v1"

	"github.com/fedctl/fedctl/internal/lazyregexp"
)

// IAM roles: roles.get for predefined roles (includedPermissions from
// roles.go) and project custom roles (projects.roles create, get, list,
// patch, delete, undelete). A deleted custom role stays, with deleted:
// true, and its ID stays taken until undeleted (IAM docs, "Create and
// manage custom roles": deleted roles can be undeleted for 7 days and
// their IDs are reserved for 44 days).

const rolesFeature = "iam.roles"

var customRoleIDRE = lazyregexp.New(`^[a-zA-Z0-9_.]{3,64}$`)

type customRole struct {
	Title       string   `json:"title,omitempty"`
	Description string   `json:"description,omitempty"`
	Stage       string   `json:"stage,omitempty"`
	Permissions []string `json:"permissions,omitempty"`
	Deleted     bool     `json:"deleted,omitempty"`
	Etag        string   `json:"etag"`
}

// customRoles: "projects/P/roles/ID" (P the project ID) → role.
type customRoles map[string]*customRole

func loadCustomRoles(st *State) customRoles {
	var cr customRoles
	if err := st.GetExt(rolesFeature, &cr); err != nil || cr == nil {
		cr = customRoles{}
	}
	return cr
}

// customRoles resolves custom roles for authorization, loading them once.
// A deleted role grants nothing.
func (c *call) customRoles() roleResolver {
	var cr customRoles
	return func(role string) []string {
		if !strings.HasPrefix(role, "projects/") {
			return nil
		}
		if cr == nil {
			cr = loadCustomRoles(c.st)
		}
		if r := cr[role]; r != nil && !r.Deleted {
			return r.Permissions
		}
		return nil
	}
}

// checkCustomRoleExists: a binding of a custom role that does not exist is
// refused (production: "Role (projects/p/roles/x) does not exist in the
// resource's hierarchy.").
func (c *call) checkCustomRoleExists(role string) error {
	if !strings.HasPrefix(role, "projects/") {
		return nil
	}
	parts := strings.Split(role, "/")
	if len(parts) == 4 {
		if p := c.st.ProjectByIDOrNumber(parts[1]); p != nil {
			if r := loadCustomRoles(c.st)["projects/"+p.ID+"/roles/"+parts[3]]; r != nil && !r.Deleted {
				return nil
			}
		}
	}
	return errBadRequest(fmt.Sprintf("Role (%s) does not exist in the resource's hierarchy.", role))
}

func init() {
	registerAPI(func(s *Server) {
		const p, roles = "iam.projects.roles.", `^/v1/projects/([^/]+)/roles`
		for _, r := range []*route{
			{Method: "GET", Pattern: `^/v1/roles/([^/:]+)$`, Name: "iam.roles.get", Handler: predefinedRoleGet},
			{Method: "POST", Pattern: roles + `$`, Name: p + "create", Mutates: true, Handler: customRoleCreate},
			{Method: "GET", Pattern: roles + `$`, Name: p + "list", Handler: customRoleList},
			{Method: "GET", Pattern: roles + `/([^/:]+)$`, Name: p + "get", Handler: customRoleGet},
			{Method: "PATCH", Pattern: roles + `/([^/:]+)$`, Name: p + "patch", Mutates: true, Handler: customRolePatch},
			{Method: "DELETE", Pattern: roles + `/([^/:]+)$`, Name: p + "delete", Mutates: true, Handler: customRoleDelete},
			{Method: "POST", Pattern: roles + `/([^/:]+):undelete$`, Name: p + "undelete", Mutates: true, Handler: customRoleUndelete},
			{Method: "POST", Pattern: wifPoolPath + `:testIamPermissions$`, Name: "iam.projects.locations.workloadIdentityPools.testIamPermissions", Handler: poolTestIamPermissions},
		} {
			r.Service = "iam"
			s.handle(r)
		}
	})
}

func predefinedRoleGet(c *call) (any, error) {
	name := "roles/" + c.args[0]
	perms, ok := predefinedRoles[name]
	if !ok && !basicAllRoles[name] {
		return nil, errNotFound(fmt.Sprintf("The role named %s was not found.", name))
	}
	if basicAllRoles[name] {
		perms = basicRolePermissions(name)
	}
	return &iam.Role{Name: name, Title: c.args[0], IncludedPermissions: perms, Stage: "GA", Etag: "AA=="}, nil
}

func roleWire(name string, r *customRole) *iam.Role {
	return &iam.Role{Name: name, Title: r.Title, Description: r.Description, Stage: r.Stage,
		IncludedPermissions: r.Permissions, Deleted: r.Deleted, Etag: r.Etag}
}

func validRolePermissions(perms []string) error {
	for _, perm := range perms {
		if strings.Count(perm, ".") < 2 || strings.ContainsAny(perm, "* ") {
			return errBadRequest(fmt.Sprintf("Permission %s is not valid.", perm))
		}
	}
	return nil
}

func customRoleCreate(c *call) (any, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return nil, err
	}
	var req iam.CreateRoleRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	if !customRoleIDRE.MatchString(req.RoleId) {
		return nil, errBadRequest(fmt.Sprintf("The role_id (%s) is not valid: it must match [a-zA-Z0-9_\\.]{3,64}.", req.RoleId))
	}
	in := req.Role
	if in == nil {
		in = &iam.Role{}
	}
	if err := validRolePermissions(in.IncludedPermissions); err != nil {
		return nil, err
	}
	name := "projects/" + p.ID + "/roles/" + req.RoleId
	cr := loadCustomRoles(c.st)
	if old := cr[name]; old != nil {
		if old.Deleted {
			return nil, errBadRequest(fmt.Sprintf("A role with the ID %s was deleted recently; undelete it, or use another ID.", req.RoleId))
		}
		return nil, &apiError{HTTP: 409, Status: "ALREADY_EXISTS", Reason: "alreadyExists", Message: fmt.Sprintf("A role named %s in %s already exists.", req.RoleId, "projects/"+p.ID)}
	}
	stage := in.Stage
	if stage == "" {
		stage = "ALPHA"
	}
	r := &customRole{Title: in.Title, Description: in.Description, Stage: stage, Permissions: sortedUnique(in.IncludedPermissions), Etag: newEtag()}
	cr[name] = r
	if err := c.st.PutExt(rolesFeature, cr); err != nil {
		return nil, err
	}
	return roleWire(name, r), nil
}

func sortedUnique(in []string) []string {
	m := map[string]bool{}
	for _, s := range in {
		m[s] = true
	}
	return sortedKeys(m)
}

func (c *call) customRole() (string, customRoles, *customRole, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return "", nil, nil, err
	}
	name := "projects/" + p.ID + "/roles/" + c.args[1]
	cr := loadCustomRoles(c.st)
	r := cr[name]
	if r == nil {
		return "", nil, nil, errNotFound(fmt.Sprintf("The role named %s was not found.", "projects/"+c.args[0]+"/roles/"+c.args[1]))
	}
	return name, cr, r, nil
}

func customRoleGet(c *call) (any, error) {
	name, _, r, err := c.customRole()
	if err != nil {
		return nil, err
	}
	return roleWire(name, r), nil
}

func customRoleList(c *call) (any, error) {
	p, err := iamProject(c, c.args[0])
	if err != nil {
		return nil, err
	}
	cr := loadCustomRoles(c.st)
	names := make([]string, 0, len(cr))
	for k, r := range cr {
		if strings.HasPrefix(k, "projects/"+p.ID+"/roles/") && (!r.Deleted || c.query("showDeleted") == "true") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	out := &iam.ListRolesResponse{}
	for _, n := range names {
		out.Roles = append(out.Roles, roleWire(n, cr[n]))
	}
	return out, nil
}

func customRolePatch(c *call) (any, error) {
	name, cr, r, err := c.customRole()
	if err != nil {
		return nil, err
	}
	var in iam.Role
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if in.Etag != "" && in.Etag != r.Etag {
		return nil, errAborted()
	}
	if r.Deleted {
		return nil, errBadRequest(fmt.Sprintf("You can't update a deleted role: %s.", name))
	}
	mask := c.query("updateMask")
	fields := strings.Split(mask, ",")
	if mask == "" {
		fields = []string{"title", "description", "includedPermissions", "stage"}
	}
	for _, f := range fields {
		switch strings.TrimSpace(f) {
		case "title":
			r.Title = in.Title
		case "description":
			r.Description = in.Description
		case "includedPermissions", "included_permissions":
			if err := validRolePermissions(in.IncludedPermissions); err != nil {
				return nil, err
			}
			r.Permissions = sortedUnique(in.IncludedPermissions)
		case "stage":
			r.Stage = in.Stage
		default:
			return nil, errBadRequest(fmt.Sprintf("Invalid update mask field %q.", f))
		}
	}
	r.Etag = newEtag()
	if err := c.st.PutExt(rolesFeature, cr); err != nil {
		return nil, err
	}
	return roleWire(name, r), nil
}

func customRoleDelete(c *call) (any, error) {
	name, cr, r, err := c.customRole()
	if err != nil {
		return nil, err
	}
	if r.Deleted {
		return nil, errBadRequest(fmt.Sprintf("The role %s is already deleted.", name))
	}
	r.Deleted, r.Etag = true, newEtag()
	if err := c.st.PutExt(rolesFeature, cr); err != nil {
		return nil, err
	}
	return roleWire(name, r), nil
}

func customRoleUndelete(c *call) (any, error) {
	name, cr, r, err := c.customRole()
	if err != nil {
		return nil, err
	}
	if !r.Deleted {
		return nil, errBadRequest(fmt.Sprintf("The role %s is not deleted.", name))
	}
	r.Deleted, r.Etag = false, newEtag()
	if err := c.st.PutExt(rolesFeature, cr); err != nil {
		return nil, err
	}
	return roleWire(name, r), nil
}

// poolTestIamPermissions: the pool's permissions held through the project.
func poolTestIamPermissions(c *call) (any, error) {
	p := c.st.ProjectByIDOrNumber(c.args[0])
	if p == nil {
		return nil, errIAMPermissionDenied("iam.workloadIdentityPools.get")
	}
	var req permissionsMessage
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return c.heldPermissions(req.Permissions, p.Policy)
}
