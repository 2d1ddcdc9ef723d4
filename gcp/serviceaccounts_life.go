package gcp

import (
	"context"
	"fmt"

	iam "google.golang.org/api/iam/v1"
)

// Service account lifecycle operations used by offboarding (SPEC §7.2).
// Google: disabling takes effect at once (existing access tokens are
// rejected, no new ones are minted); enabling again makes the old tokens
// valid again; a deleted account can be undeleted by its unique ID for 30
// days.
// https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/disable

// DisableServiceAccount disables a service account.
func (c *Client) DisableServiceAccount(ctx context.Context, email string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Disable(serviceAccountName(email), &iam.DisableServiceAccountRequest{}).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("disabling service account %s: %w", email, Classify(err))
	}
	return nil
}

// EnableServiceAccount enables a service account disabled by
// DisableServiceAccount.
func (c *Client) EnableServiceAccount(ctx context.Context, email string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Enable(serviceAccountName(email), &iam.EnableServiceAccountRequest{}).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("enabling service account %s: %w", email, Classify(err))
	}
	return nil
}

// UndeleteServiceAccount restores a service account deleted less than 30
// days ago, named by its unique ID (the email no longer resolves).
func (c *Client) UndeleteServiceAccount(ctx context.Context, project, uniqueID string) (*ServiceAccount, error) {
	var resp *iam.UndeleteServiceAccountResponse
	resp, err := c.iamAPI.Projects.ServiceAccounts.Undelete("projects/"+project+"/serviceAccounts/"+uniqueID, &iam.UndeleteServiceAccountRequest{}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("undeleting service account %s: %w", uniqueID, Classify(err))
	}
	if resp.RestoredAccount == nil {
		return nil, fmt.Errorf("undeleting service account %s: the response names no account", uniqueID)
	}
	return toServiceAccount(resp.RestoredAccount), nil
}

// SetServiceAccountDescription replaces a service account's description
// (update mask "description"; the display name is left alone).
func (c *Client) SetServiceAccountDescription(ctx context.Context, email, description string) error {
	req := &iam.PatchServiceAccountRequest{
		ServiceAccount: &iam.ServiceAccount{Description: description},
		UpdateMask:     "description",
	}
	_, err := c.iamAPI.Projects.ServiceAccounts.Patch(serviceAccountName(email), req).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("updating the description of %s: %w", email, Classify(err))
	}
	return nil
}
