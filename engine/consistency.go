package engine

import (
	"context"
	"net/http"
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

// notYetVisible reports whether err is IAM's eventual consistency showing
// through for a service account created moments ago (gcp-wire §10.3): a 404
// on the account or its policy, the 403 Google gives for an account it
// cannot see yet ("... denied on resource (or it may not exist)"), or the 400
// "Service account X does not exist." when it is bound.
func notYetVisible(err error) bool {
	e := gcp.Classify(err)
	if e == nil {
		return false
	}
	msg := strings.ToLower(e.Message)
	switch e.Kind {
	case gcp.KindNotFound:
		return true
	case gcp.KindPermissionDenied:
		return strings.Contains(msg, "may not exist")
	case gcp.KindInvalidArgument, gcp.KindFailedPrecondition:
		return strings.Contains(msg, "does not exist")
	}
	return false
}

// isConflict: a write carried a stale etag.
func isConflict(err error) bool {
	e := gcp.Classify(err)
	return e != nil && (e.Kind == gcp.KindAborted || e.Code == http.StatusPreconditionFailed)
}

// waitVisible runs fn, retrying it with the consistency backoff while it
// fails with notYetVisible — only when the step involves a service account
// created in this run (wait); otherwise such an error is real and returned
// at once.
func (e *Engine) waitVisible(ctx context.Context, wait bool, fn func() error) error {
	if !wait {
		return fn()
	}
	return gcp.Do(ctx, e.opts.Consistency, notYetVisible, fn)
}
