package gcp

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// fakeRT answers the tries in order: a status (with an optional
// Retry-After) or a network error; every body it was sent is kept.
type fakeRT struct {
	answers []fakeAnswer
	bodies  []string
}

type fakeAnswer struct {
	status     int
	retryAfter string
	body       string
	err        error
}

func (f *fakeRT) RoundTrip(r *http.Request) (*http.Response, error) {
	b := ""
	if r.Body != nil {
		raw, _ := io.ReadAll(r.Body)
		b = string(raw)
	}
	f.bodies = append(f.bodies, b)
	a := fakeAnswer{status: 200, body: `{}`}
	if n := len(f.bodies) - 1; n < len(f.answers) {
		a = f.answers[n]
	}
	if a.err != nil {
		return nil, a.err
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if a.retryAfter != "" {
		h.Set("Retry-After", a.retryAfter)
	}
	if a.body == "" {
		a.body = `{"error":{"code":` + http.StatusText(a.status) + `}}`
	}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

func newRetryRT(answers ...fakeAnswer) (*retryTransport, *fakeRT, *sleeps) {
	f := &fakeRT{answers: answers}
	s := &sleeps{}
	p := RetryPolicy{Initial: 100 * time.Millisecond, Max: time.Second, Budget: time.Minute, Sleep: s.sleep}.withDefaults()
	return &retryTransport{base: f, policy: &p}, f, s
}

func post(t *testing.T, rt http.RoundTripper, ctx context.Context, body string) (*http.Response, error) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "POST", "http://google.test/v1/things", strings.NewReader(body))
	return rt.RoundTrip(req)
}

// Each transient status is retried, with its body replayed, and the
// answer after it returned; no test sleeps.
func TestRetryTransportRetriesEachTransientStatus(t *testing.T) {
	for _, status := range []int{429, 500, 502, 503, 504} {
		rt, f, s := newRetryRT(fakeAnswer{status: status})
		resp, err := post(t, rt, context.Background(), `{"accountId":"x"}`)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%d: resp %v, err %v; want the retry's 200", status, resp, err)
		}
		if len(f.bodies) != 2 || f.bodies[0] != f.bodies[1] || f.bodies[1] != `{"accountId":"x"}` {
			t.Errorf("%d: bodies sent = %q, want the same body twice", status, f.bodies)
		}
		if w := s.recorded(); len(w) != 1 || w[0] < 50*time.Millisecond || w[0] > 100*time.Millisecond {
			t.Errorf("%d: waits = %v, want one within [50ms, 100ms]", status, w)
		}
	}
}

func TestRetryTransportNetworkErrors(t *testing.T) {
	rt, f, _ := newRetryRT(fakeAnswer{err: syscall.ECONNRESET}, fakeAnswer{err: io.ErrUnexpectedEOF})
	if resp, err := post(t, rt, context.Background(), "b"); err != nil || resp.StatusCode != 200 || len(f.bodies) != 3 {
		t.Errorf("reset, truncated, ok: %v %v after %d tries", resp, err, len(f.bodies))
	}
	// Nothing listening: not worth a retry.
	rt, f, _ = newRetryRT(fakeAnswer{err: syscall.ECONNREFUSED})
	if _, err := post(t, rt, context.Background(), "b"); !errors.Is(err, syscall.ECONNREFUSED) || len(f.bodies) != 1 {
		t.Errorf("refused: %v after %d tries", err, len(f.bodies))
	}
	// A create that names nothing is not resent once it may have arrived...
	rt, f, _ = newRetryRT(fakeAnswer{err: syscall.ECONNRESET})
	if _, err := post(t, rt, noAmbiguousRetry(context.Background()), "b"); err == nil || len(f.bodies) != 1 {
		t.Errorf("ambiguous create: %v after %d tries, want the reset after one", err, len(f.bodies))
	}
	// ...nor after an answer that leaves it open (500, 502, 504)...
	for _, code := range []int{500, 502, 504} {
		rt, f, _ = newRetryRT(fakeAnswer{status: code})
		if resp, err := post(t, rt, noAmbiguousRetry(context.Background()), "b"); err != nil || resp.StatusCode != code || len(f.bodies) != 1 {
			t.Errorf("%d on a create: %v %v after %d tries, want the %d after one", code, resp, err, len(f.bodies), code)
		}
	}
	// ...but a 503 (not applied) is.
	rt, f, _ = newRetryRT(fakeAnswer{status: 503})
	if resp, err := post(t, rt, noAmbiguousRetry(context.Background()), "b"); err != nil || resp.StatusCode != 200 || len(f.bodies) != 2 {
		t.Errorf("503 on a create: %v %v after %d tries", resp, err, len(f.bodies))
	}
}

func TestRetryTransportHonoursRetryAfterAndRateLimit403(t *testing.T) {
	rt, _, s := newRetryRT(fakeAnswer{status: 429, retryAfter: "7"},
		fakeAnswer{status: 403, body: `{"error":{"code":403,"errors":[{"reason":"rateLimitExceeded"}]}}`})
	if resp, err := post(t, rt, context.Background(), ""); err != nil || resp.StatusCode != 200 {
		t.Fatalf("resp %v, err %v", resp, err)
	}
	if w := s.recorded(); len(w) != 2 || w[0] != 7*time.Second {
		t.Errorf("waits = %v, want Retry-After's 7s first", w)
	}
	// A real denial is returned at once, its body intact.
	rt, f, _ := newRetryRT(fakeAnswer{status: 403, body: `{"error":{"code":403,"status":"PERMISSION_DENIED"}}`})
	resp, _ := post(t, rt, context.Background(), "")
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || len(f.bodies) != 1 || !strings.Contains(string(b), "PERMISSION_DENIED") {
		t.Errorf("denial: %d after %d tries, body %s", resp.StatusCode, len(f.bodies), b)
	}
}

// The budget is time, and the final answer says how long it tried.
func TestRetryTransportTimeBudget(t *testing.T) {
	var answers []fakeAnswer
	for range 100 {
		answers = append(answers, fakeAnswer{status: 503})
	}
	rt, f, s := newRetryRT(answers...)
	resp, err := post(t, rt, context.Background(), "")
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("resp %v, err %v", resp, err)
	}
	var total time.Duration
	for _, w := range s.recorded() {
		total += w
	}
	if total != time.Minute || len(f.bodies) < 10 || len(f.bodies) > 100 {
		t.Errorf("waited %v over %d tries, want the 1m budget exactly", total, len(f.bodies))
	}
	note := resp.Header.Get(retriedHeader)
	if !strings.HasSuffix(note, "tries in 1m0s") {
		t.Errorf("retried note = %q", note)
	}
}

func TestRetryTransportStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	f := &fakeRT{answers: []fakeAnswer{{status: 503}, {status: 503}}}
	p := RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }}.withDefaults()
	rt := &retryTransport{base: f, policy: &p}
	if _, err := post(t, rt, ctx, ""); !errors.Is(err, context.Canceled) || len(f.bodies) != 1 {
		t.Errorf("err = %v after %d tries, want canceled after one", err, len(f.bodies))
	}
}

// An answer to act on after a retry (a retried write meeting 409) is not
// dressed up as a budget that ran out.
func TestRetryTransportFinalAnswerNotMarked(t *testing.T) {
	rt, _, _ := newRetryRT(fakeAnswer{status: 503}, fakeAnswer{status: 409, body: `{"error":{"code":409,"status":"ALREADY_EXISTS"}}`})
	resp, err := post(t, rt, context.Background(), "b")
	if err != nil || resp.StatusCode != 409 || resp.Header.Get(retriedHeader) != "" {
		t.Errorf("resp %v (note %q), err %v", resp, resp.Header.Get(retriedHeader), err)
	}
}
