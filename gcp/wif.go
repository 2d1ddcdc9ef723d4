package gcp

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// Workload identity pools and OIDC providers (gcp-wire §5.5). Names are
// full resource names with the project NUMBER
// (projects/N/locations/global/workloadIdentityPools/P[/providers/Q]).
// Every mutation returns an IAM operation, awaited here.

// Pool and provider states.
const (
	StateActive  = "ACTIVE"
	StateDeleted = "DELETED"
)

// WorkloadIdentityPool is a pool as fedctl sees it.
type WorkloadIdentityPool struct {
	Name        string
	DisplayName string
	Description string
	Disabled    bool
	State       string // StateActive or StateDeleted (soft-deleted, restorable until ExpireTime)
	ExpireTime  string
}

// WorkloadIdentityProvider is an OIDC provider as fedctl sees it.
type WorkloadIdentityProvider struct {
	Name               string
	DisplayName        string
	Description        string
	Disabled           bool
	State              string
	ExpireTime         string
	IssuerURI          string
	AllowedAudiences   []string
	AttributeMapping   map[string]string
	AttributeCondition string
	JWKSJSON           string
}

// Update mask paths of providers.
const (
	MaskDisplayName        = "displayName"
	MaskDisabled           = "disabled"
	MaskAttributeMapping   = "attributeMapping"
	MaskAttributeCondition = "attributeCondition"
	MaskIssuerURI          = "oidc.issuerUri"
	MaskAllowedAudiences   = "oidc.allowedAudiences"
	MaskJWKSJSON           = "oidc.jwksJson"
)

func (c *Client) pools() *iam.ProjectsLocationsWorkloadIdentityPoolsService {
	return c.IAM.Projects.Locations.WorkloadIdentityPools
}

// GetPool reads a pool (a soft-deleted one too, in state DELETED).
func (c *Client) GetPool(ctx context.Context, name string) (*WorkloadIdentityPool, error) {
	var p *iam.WorkloadIdentityPool
	err := c.do(ctx, func() (err error) {
		p, err = c.pools().Get(name).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, Classify(err)
	}
	return &WorkloadIdentityPool{Name: p.Name, DisplayName: p.DisplayName, Description: p.Description,
		Disabled: p.Disabled, State: p.State, ExpireTime: p.ExpireTime}, nil
}

// CreatePool creates pool id under project (ID or number).
func (c *Client) CreatePool(ctx context.Context, project, id string, p *WorkloadIdentityPool) error {
	parent := "projects/" + project + "/locations/global"
	return c.iamOp(ctx, "creating pool "+id, func() (*iam.Operation, error) {
		return c.pools().Create(parent, &iam.WorkloadIdentityPool{DisplayName: p.DisplayName, Description: p.Description,
			Disabled: p.Disabled}).WorkloadIdentityPoolId(id).Context(ctx).Do()
	})
}

// UpdatePool patches the masked fields (displayName, description, disabled).
func (c *Client) UpdatePool(ctx context.Context, name string, p *WorkloadIdentityPool, mask []string) error {
	return c.iamOp(ctx, "updating "+name, func() (*iam.Operation, error) {
		return c.pools().Patch(name, &iam.WorkloadIdentityPool{DisplayName: p.DisplayName, Description: p.Description,
			Disabled: p.Disabled, ForceSendFields: []string{"Disabled"}}).UpdateMask(joinMask(mask)).Context(ctx).Do()
	})
}

// DeletePool soft-deletes a pool (restorable for 30 days).
func (c *Client) DeletePool(ctx context.Context, name string) error {
	return c.iamOp(ctx, "deleting "+name, func() (*iam.Operation, error) {
		return c.pools().Delete(name).Context(ctx).Do()
	})
}

// UndeletePool restores a soft-deleted pool.
func (c *Client) UndeletePool(ctx context.Context, name string) error {
	return c.iamOp(ctx, "undeleting "+name, func() (*iam.Operation, error) {
		return c.pools().Undelete(name, &iam.UndeleteWorkloadIdentityPoolRequest{}).Context(ctx).Do()
	})
}

// GetProvider reads a provider (a soft-deleted one too).
func (c *Client) GetProvider(ctx context.Context, name string) (*WorkloadIdentityProvider, error) {
	var p *iam.WorkloadIdentityPoolProvider
	err := c.do(ctx, func() (err error) {
		p, err = c.pools().Providers.Get(name).Context(ctx).Do()
		return err
	})
	if err != nil {
		return nil, Classify(err)
	}
	out := &WorkloadIdentityProvider{Name: p.Name, DisplayName: p.DisplayName, Description: p.Description,
		Disabled: p.Disabled, State: p.State, ExpireTime: p.ExpireTime,
		AttributeMapping: p.AttributeMapping, AttributeCondition: p.AttributeCondition}
	if o := p.Oidc; o != nil {
		out.IssuerURI, out.AllowedAudiences, out.JWKSJSON = o.IssuerUri, o.AllowedAudiences, o.JwksJson
	}
	return out, nil
}

func providerWire(p *WorkloadIdentityProvider) *iam.WorkloadIdentityPoolProvider {
	return &iam.WorkloadIdentityPoolProvider{DisplayName: p.DisplayName, Description: p.Description, Disabled: p.Disabled,
		AttributeMapping: p.AttributeMapping, AttributeCondition: p.AttributeCondition,
		Oidc:            &iam.Oidc{IssuerUri: p.IssuerURI, AllowedAudiences: p.AllowedAudiences, JwksJson: p.JWKSJSON},
		ForceSendFields: []string{"Disabled"}}
}

// CreateProvider creates OIDC provider id in pool (its full name).
func (c *Client) CreateProvider(ctx context.Context, pool, id string, p *WorkloadIdentityProvider) error {
	return c.iamOp(ctx, "creating provider "+id, func() (*iam.Operation, error) {
		return c.pools().Providers.Create(pool, providerWire(p)).WorkloadIdentityPoolProviderId(id).Context(ctx).Do()
	})
}

// UpdateProvider patches the masked fields (the Mask* paths).
func (c *Client) UpdateProvider(ctx context.Context, name string, p *WorkloadIdentityProvider, mask []string) error {
	return c.iamOp(ctx, "updating "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Patch(name, providerWire(p)).UpdateMask(joinMask(mask)).Context(ctx).Do()
	})
}

// DeleteProvider soft-deletes a provider.
func (c *Client) DeleteProvider(ctx context.Context, name string) error {
	return c.iamOp(ctx, "deleting "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Delete(name).Context(ctx).Do()
	})
}

// UndeleteProvider restores a soft-deleted provider.
func (c *Client) UndeleteProvider(ctx context.Context, name string) error {
	return c.iamOp(ctx, "undeleting "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Undelete(name, &iam.UndeleteWorkloadIdentityPoolProviderRequest{}).Context(ctx).Do()
	})
}

func joinMask(mask []string) string {
	m := slices.Clone(mask)
	slices.Sort(m)
	return strings.Join(slices.Compact(m), ",")
}

// iamOp starts an IAM mutation (retrying transient failures of the start)
// and awaits its operation.
func (c *Client) iamOp(ctx context.Context, what string, start func() (*iam.Operation, error)) error {
	var op *iam.Operation
	if err := c.do(ctx, func() (err error) { op, err = start(); return err }); err != nil {
		return Classify(err)
	}
	wait, waited := opPollInitial, time.Duration(0)
	for notFound := 0; op != nil && !op.Done; {
		if waited >= opPollBudget {
			return &Error{Kind: KindDeadlineExceeded, Message: fmt.Sprintf("%s: operation %s did not finish within %s", what, op.Name, opPollBudget)}
		}
		if err := c.retry.Sleep(ctx, wait); err != nil {
			return err
		}
		waited += wait
		wait = min(wait*2, opPollMax)
		var next *iam.Operation
		err := c.do(ctx, func() (err error) {
			next, err = c.pools().Operations.Get(op.Name).Context(ctx).Do()
			return err
		})
		if err != nil {
			if IsNotFound(err) && notFound < opNotFoundPolls {
				notFound++
				continue
			}
			return fmt.Errorf("%s: polling %s: %w", what, op.Name, Classify(err))
		}
		op = next
	}
	if op != nil && op.Error != nil {
		return statusError(op.Error.Code, op.Error.Message, op.Error.Details)
	}
	return nil
}
