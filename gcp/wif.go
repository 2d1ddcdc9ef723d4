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
	return c.iamAPI.Projects.Locations.WorkloadIdentityPools
}

// GetPool reads a pool (a soft-deleted one too, in state DELETED).
func (c *Client) GetPool(ctx context.Context, name string) (*WorkloadIdentityPool, error) {
	var p *iam.WorkloadIdentityPool
	p, err := c.pools().Get(name).Context(ctx).Do()
	if err != nil {
		return nil, Classify(err)
	}
	return &WorkloadIdentityPool{Name: p.Name, DisplayName: p.DisplayName, Description: p.Description,
		Disabled: p.Disabled, State: p.State, ExpireTime: p.ExpireTime}, nil
}

// CreatePool creates pool id under project (ID or number).
func (c *Client) CreatePool(ctx context.Context, project, id string, p *WorkloadIdentityPool) error {
	parent := "projects/" + project + "/locations/global"
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "creating pool "+id, func() (*iam.Operation, error) {
		return c.pools().Create(parent, &iam.WorkloadIdentityPool{DisplayName: p.DisplayName, Description: p.Description,
			Disabled: p.Disabled}).WorkloadIdentityPoolId(id).Context(tctx).Do()
	})
	if IsAlreadyExists(err) && tries.Load() > 1 {
		// Made by this call's first try (its answer lost)?
		if got, gerr := c.GetPool(ctx, parent+"/workloadIdentityPools/"+id); gerr == nil &&
			got.State == StateActive && got.DisplayName == p.DisplayName && got.Description == p.Description {
			return nil
		}
	}
	return err
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
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "deleting "+name, func() (*iam.Operation, error) {
		return c.pools().Delete(name).Context(tctx).Do()
	})
	return c.stateReached(ctx, err, tries.Load(), name, StateDeleted, false)
}

// stateReached forgives the error of a retried state change (delete,
// undelete) whose first try was applied but unanswered: the retry then meets
// "already deleted" (400 FAILED_PRECONDITION) or 404. When the pool or
// provider is in the wanted state, that is success.
func (c *Client) stateReached(ctx context.Context, err error, tries int32, name, want string, provider bool) error {
	if err == nil || tries < 2 {
		return err
	}
	if k := KindOf(err); k != KindFailedPrecondition && k != KindNotFound && k != KindInvalidArgument {
		return err
	}
	var state string
	if provider {
		p, gerr := c.GetProvider(ctx, name)
		if gerr != nil {
			return err
		}
		state = p.State
	} else {
		p, gerr := c.GetPool(ctx, name)
		if gerr != nil {
			return err
		}
		state = p.State
	}
	if state == want {
		return nil
	}
	return err
}

// UndeletePool restores a soft-deleted pool.
func (c *Client) UndeletePool(ctx context.Context, name string) error {
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "undeleting "+name, func() (*iam.Operation, error) {
		return c.pools().Undelete(name, &iam.UndeleteWorkloadIdentityPoolRequest{}).Context(tctx).Do()
	})
	return c.stateReached(ctx, err, tries.Load(), name, StateActive, false)
}

// GetProvider reads a provider (a soft-deleted one too).
func (c *Client) GetProvider(ctx context.Context, name string) (*WorkloadIdentityProvider, error) {
	var p *iam.WorkloadIdentityPoolProvider
	p, err := c.pools().Providers.Get(name).Context(ctx).Do()
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
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "creating provider "+id, func() (*iam.Operation, error) {
		return c.pools().Providers.Create(pool, providerWire(p)).WorkloadIdentityPoolProviderId(id).Context(tctx).Do()
	})
	if IsAlreadyExists(err) && tries.Load() > 1 {
		// Made by this call's first try (its answer lost)?
		if got, gerr := c.GetProvider(ctx, pool+"/providers/"+id); gerr == nil && got.State == StateActive &&
			got.IssuerURI == p.IssuerURI && got.AttributeCondition == p.AttributeCondition {
			return nil
		}
	}
	return err
}

// UpdateProvider patches the masked fields (the Mask* paths).
func (c *Client) UpdateProvider(ctx context.Context, name string, p *WorkloadIdentityProvider, mask []string) error {
	return c.iamOp(ctx, "updating "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Patch(name, providerWire(p)).UpdateMask(joinMask(mask)).Context(ctx).Do()
	})
}

// DeleteProvider soft-deletes a provider.
func (c *Client) DeleteProvider(ctx context.Context, name string) error {
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "deleting "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Delete(name).Context(tctx).Do()
	})
	return c.stateReached(ctx, err, tries.Load(), name, StateDeleted, true)
}

// UndeleteProvider restores a soft-deleted provider.
func (c *Client) UndeleteProvider(ctx context.Context, name string) error {
	tctx, tries := countingTries(ctx)
	err := c.iamOp(ctx, "undeleting "+name, func() (*iam.Operation, error) {
		return c.pools().Providers.Undelete(name, &iam.UndeleteWorkloadIdentityPoolProviderRequest{}).Context(tctx).Do()
	})
	return c.stateReached(ctx, err, tries.Load(), name, StateActive, true)
}

func joinMask(mask []string) string {
	m := slices.Clone(mask)
	slices.Sort(m)
	return strings.Join(slices.Compact(m), ",")
}

// iamOp starts an IAM mutation and awaits its operation.
func (c *Client) iamOp(ctx context.Context, what string, start func() (*iam.Operation, error)) error {
	started := time.Now()
	op, err := start()
	if err != nil {
		return Classify(err)
	}
	if op == nil {
		return nil
	}
	done, err := c.awaitOperation(ctx, iamOperation(op), started, func(ctx context.Context, name string) (operation, error) {
		next, err := c.pools().Operations.Get(name).Context(ctx).Do()
		if err != nil {
			return operation{}, err
		}
		return iamOperation(next), nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if done.Error != nil {
		return done.Error
	}
	return nil
}

func iamOperation(op *iam.Operation) operation {
	out := operation{Name: op.Name, Done: op.Done, Response: op.Response}
	if op.Error != nil {
		out.Error = statusError(op.Error.Code, op.Error.Message, op.Error.Details)
	}
	return out
}
