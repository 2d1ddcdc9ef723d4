package gcp

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// listPageSize is the page size asked of list calls (IAM's maximum is 100).
const listPageSize = 100

// serviceAccountName is the IAM resource name of a service account. The
// project is taken from the email when it is a user-managed SA
// (ID@PROJECT.iam.gserviceaccount.com): with the "-" wildcard Google answers
// a missing SA with 403 instead of 404 (gcp-wire §5.2). Other emails
// (domain-scoped projects, Google-managed SAs) fall back to "-".
func serviceAccountName(email string) string {
	if strings.HasPrefix(email, "projects/") {
		return email
	}
	return "projects/" + serviceAccountProject(email) + "/serviceAccounts/" + email
}

func serviceAccountProject(email string) string {
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return "-"
	}
	project, ok := strings.CutSuffix(domain, ".iam.gserviceaccount.com")
	if !ok || project == "" || strings.Contains(project, ".") {
		return "-"
	}
	return project
}

func toServiceAccount(sa *iam.ServiceAccount) *ServiceAccount {
	return &ServiceAccount{
		Email:       sa.Email,
		UniqueID:    sa.UniqueId,
		DisplayName: sa.DisplayName,
		Description: sa.Description,
		Disabled:    sa.Disabled,
		Project:     sa.ProjectId,
	}
}

// GetServiceAccount reads a service account; a missing one is KindNotFound.
func (c *Client) GetServiceAccount(ctx context.Context, email string) (*ServiceAccount, error) {
	var sa *iam.ServiceAccount
	sa, err := c.iamAPI.Projects.ServiceAccounts.Get(serviceAccountName(email)).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading service account %s: %w", email, Classify(err))
	}
	return toServiceAccount(sa), nil
}

// CreateServiceAccount creates projects/P/serviceAccounts/ID; AlreadyExists
// is returned typed (KindAlreadyExists) — unless this very call made it (a
// try was applied but its answer lost, and the retry met the account): then
// the account is read back and returned, as if the create had answered. The
// account is this call's when its display name and description are the ones
// asked for.
func (c *Client) CreateServiceAccount(ctx context.Context, project, accountID, displayName, description string) (*ServiceAccount, error) {
	req := &iam.CreateServiceAccountRequest{
		AccountId:      accountID,
		ServiceAccount: &iam.ServiceAccount{DisplayName: displayName, Description: description},
	}
	tctx, tries := countingTries(ctx)
	sa, err := c.iamAPI.Projects.ServiceAccounts.Create("projects/"+project, req).Context(tctx).Do()
	if err != nil {
		if IsAlreadyExists(err) && tries.Load() > 1 {
			email := accountID + "@" + project + ".iam.gserviceaccount.com"
			if got, gerr := c.GetServiceAccount(ctx, email); gerr == nil && got.DisplayName == displayName && got.Description == description {
				return got, nil
			}
		}
		return nil, fmt.Errorf("creating service account %s in %s: %w", accountID, project, Classify(err))
	}
	return toServiceAccount(sa), nil
}

// DeleteServiceAccount deletes a service account.
func (c *Client) DeleteServiceAccount(ctx context.Context, email string) error {
	_, err := c.iamAPI.Projects.ServiceAccounts.Delete(serviceAccountName(email)).Context(ctx).Do()
	if err != nil {
		return fmt.Errorf("deleting service account %s: %w", email, Classify(err))
	}
	return nil
}

// ListServiceAccounts streams every SA of project to fn, page by page
// (each page retried on its own); fn's error stops the listing and is
// returned as is.
func (c *Client) ListServiceAccounts(ctx context.Context, project string, fn func(*ServiceAccount) error) error {
	token := ""
	for {
		call := c.iamAPI.Projects.ServiceAccounts.List("projects/" + project).PageSize(listPageSize).Context(ctx)
		if token != "" {
			call = call.PageToken(token)
		}
		resp, err := call.Do()
		if err != nil {
			return fmt.Errorf("listing service accounts of %s: %w", project, Classify(err))
		}
		for _, sa := range resp.Accounts {
			if err := fn(toServiceAccount(sa)); err != nil {
				return err
			}
		}
		if resp.NextPageToken == "" || resp.NextPageToken == token {
			return nil
		}
		token = resp.NextPageToken
	}
}

// ListKeys lists a service account's keys (metadata only); userManagedOnly
// leaves out the Google-managed ones every SA has.
func (c *Client) ListKeys(ctx context.Context, email string, userManagedOnly bool) ([]*Key, error) {
	call := c.iamAPI.Projects.ServiceAccounts.Keys.List(serviceAccountName(email)).Context(ctx)
	if userManagedOnly {
		call = call.KeyTypes("USER_MANAGED")
	}
	resp, err := call.Do()
	if err != nil {
		return nil, fmt.Errorf("listing keys of %s: %w", email, Classify(err))
	}
	keys := make([]*Key, 0, len(resp.Keys))
	for _, k := range resp.Keys {
		keys = append(keys, &Key{
			Name:        k.Name,
			KeyType:     k.KeyType,
			ValidAfter:  parseTime(k.ValidAfterTime),
			ValidBefore: parseTime(k.ValidBeforeTime),
			Disabled:    k.Disabled,
		})
	}
	return keys, nil
}

// CreateKey creates a user-managed key and returns the key file JSON
// (the decoded privateKeyData). The caller owns the secret: never print it.
func (c *Client) CreateKey(ctx context.Context, email string) ([]byte, error) {
	var key *iam.ServiceAccountKey
	key, err := c.iamAPI.Projects.ServiceAccounts.Keys.Create(serviceAccountName(email), &iam.CreateServiceAccountKeyRequest{}).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("creating a key for %s: %w", email, Classify(err))
	}
	if key.PrivateKeyData == "" {
		return nil, fmt.Errorf("creating a key for %s: %w", email, errors.New("the response carries no private key data"))
	}
	data, err := base64.StdEncoding.DecodeString(key.PrivateKeyData)
	if err != nil {
		// Never wrap the decoder's error: it quotes the input.
		return nil, fmt.Errorf("creating a key for %s: privateKeyData is not valid base64", email)
	}
	return data, nil
}

// parseTime reads an RFC 3339 timestamp; zero when absent or malformed.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
