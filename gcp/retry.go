package gcp

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"google.golang.org/api/googleapi"
)

// RetryPolicy says how often and how patiently to retry. Zero fields take
// DefaultRetry's values.
type RetryPolicy struct {
	// Attempts is the total number of tries, the first included.
	Attempts int
	// Initial is the first backoff; each next one doubles, up to Max.
	Initial, Max time.Duration
	// Sleep waits d or until ctx is done (then it returns ctx's error).
	// Tests inject a recorder so that they never sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// DefaultRetry: 6 tries, jittered exponential backoff from 250ms to 8s.
var DefaultRetry = RetryPolicy{
	Attempts: 6,
	Initial:  250 * time.Millisecond,
	Max:      8 * time.Second,
	Sleep:    sleepContext,
}

// maxRetryAfter bounds how long a server's Retry-After can park us.
const maxRetryAfter = time.Minute

func sleepContext(ctx context.Context, d time.Duration) error {
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
	if p.Attempts <= 0 {
		p.Attempts = DefaultRetry.Attempts
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
			p.Sleep = sleepContext
		}
	}
	return p
}

// backoff is the wait before try number attempt+1: Initial·2^(attempt-1)
// capped at Max, with "equal jitter" (between half and all of it) so that
// concurrent writers retrying the same conflict spread out.
func (p RetryPolicy) backoff(attempt int) time.Duration {
	d := p.Initial
	for i := 1; i < attempt && d < p.Max; i++ {
		d *= 2
	}
	d = min(d, p.Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Do calls fn until it succeeds, returns an error retryable rejects, the
// attempts run out, or ctx is done. Between tries it waits the policy's
// backoff, or the server's Retry-After when that is longer. It returns fn's
// last error, or ctx's error if the context ended a wait.
func Do(ctx context.Context, p RetryPolicy, retryable func(error) bool, fn func() error) error {
	p = p.withDefaults()
	for attempt := 1; ; attempt++ {
		err := fn()
		if err == nil {
			return nil
		}
		if attempt >= p.Attempts || retryable == nil || !retryable(err) || ctx.Err() != nil {
			return err
		}
		wait := p.backoff(attempt)
		if ra := retryAfter(err); ra > wait {
			wait = ra
		}
		if serr := p.Sleep(ctx, wait); serr != nil {
			return serr
		}
	}
}

// IsTransient reports whether err is worth retrying as is: HTTP 429, 500,
// 502, 503, 504, a rate-limit reason on another status (BigQuery answers
// 403 rateLimitExceeded), or a network failure such as a reset connection or
// a truncated response. Context cancellation and deadlines are not
// transient. The wait honours Retry-After (see Do).
func IsTransient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	e := Classify(err)
	switch e.Code {
	case http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	switch e.Reason {
	case "rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED":
		return true
	}
	return e.Code == 0 && isRetryableNetworkError(err)
}

// retryAfter is the server's Retry-After (delta-seconds or HTTP date), capped
// at maxRetryAfter; 0 when absent.
func retryAfter(err error) time.Duration {
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Header == nil {
		return 0
	}
	v := ge.Header.Get("Retry-After")
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

// do runs an API call under the Client's retry policy, retrying transient
// errors.
func (c *Client) do(ctx context.Context, fn func() error) error {
	return Do(ctx, c.retry, IsTransient, fn)
}
