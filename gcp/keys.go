package gcp

import (
	"context"
	"fmt"
	"strings"

	iam "google.golang.org/api/iam/v1"
)

// Service-account key lifecycle (iam v1 projects.serviceAccounts.keys
// delete, disable, enable). name is the key's resource name as ListKeys
// returns it: projects/P/serviceAccounts/EMAIL/keys/ID.

// KeyID is the last segment of a key's resource name (or of an audit log's
// serviceAccountKeyName, "//iam.googleapis.com/projects/P/serviceAccounts/E/keys/ID").
func KeyID(name string) string {
	if i := strings.LastIndex(name, "/keys/"); i >= 0 {
		return name[i+len("/keys/"):]
	}
	return name
}

// KeyServiceAccount is the service account segment of a key's resource name.
func KeyServiceAccount(name string) string {
	rest := name
	if i := strings.Index(rest, "/serviceAccounts/"); i >= 0 {
		rest = rest[i+len("/serviceAccounts/"):]
	}
	if i := strings.Index(rest, "/keys/"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

// DeleteKey deletes a user-managed key; a missing one is KindNotFound.
func (c *Client) DeleteKey(ctx context.Context, name string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Keys.Delete(name).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("deleting key %s of %s: %w", KeyID(name), KeyServiceAccount(name), Classify(err))
	}
	return nil
}

// DisableKey disables a user-managed key: tokens can no longer be minted
// with it, and EnableKey undoes that.
func (c *Client) DisableKey(ctx context.Context, name string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Keys.Disable(name, &iam.DisableServiceAccountKeyRequest{}).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("disabling key %s of %s: %w", KeyID(name), KeyServiceAccount(name), Classify(err))
	}
	return nil
}

// EnableKey enables a disabled user-managed key.
func (c *Client) EnableKey(ctx context.Context, name string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Keys.Enable(name, &iam.EnableServiceAccountKeyRequest{}).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("enabling key %s of %s: %w", KeyID(name), KeyServiceAccount(name), Classify(err))
	}
	return nil
}
