package gcp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/api/googleapi"
)

// RetryPolicy says how patiently to retry. Zero fields take DefaultRetry's
// values.
//
// The limit is a time budget, not a number of tries: at a high rate of
// transient errors, or under a busy concurrent writer, what matters is how
// long Google may take to recover, not how many times we asked.
type RetryPolicy struct {
	// Budget is how long one call may keep retrying: the waits asked for,
	// or the wall time since the first try when that is longer.
	Budget time.Duration
	// Attempts, when > 0, also caps the tries, the first included
	// (Attempts: 1 turns retries off).
	Attempts int
	// Initial is the first backoff; each next one doubles, up to Max.
	Initial, Max time.Duration
	// Sleep waits d or until ctx is done (then it returns ctx's error).
	// Tests inject a recorder so that they never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetry: jittered exponential backoff from 250ms to 8s for up to two
// minutes. Google asks clients to retry 429/5xx and ABORTED with
// exponential backoff (https://cloud.google.com/iam/docs/retry-strategy:
// "truncated exponential backoff", maximum backoff 32-64s, retrying for
// minutes); two minutes rides out the outages a CLI user would wait for.
var DefaultRetry = RetryPolicy{
	Budget:  2 * time.Minute,
	Initial: 250 * time.Millisecond,
	Max:     8 * time.Second,
	Sleep:   Sleep,
}

// maxRetryAfter bounds how long a server's Retry-After can park us.
const maxRetryAfter = time.Minute

// Sleep waits d or until ctx is done (then it returns ctx's error): the
// real RetryPolicy.Sleep, for every wait of fedctl's that tests replace.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// withDefaults fills zero fields from DefaultRetry.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Budget <= 0 {
		p.Budget = DefaultRetry.Budget
	}
	if p.Initial <= 0 {
		p.Initial = DefaultRetry.Initial
	}
	if p.Max <= 0 {
		p.Max = max(DefaultRetry.Max, p.Initial)
	}
	if p.Sleep == nil {
		p.Sleep = DefaultRetry.Sleep
		if p.Sleep == nil {
			p.Sleep = Sleep
		}
	}
	return p
}

// Backoff is the jittered exponential backoff before try number attempt+1:
// initial·2^(attempt-1) capped at max, with "equal jitter" (between half and
// all of it) so that concurrent clients retrying the same thing spread out.
// It is the one backoff of fedctl: retries, policy conflicts, eventual
// consistency and operation polls all wait by it.
func Backoff(initial, maxWait time.Duration, attempt int) time.Duration {
	d := initial
	for i := 1; i < attempt && d < maxWait; i++ {
		d *= 2
	}
	d = min(d, maxWait)
	half := d / 2
	return half + rand.N(d-half+1)
}

// budget tracks one call's retries against the policy.
type budget struct {
	p      RetryPolicy
	start  time.Time
	waited time.Duration
	tries  int
}

func (p RetryPolicy) start() *budget {
	return &budget{p: p.withDefaults(), start: time.Now()}
}

// spent is the time the call has taken: the waits asked for, or the wall
// time when that is longer (an injected Sleep does not pass wall time).
func (b *budget) spent() time.Duration { return max(b.waited, time.Since(b.start)) }

// next reports how long to wait before another try after b.tries tries
// (at least ra, the server's Retry-After), or false when the budget or the
// attempts are used up.
func (b *budget) next(ra time.Duration) (time.Duration, bool) {
	if b.p.Attempts > 0 && b.tries >= b.p.Attempts {
		return 0, false
	}
	left := b.p.Budget - b.spent()
	if left <= 0 || ra > left {
		return 0, false
	}
	// The last wait is cut to the budget, so that a call tries once more
	// at its deadline rather than giving up early.
	return min(max(Backoff(b.p.Initial, b.p.Max, b.tries), ra), left), true
}

// wait sleeps d (ctx-aware) and counts it.
func (b *budget) wait(ctx context.Context, d time.Duration) error {
	b.waited += d
	return b.p.Sleep(ctx, d)
}

// summary says how long a call tried: "3 tries in 4.2s".
func (b *budget) summary() string {
	return fmt.Sprintf("%d tries in %s", b.tries, b.spent().Round(100*time.Millisecond))
}

// Do calls fn until it succeeds, returns an error retryable rejects, the
// budget runs out, or ctx is done. Between tries it waits the policy's
// backoff, or the server's Retry-After when that is longer. When it gives
// up on a retryable error it returns that error noting how long it tried
// (a *RetriedError); when ctx ends a wait, ctx's error.
//
// Transient HTTP failures need no Do: the Client's transport retries them
// for every call. Do is for what only the caller can judge: a policy
// conflict (redo the whole read-modify-write), IAM's eventual consistency.
func Do(ctx context.Context, p RetryPolicy, retryable func(error) bool, fn func() error) error {
	b := p.start()
	for {
		err := fn()
		b.tries++
		if err == nil {
			return nil
		}
		if retryable == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait, ok := b.next(retryAfter(err))
		if !ok {
			if b.tries == 1 {
				return err
			}
			return &RetriedError{Err: err, Summary: b.summary()}
		}
		if serr := b.wait(ctx, wait); serr != nil {
			return serr
		}
	}
}

// RetriedError is a retryable error that persisted until the retry budget
// ran out; Summary says how long it was tried ("7 tries in 1m58s").
type RetriedError struct {
	Err     error
	Summary string
}

func (e *RetriedError) Error() string { return e.Err.Error() + " (gave up after " + e.Summary + ")" }
func (e *RetriedError) Unwrap() error { return e.Err }

// IsTransient reports whether err is worth retrying as is: HTTP 429, 500,
// 502, 503, 504, a rate-limit reason on another status (BigQuery answers
// 403 rateLimitExceeded), or a network failure such as a reset connection or
// a truncated response. Context cancellation and deadlines are not
// transient. The transport retries all of these already; a caller that
// still sees one has seen the budget run out.
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	e := Classify(err)
	if transientStatus(e.Code) {
		return true
	}
	switch e.Reason {
	case "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED":
		return true
	}
	return e.Code == 0 && isRetryableNetworkError(err)
}

func transientStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// retryAfter is the server's Retry-After carried by err, capped; 0 when
// absent.
func retryAfter(err error) time.Duration {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Header == nil {
		return 0
	}
	return parseRetryAfter(ge.Header.Get("Retry-After"))
}

// parseRetryAfter reads Retry-After (delta-seconds or an HTTP date), capped
// at maxRetryAfter; 0 when absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.Atoi(v); err == nil {
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), maxRetryAfter)
}
