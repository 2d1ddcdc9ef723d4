package gcp

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/api/googleapi"
)

// Long-running operations: the one poller of fedctl (serviceusage and IAM
// operations alike).
const (
	// opPollInitial: the first poll comes within 250ms (an API enable or a
	// pool create often finishes that fast), then the waits double, with
	// jitter, up to opPollMax. The first wait is shorter still when the
	// request that started the operation answered faster (opPollFloor at
	// least): its round trip is the latency to the API, and an operation
	// that is already done is then seen one round trip later. On a fresh
	// project the IAM API's enable lies on the path to every account, so a
	// fixed 250ms there costs ~10 round trips of 25ms (SPEC §6, §7.7).
	opPollInitial = 250 * time.Millisecond
	opPollFloor   = 10 * time.Millisecond
	opPollMax     = 5 * time.Second
	opPollBudget  = 10 * time.Minute // total waiting before giving up
	// opNotFoundPolls: a fresh operation can 404 on its first reads.
	opNotFoundPolls = 3
)

// operation is a long-running operation as the poller needs it.
type operation struct {
	Name     string
	Done     bool
	Error    *Error // the finished operation's error (nil: success)
	Response googleapi.RawMessage
}

// noopOperation is what serviceusage answers when nothing had to change;
// it is done already and cannot be polled (polling it fails).
const noopOperation = "operations/noop.DONE_OPERATION"

// awaitOperation polls op (through get) until it is done and returns it
// finished, or an error when polling fails or takes longer than
// opPollBudget. started is when the request that returned op was sent.
// Transient poll failures are the transport's to retry.
func (c *Client) awaitOperation(ctx context.Context, op operation, started time.Time, get func(ctx context.Context, name string) (operation, error)) (operation, error) {
	rtt := min(max(time.Since(started), opPollFloor), opPollInitial)
	var waited time.Duration
	for poll, notFound := 1, 0; !op.Done; poll++ {
		if op.Name == "" || op.Name == noopOperation {
			return operation{Done: true}, nil // a synchronous answer: nothing to poll
		}
		if waited >= opPollBudget {
			return op, &Error{Kind: KindDeadlineExceeded, Message: fmt.Sprintf("operation %s did not finish within %s", op.Name, opPollBudget)}
		}
		wait := Backoff(rtt, rtt, 1) // the first poll: one round trip
		if poll > 1 {
			wait = Backoff(opPollInitial, opPollMax, poll-1)
		}
		if err := c.retry.Sleep(ctx, wait); err != nil {
			return op, err
		}
		waited += wait
		next, err := get(ctx, op.Name)
		if err != nil {
			if IsNotFound(err) && notFound < opNotFoundPolls {
				notFound++
				continue
			}
			return op, fmt.Errorf("polling %s: %w", op.Name, Classify(err))
		}
		op = next
	}
	return op, nil
}
