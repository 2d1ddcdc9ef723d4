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

	// noopOperation is what serviceusage answers when nothing had to change;
	// it is done already and cannot be polled (polling it fails).
	noopOperation = "operations/noop.DONE_OPERATION"

	opPollInitial = 250 * time.Millisecond // SPEC §7.7; the retry helper owns the poller (one, jittered)
	opPollMax     = 5 * time.Second
	opPollBudget  = 10 * time.Minute // total waiting before giving up
	// opNotFoundPolls: a fresh operation can 404 on its first reads.
	opNotFoundPolls = 3
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
			var svc *serviceusage.GoogleApiServiceusageV1Service
			err := c.do(gctx, func() (err error) {
				svc, err = c.ServiceUsage.Services.Get(serviceName(project, name)).Context(gctx).Do()
				return err
			})
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
// until done.
func (c *Client) EnableServices(ctx context.Context, project string, services []string) error {
	ids := dedupe(services)
	for start := 0; start < len(ids); start += batchEnableMax {
		chunk := ids[start:min(start+batchEnableMax, len(ids))]
		var op *serviceusage.Operation
		err := c.do(ctx, func() (err error) {
			if len(chunk) == 1 {
				op, err = c.ServiceUsage.Services.Enable(serviceName(project, chunk[0]), &serviceusage.EnableServiceRequest{}).Context(ctx).Do()
			} else {
				op, err = c.ServiceUsage.Services.BatchEnable("projects/"+project, &serviceusage.BatchEnableServicesRequest{ServiceIds: chunk}).Context(ctx).Do()
			}
			return err
		})
		if err == nil {
			err = c.awaitOperation(ctx, op)
		}
		if err != nil {
			return fmt.Errorf("enabling %s in %s: %w", strings.Join(chunk, ", "), project, err)
		}
	}
	return nil
}

// awaitOperation polls a serviceusage operation until it is done and turns
// its error (or a batch's failures) into an *Error.
func (c *Client) awaitOperation(ctx context.Context, op *serviceusage.Operation) error {
	wait, waited := opPollInitial, time.Duration(0)
	for notFound := 0; op != nil && !op.Done; {
		if op.Name == "" || op.Name == noopOperation {
			return nil // synchronous answer: nothing to poll
		}
		if waited >= opPollBudget {
			return &Error{Kind: KindDeadlineExceeded, Message: fmt.Sprintf("operation %s did not finish within %s", op.Name, opPollBudget)}
		}
		if err := c.retry.Sleep(ctx, wait); err != nil {
			return err
		}
		waited += wait
		wait = min(wait*2, opPollMax)

		var next *serviceusage.Operation
		err := c.do(ctx, func() (err error) {
			next, err = c.ServiceUsage.Operations.Get(op.Name).Context(ctx).Do()
			return err
		})
		if err != nil {
			if IsNotFound(err) && notFound < opNotFoundPolls {
				notFound++
				continue
			}
			return fmt.Errorf("polling %s: %w", op.Name, Classify(err))
		}
		op = next
	}
	if op == nil {
		return nil
	}
	if op.Error != nil {
		return statusError(op.Error.Code, op.Error.Message, op.Error.Details)
	}
	return batchFailures(op.Response)
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
