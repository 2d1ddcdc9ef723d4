package engine

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"
	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/gcp"
)

// Live is the part of the project's live state that fedctl manages.
type Live struct {
	Project *gcp.Project
	// Services: each desired API → enabled.
	Services map[string]bool
	// ServiceAccounts: the project's SAs, by lowercase email.
	ServiceAccounts map[string]*gcp.ServiceAccount
	// ServiceAccountsUnknown is set when the SAs could not be listed because
	// the IAM API is disabled: every managed SA is then planned as created
	// (and adopted if it turns out to exist).
	ServiceAccountsUnknown bool
	// Policies: the project policy and the policy of every existing managed
	// SA that carries a managed membership. An SA that does not exist yet
	// has no entry (its policy is known empty; it is never read).
	Policies map[PolicyTarget]*gcp.Policy
	// Pool and Provider are wif mode's (nil: absent; a soft-deleted one is
	// present in state DELETED). WIFUnknown: not readable, the IAM API is off.
	Pool       *gcp.WorkloadIdentityPool
	Provider   *gcp.WorkloadIdentityProvider
	WIFUnknown bool
	// Dataset and Sink are the audit sink's dataset and log sink, read
	// only when one is configured (nil: absent). DatasetUnknown and
	// SinkUnknown: not readable, their API (BigQuery, Logging) is off.
	Dataset                     *bqv2.Dataset
	Sink                        *logging.LogSink
	DatasetUnknown, SinkUnknown bool
}

// Exists reports whether the service account email exists.
func (l *Live) Exists(email string) bool {
	_, ok := l.ServiceAccounts[strings.ToLower(email)]
	return ok
}

// read reads the live state concurrently and bounded: the project, the
// service states, ONE listing of the project's service accounts (pages of
// 100; never a GET per user) and the project policy at once; then the
// policies of the managed service accounts that exist. It builds the
// desired state as soon as the project number is known. The audit sink
// (sink; nil: none configured, and nothing is read for it) needs no project
// number, so its dataset and sink are read with the first requests.
//
// prepare (nil: none) completes the desired state from the listing before
// the policies are read: the ownership pass adds what is to be offboarded.
func (e *Engine) read(ctx context.Context, build func(projectNumber string) (*Desired, error), project string, apis []string, sink *audit.SinkSpec, prepare func(*Desired, *Live) error) (*Desired, *Live, error) {
	live := &Live{
		ServiceAccounts: map[string]*gcp.ServiceAccount{},
		Policies:        map[PolicyTarget]*gcp.Policy{},
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return e.call(gctx, func() (err error) {
			live.Project, err = e.c.GetProject(gctx, project)
			return err
		})
	})
	g.Go(func() error {
		return e.call(gctx, func() (err error) {
			live.Services, err = e.c.ServiceStates(gctx, project, apis)
			return err
		})
	})
	g.Go(func() error {
		err := e.call(gctx, func() error {
			return e.c.ListServiceAccounts(gctx, project, func(sa *gcp.ServiceAccount) error {
				mu.Lock()
				live.ServiceAccounts[strings.ToLower(sa.Email)] = sa
				mu.Unlock()
				return nil
			})
		})
		if gcp.IsServiceDisabled(err) {
			live.ServiceAccountsUnknown = true
			return nil
		}
		return err
	})
	g.Go(func() error {
		return e.call(gctx, func() error {
			p, err := e.c.ProjectPolicy(project).Get(gctx)
			if err == nil {
				mu.Lock()
				live.Policies[ProjectTarget(project)] = p
				mu.Unlock()
			}
			return err
		})
	})
	if sink != nil {
		e.readSink(gctx, g, sink, live)
	}
	if err := g.Wait(); err != nil {
		return nil, nil, err
	}

	d, err := build(live.Project.Number)
	if err != nil {
		return nil, nil, err
	}
	if prepare != nil {
		if err := prepare(d, live); err != nil {
			return nil, nil, err
		}
	}

	g, gctx = errgroup.WithContext(ctx)
	if d.WIF != nil {
		g.Go(func() error { return e.readWIF(gctx, d.WIF, live) })
	}
	for _, t := range d.PolicyTargets() {
		if t.Type != TargetServiceAccount || !live.Exists(t.Name) {
			continue
		}
		g.Go(func() error {
			return e.call(gctx, func() error {
				p, err := e.listedPolicy(gctx, t.Name)
				if err == nil {
					mu.Lock()
					live.Policies[t] = p
					mu.Unlock()
				}
				return err
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, nil, fmt.Errorf("reading service account policies: %w", err)
	}
	return d, live, nil
}

// listedPolicy reads the policy of a service account the listing showed. A
// 404 there is not "deleted meanwhile": a new account is listed before its
// own URLs answer (IAM's eventual consistency, gcp-wire §10.3), so the read
// waits that out with the consistency backoff. An account still 404 past
// the budget is an error — planning it as absent would have teardown skip
// (and report as destroyed) an account that exists.
func (e *Engine) listedPolicy(ctx context.Context, email string) (*gcp.Policy, error) {
	var p *gcp.Policy
	err := e.waitVisible(ctx, true, func() (err error) {
		p, err = e.c.ServiceAccountPolicy(email).Get(ctx)
		return err
	})
	if gcp.IsNotFound(err) {
		return nil, fmt.Errorf("%s is listed, but its policy still answers 404 (IAM has not caught up): re-run in a minute: %w", email, err)
	}
	return p, err
}
