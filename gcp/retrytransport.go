package gcp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// retryTransport retries every request fedctl sends to Google — generated
// clients, the BigQuery client, token requests, the streaming audit reader
// — on the transient failures Google documents as retryable: HTTP 429, 500,
// 502, 503, 504 (and 403 rateLimitExceeded, BigQuery's 429), and a
// connection reset or truncated answer. It waits the policy's jittered
// backoff, or the server's Retry-After when longer, within the policy's
// time budget, and stops when the request's context ends. Being the
// transport, no call can skip it.
//
// Bodies are replayed from GetBody (or a copy taken first). A retried
// request may have been applied already; each typed operation makes its
// retry safe: writes carry an etag (a stale one is a conflict that redoes
// the read-modify-write), creates name their resource (409 ALREADY_EXISTS
// after a retried create is success when the resource is ours:
// Client.createdMeanwhile), and a create that names nothing (a key) is not
// retried once its request may have reached Google (noAmbiguousRetry).
type retryTransport struct {
	base   http.RoundTripper
	policy *RetryPolicy
}

// retriedHeader is set on the final response of a request that was tried
// more than once, with the summary ("3 tries in 1.5s"); Classify reads it
// back into Error.Retried. It never leaves the process.
const retriedHeader = "X-Fedctl-Retried"

// rateLimitPeek bounds how much of a 403 body is read to tell BigQuery's
// rateLimitExceeded from a real denial.
const rateLimitPeek = 16 << 10

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	getBody := req.GetBody
	if req.Body != nil && req.Body != http.NoBody && getBody == nil {
		buf, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		getBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
	}
	b := t.policy.start()
	for {
		try := req
		if getBody != nil && (b.tries > 0 || req.GetBody == nil) {
			try = req.Clone(ctx)
			body, err := getBody()
			if err != nil {
				return nil, err
			}
			try.Body = body
		}
		resp, err := t.base.RoundTrip(try)
		b.tries++
		countTry(ctx)
		retry, ra := t.retryable(ctx, resp, err)
		if !retry || ctx.Err() != nil {
			return resp, err // an answer to act on (a retried write's 409 included)
		}
		wait, ok := b.next(ra)
		if !ok {
			return t.gaveUp(b, resp, err)
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if serr := b.wait(ctx, wait); serr != nil {
			return nil, serr
		}
	}
}

// retryable says whether the answer (or failure) is transient, and the
// server's Retry-After.
func (t *retryTransport) retryable(ctx context.Context, resp *http.Response, err error) (bool, time.Duration) {
	if err != nil {
		if ctx.Value(noAmbiguousRetryKey{}) != nil {
			return false, 0 // the request may have been applied
		}
		return isRetryableNetworkError(err), 0
	}
	if transientStatus(resp.StatusCode) {
		if ctx.Value(noAmbiguousRetryKey{}) != nil && ambiguousStatus(resp.StatusCode) {
			return false, 0 // the request may have been applied
		}
		return true, parseRetryAfter(resp.Header.Get("Retry-After"))
	}
	if resp.StatusCode == http.StatusForbidden && resp.Body != nil {
		peek, _ := io.ReadAll(io.LimitReader(resp.Body, rateLimitPeek))
		resp.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(peek), resp.Body), resp.Body}
		s := string(peek)
		if strings.Contains(s, `"rateLimitExceeded"`) || strings.Contains(s, `"userRateLimitExceeded"`) {
			return true, parseRetryAfter(resp.Header.Get("Retry-After"))
		}
	}
	return false, 0
}

// gaveUp returns the last (transient) failure once the budget is spent,
// noting on it how long the request was tried.
func (t *retryTransport) gaveUp(b *budget, resp *http.Response, err error) (*http.Response, error) {
	if b.tries <= 1 {
		return resp, err
	}
	if err != nil {
		return nil, &RetriedError{Err: err, Summary: b.summary()}
	}
	resp.Header = resp.Header.Clone()
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set(retriedHeader, b.summary())
	return resp, nil
}

// ambiguousStatus: an answer after which the request may have been carried
// out. 504 is DEADLINE_EXCEEDED ("the operation may have completed
// successfully", google.rpc.Code), and 500/502 say nothing about it; 429
// and 503 refuse the request before it is processed.
func ambiguousStatus(code int) bool {
	return code == http.StatusInternalServerError || code == http.StatusBadGateway || code == http.StatusGatewayTimeout
}

// noAmbiguousRetryKey marks a request that must not be sent again once it
// may have reached Google (a create that names nothing: a second one would
// make a second resource). Answers that say it was not applied (429, 5xx)
// are still retried.
type noAmbiguousRetryKey struct{}

func noAmbiguousRetry(ctx context.Context) context.Context {
	return context.WithValue(ctx, noAmbiguousRetryKey{}, true)
}

// triesKey carries a counter of the HTTP tries made under a context.
type triesKey struct{}

// countingTries returns a context under which the transport counts its
// tries, and the counter.
func countingTries(ctx context.Context) (context.Context, *atomic.Int32) {
	n := new(atomic.Int32)
	return context.WithValue(ctx, triesKey{}, n), n
}

func countTry(ctx context.Context) {
	if n, ok := ctx.Value(triesKey{}).(*atomic.Int32); ok {
		n.Add(1)
	}
}

// describeRetried is the note Classify adds for a request the transport
// tried more than once.
func describeRetried(h http.Header) string {
	if h == nil {
		return ""
	}
	if s := h.Get(retriedHeader); s != "" {
		return fmt.Sprintf("gave up after %s", s)
	}
	return ""
}
