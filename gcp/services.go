package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	serviceusage "google.golang.org/api/serviceusage/v1"
)

const (
	// batchEnableMax: batchEnable fails for more than 20 services.
	batchEnableMax = 20
	// serviceReadConcurrency bounds ServiceStates' parallel services.get.
	serviceReadConcurrency = 8
)

// ServiceStates reports, for each service in want ("iam.googleapis.com"),
// whether it is enabled in project. Reads run concurrently (bounded).
func (c *Client) ServiceStates(ctx context.Context, project string, want []string) (map[string]bool, error) {
	states := make(map[string]bool, len(want))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(serviceReadConcurrency)
	for _, name := range dedupe(want) {
		g.Go(func() error {
			svc, err := c.serviceUsage.Services.Get(serviceName(project, name)).Context(gctx).Do()
			if err != nil {
				return fmt.Errorf("reading the state of %s in %s: %w", name, project, Classify(err))
			}
			mu.Lock()
			states[name] = svc.State == "ENABLED"
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return states, nil
}

// EnableServices enables services in project and waits until Google says
// they are: batchEnable in chunks of at most 20 (a chunk of one goes through
// services.enable, as batchEnable rejects single ids), each operation polled
// until done. Enabling is idempotent, so a retried enable is harmless.
func (c *Client) EnableServices(ctx context.Context, project string, services []string) error {
	ids := dedupe(services)
	for start := 0; start < len(ids); start += batchEnableMax {
		chunk := ids[start:min(start+batchEnableMax, len(ids))]
		var op *serviceusage.Operation
		var err error
		started := time.Now()
		if len(chunk) == 1 {
			op, err = c.serviceUsage.Services.Enable(serviceName(project, chunk[0]), &serviceusage.EnableServiceRequest{}).Context(ctx).Do()
		} else {
			op, err = c.serviceUsage.Services.BatchEnable("projects/"+project, &serviceusage.BatchEnableServicesRequest{ServiceIds: chunk}).Context(ctx).Do()
		}
		if err == nil {
			err = c.awaitServiceOperation(ctx, op, started)
		}
		if err != nil {
			return fmt.Errorf("enabling %s in %s: %w", strings.Join(chunk, ", "), project, Classify(err))
		}
	}
	return nil
}

// awaitServiceOperation awaits a serviceusage operation and turns its error
// (or a batch's failures) into an *Error.
func (c *Client) awaitServiceOperation(ctx context.Context, op *serviceusage.Operation, started time.Time) error {
	if op == nil {
		return nil
	}
	done, err := c.awaitOperation(ctx, serviceOp(op), started, func(ctx context.Context, name string) (operation, error) {
		next, err := c.serviceUsage.Operations.Get(name).Context(ctx).Do()
		if err != nil {
			return operation{}, err
		}
		return serviceOp(next), nil
	})
	if err != nil {
		return err
	}
	if done.Error != nil {
		return done.Error
	}
	return batchFailures(done.Response)
}

func serviceOp(op *serviceusage.Operation) operation {
	out := operation{Name: op.Name, Done: op.Done, Response: op.Response}
	if op.Error != nil {
		out.Error = statusError(op.Error.Code, op.Error.Message, op.Error.Details)
	}
	return out
}

// batchFailures reports the per-service failures a BatchEnableServicesResponse
// may carry alongside success.
func batchFailures(resp []byte) error {
	if len(resp) == 0 {
		return nil
	}
	var r struct {
		Failures []struct {
			ServiceID    string `json:"serviceId"`
			ErrorMessage string `json:"errorMessage"`
		} `json:"failures"`
	}
	if json.Unmarshal(resp, &r) != nil || len(r.Failures) == 0 {
		return nil
	}
	msgs := make([]string, len(r.Failures))
	for i, f := range r.Failures {
		msgs[i] = f.ServiceID + ": " + f.ErrorMessage
	}
	return &Error{Kind: KindFailedPrecondition, Message: strings.Join(msgs, "; "), Service: r.Failures[0].ServiceID}
}

func serviceName(project, service string) string {
	return "projects/" + project + "/services/" + service
}

// dedupe keeps the first occurrence of each non-empty string, in order.
func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
