package engine

import (
	"context"
	"fmt"
	"strings"
)

// InterruptedError is an apply stopped by its context (Ctrl-C): the
// requests already sent may well have been applied by Google, so the
// changes in flight are not "failed" but unknown, and the way out is to
// re-run the operation, which converges. It unwraps to the context's error
// (an abort: exit 130).
type InterruptedError struct {
	Operation Operation
	// InFlight counts the changes whose requests were under way.
	InFlight int
	Err      error
}

func (e *InterruptedError) Error() string {
	return fmt.Sprintf("interrupted: %d change(s) in flight may have been applied; re-run %s to converge", e.InFlight, e.Operation.Command())
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// interruptedNote is the outcome error of a change cut short.
func interruptedNote(op Operation) string {
	return fmt.Sprintf("interrupted: may have been applied; re-run %s to converge", op.Command())
}

// markInterrupted rewrites, once ctx is done, the outcomes of the changes
// cut short (their error is the context's) and returns the run's error.
func (r *Result) markInterrupted(ctx context.Context, op Operation) error {
	n := 0
	for i := range r.Outcomes {
		o := &r.Outcomes[i]
		if o.Status == OutcomeFailed && (ctx.Err() != nil && (o.Error == "" || isCtxMessage(o.Error))) {
			o.Error = interruptedNote(op)
			n++
		}
	}
	return &InterruptedError{Operation: op, InFlight: n, Err: ctx.Err()}
}

// isCtxMessage: an error text that ends in the context's own ("context
// canceled", "context deadline exceeded").
func isCtxMessage(s string) bool {
	for _, e := range []error{context.Canceled, context.DeadlineExceeded} {
		if strings.HasSuffix(s, e.Error()) {
			return true
		}
	}
	return false
}
