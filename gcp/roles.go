package gcp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
)

// IAM roles and permission tests: what a role grants (roles.get for a
// predefined role, projects.roles.get for a custom one), project custom
// roles (--data-role-bundle), and testIamPermissions on the project, a
// service account and a workload identity pool (preflight).

// Role is an IAM role and the permissions it grants.
type Role struct {
	Name        string // roles/X or projects/P/roles/ID
	Title       string
	Description string
	Permissions []string
	Deleted     bool // a custom role in its undelete window
	Etag        string
}

func roleFromWire(r *iam.Role) *Role {
	return &Role{Name: r.Name, Title: r.Title, Description: r.Description, Permissions: r.IncludedPermissions, Deleted: r.Deleted, Etag: r.Etag}
}

// GetRole reads a predefined role (roles/X) or a project custom role
// (projects/P/roles/ID), deleted ones included.
func (c *Client) GetRole(ctx context.Context, name string) (*Role, error) {
	var r *iam.Role
	var err error
	if strings.HasPrefix(name, "projects/") {
		r, err = c.iamAPI.Projects.Roles.Get(name).Context(ctx).Do()
	} else {
		r, err = c.iamAPI.Roles.Get(name).Context(ctx).Do()
	}
	if err != nil {
		return nil, fmt.Errorf("reading role %s: %w", name, Classify(err))
	}
	return roleFromWire(r), nil
}

// CreateCustomRole creates projects/PROJECT/roles/ID (stage GA).
func (c *Client) CreateCustomRole(ctx context.Context, project, id string, r *Role) (*Role, error) {
	req := &iam.CreateRoleRequest{RoleId: id, Role: &iam.Role{Title: r.Title, Description: r.Description,
		IncludedPermissions: r.Permissions, Stage: "GA"}}
	out, err := c.iamAPI.Projects.Roles.Create("projects/"+project, req).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("creating role projects/%s/roles/%s: %w", project, id, Classify(err))
	}
	return roleFromWire(out), nil
}

// UpdateCustomRole replaces a custom role's title, description and
// permissions, guarded by r.Etag when set.
func (c *Client) UpdateCustomRole(ctx context.Context, r *Role) (*Role, error) {
	in := &iam.Role{Title: r.Title, Description: r.Description, IncludedPermissions: r.Permissions, Etag: r.Etag}
	out, err := c.iamAPI.Projects.Roles.Patch(r.Name, in).UpdateMask("title,description,includedPermissions").Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("updating role %s: %w", r.Name, Classify(err))
	}
	return roleFromWire(out), nil
}

// ModifyCustomRole is an etag-safe read-modify-write of a custom role:
// read it, let fn edit a copy (title, description, permissions), and write
// that with the read etag (iam v1 Role.etag). When a concurrent writer got
// there first (409 ABORTED), the cycle is redone from a fresh read, as
// ModifyPolicy does; fn may run more than once, and its own error is
// returned as is, never retried.
func (c *Client) ModifyCustomRole(ctx context.Context, name string, fn func(*Role) error) (*Role, error) {
	var final *Role
	err := Do(ctx, c.retry, isPolicyConflict, func() error {
		cur, err := c.GetRole(ctx, name)
		if err != nil {
			return err
		}
		work := *cur
		work.Permissions = slices.Clone(cur.Permissions)
		if err := fn(&work); err != nil {
			return editError{err}
		}
		work.Name, work.Etag = cur.Name, cur.Etag
		final, err = c.UpdateCustomRole(ctx, &work)
		return err
	})
	if ee, ok := errors.AsType[editError](err); ok {
		return nil, ee.err
	}
	if err != nil {
		return nil, err
	}
	return final, nil
}

// DeleteCustomRole soft-deletes a custom role (undeletable for 7 days);
// one already gone or deleted is not an error.
func (c *Client) DeleteCustomRole(ctx context.Context, name string) error {
	_, err := c.iamAPI.Projects.Roles.Delete(name).Context(ctx).Do()
	if err != nil && !IsNotFound(err) {
		if cur, gerr := c.GetRole(ctx, name); gerr == nil && cur.Deleted {
			return nil
		}
		return fmt.Errorf("deleting role %s: %w", name, Classify(err))
	}
	return nil
}

// UndeleteCustomRole restores a soft-deleted custom role.
func (c *Client) UndeleteCustomRole(ctx context.Context, name string) (*Role, error) {
	out, err := c.iamAPI.Projects.Roles.Undelete(name, &iam.UndeleteRoleRequest{}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("undeleting role %s: %w", name, Classify(err))
	}
	return roleFromWire(out), nil
}

// TestProjectPermissions returns those of perms the caller holds on the
// project (Resource Manager projects.testIamPermissions).
func (c *Client) TestProjectPermissions(ctx context.Context, project string, perms []string) ([]string, error) {
	out, err := c.crm.Projects.TestIamPermissions(project, &cloudresourcemanager.TestIamPermissionsRequest{Permissions: perms}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("testing permissions on projects/%s: %w", project, Classify(err))
	}
	return out.Permissions, nil
}

// TestServiceAccountPermissions returns those of perms the caller holds on
// the service account (its own policy and the project's). It mints nothing
// and logs nothing.
func (c *Client) TestServiceAccountPermissions(ctx context.Context, email string, perms []string) ([]string, error) {
	out, err := c.iamAPI.Projects.ServiceAccounts.TestIamPermissions(serviceAccountName(email), &iam.TestIamPermissionsRequest{Permissions: perms}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("testing permissions on %s: %w", email, Classify(err))
	}
	return out.Permissions, nil
}

// TestPoolPermissions returns those of perms the caller holds on a
// workload identity pool (projects/P/locations/global/workloadIdentityPools/ID).
func (c *Client) TestPoolPermissions(ctx context.Context, pool string, perms []string) ([]string, error) {
	out, err := c.pools().TestIamPermissions(pool, &iam.TestIamPermissionsRequest{Permissions: perms}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("testing permissions on %s: %w", pool, Classify(err))
	}
	return out.Permissions, nil
}
