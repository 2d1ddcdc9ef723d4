package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
)

// policyVersion is the IAM policy version fedctl reads and writes: the only
// one that carries conditions, so that a write never drops them.
const policyVersion = 3

// projectUpdateMask makes setIamPolicy write the audit configs too (the
// default mask is "bindings,etag").
const projectUpdateMask = "bindings,etag,auditConfigs"

// PolicyResource is a resource with an IAM policy.
type PolicyResource interface {
	// Name is the resource name: "projects/p", "projects/p/serviceAccounts/e".
	Name() string
	// Get reads the policy at version 3.
	Get(ctx context.Context) (*Policy, error)
	// Set writes p (version 3) guarded by p.Etag and returns the stored
	// policy. A stale etag fails with KindAborted.
	Set(ctx context.Context, p *Policy) (*Policy, error)
}

// ProjectPolicy is the project's IAM policy (crm v1).
func (c *Client) ProjectPolicy(project string) PolicyResource {
	return &projectPolicy{c: c, project: project}
}

// ServiceAccountPolicy is a service account's IAM policy (iam v1): who may
// impersonate it, act as it, federate into it.
func (c *Client) ServiceAccountPolicy(email string) PolicyResource {
	return &serviceAccountPolicy{c: c, email: email}
}

type projectPolicy struct {
	c       *Client
	project string
}

func (r *projectPolicy) Name() string { return "projects/" + r.project }

func (r *projectPolicy) Get(ctx context.Context) (*Policy, error) {
	req := &cloudresourcemanager.GetIamPolicyRequest{
		Options: &cloudresourcemanager.GetPolicyOptions{RequestedPolicyVersion: policyVersion},
	}
	var out *cloudresourcemanager.Policy
	out, err := r.c.crm.Projects.GetIamPolicy(r.project, req).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading the IAM policy of %s: %w", r.Name(), Classify(err))
	}
	return policyFromCRM(out), nil
}

func (r *projectPolicy) Set(ctx context.Context, p *Policy) (*Policy, error) {
	wire := p.toCRM()
	wire.Version = policyVersion
	req := &cloudresourcemanager.SetIamPolicyRequest{Policy: wire, UpdateMask: projectUpdateMask}
	var out *cloudresourcemanager.Policy
	out, err := r.c.crm.Projects.SetIamPolicy(r.project, req).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("writing the IAM policy of %s: %w", r.Name(), Classify(err))
	}
	return policyFromCRM(out), nil
}

type serviceAccountPolicy struct {
	c     *Client
	email string
}

func (r *serviceAccountPolicy) Name() string { return serviceAccountName(r.email) }

func (r *serviceAccountPolicy) Get(ctx context.Context) (*Policy, error) {
	var out *iam.Policy
	out, err := r.c.iamAPI.Projects.ServiceAccounts.GetIamPolicy(r.Name()).OptionsRequestedPolicyVersion(policyVersion).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("reading the IAM policy of %s: %w", r.email, Classify(err))
	}
	return policyFromIAM(out), nil
}

// Set sends the default update mask ("bindings,etag"): service accounts
// carry no audit configs.
func (r *serviceAccountPolicy) Set(ctx context.Context, p *Policy) (*Policy, error) {
	wire := p.toIAM()
	wire.Version = policyVersion
	req := &iam.SetIamPolicyRequest{Policy: wire}
	var out *iam.Policy
	out, err := r.c.iamAPI.Projects.ServiceAccounts.SetIamPolicy(r.Name(), req).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("writing the IAM policy of %s: %w", r.email, Classify(err))
	}
	return policyFromIAM(out), nil
}

// ModifyPolicy is an etag-safe read-modify-write of r's policy: read (v3),
// let fn edit a deep copy and report whether it changed anything, and write
// that copy with the read etag only if so. When a concurrent writer got
// there first (409 ABORTED, or 412), the whole cycle is redone from a fresh
// read — so fn must derive its edit from the policy it is given, and may run
// more than once — with the Client's retry backoff, a bounded number of
// times. It returns the final policy and whether a write was made.
func (c *Client) ModifyPolicy(ctx context.Context, r PolicyResource, fn func(*Policy) (bool, error)) (*Policy, bool, error) {
	var (
		final   *Policy
		written bool
	)
	err := Do(ctx, c.retry, isPolicyConflict, func() error {
		cur, err := r.Get(ctx)
		if err != nil {
			return err
		}
		work := cur.Clone()
		changed, err := fn(work)
		if err != nil {
			return editError{err}
		}
		if !changed {
			final, written = cur, false
			return nil
		}
		work.Etag = cur.Etag
		out, err := r.Set(ctx, work)
		if err != nil {
			return err
		}
		final, written = out, true
		return nil
	})
	if ee, ok := errors.AsType[editError](err); ok {
		return nil, false, ee.err
	}
	if err != nil {
		return nil, false, err
	}
	return final, written, nil
}

// editError marks fn's own error, which is never retried and is returned
// unwrapped.
type editError struct{ err error }

func (e editError) Error() string { return e.err.Error() }

// isPolicyConflict: the etag we wrote with was stale.
func isPolicyConflict(err error) bool {
	if _, ok := errors.AsType[editError](err); ok {
		return false
	}
	e := Classify(err)
	return e.Kind == KindAborted || e.Code == http.StatusPreconditionFailed
}
