package gcp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
)

func TestDoRetriesTransientWithBackoff(t *testing.T) {
	s := &sleeps{}
	p := RetryPolicy{Attempts: 5, Initial: 100 * time.Millisecond, Max: 300 * time.Millisecond, Sleep: s.sleep}
	calls := 0
	err := Do(context.Background(), p, IsTransient, func() error {
		calls++
		if calls < 5 {
			return &googleapi.Error{Code: 503}
		}
		return nil
	})
	if err != nil || calls != 5 {
		t.Fatalf("err=%v calls=%d, want success on the 5th call", err, calls)
	}
	// Equal jitter: each wait is within [d/2, d] of 100, 200, 300 (capped), 300.
	bases := []time.Duration{100, 200, 300, 300}
	waits := s.recorded()
	if len(waits) != len(bases) {
		t.Fatalf("waits = %v, want %d of them", waits, len(bases))
	}
	for i, w := range waits {
		d := bases[i] * time.Millisecond
		if w < d/2 || w > d {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, d/2, d)
		}
	}
}

func TestDoGivesUpAndReturnsLastError(t *testing.T) {
	s := &sleeps{}
	calls := 0
	err := Do(context.Background(), RetryPolicy{Attempts: 3, Sleep: s.sleep}, IsTransient, func() error {
		calls++
		return &googleapi.Error{Code: 500, Message: fmt.Sprint("try ", calls)}
	})
	if calls != 3 || len(s.recorded()) != 2 {
		t.Fatalf("calls=%d waits=%v, want 3 calls and 2 waits", calls, s.recorded())
	}
	if ge, ok := errors.AsType[*googleapi.Error](err); !ok || ge.Message != "try 3" {
		t.Errorf("err = %v, want the last attempt's", err)
	}
}

func TestDoStopsWhenContextEndsDuringWait(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	sleep := func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
	err := Do(ctx, RetryPolicy{Attempts: 6, Sleep: sleep}, IsTransient, func() error {
		calls++
		return &googleapi.Error{Code: 503}
	})
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("err=%v calls=%d, want context.Canceled after one call", err, calls)
	}
	// The real sleep honours cancellation too.
	if err := Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep on a canceled context = %v", err)
	}
}

func TestIsTransient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&googleapi.Error{Code: 429}, true},
		{&googleapi.Error{Code: 500}, true},
		{&googleapi.Error{Code: 502}, true},
		{&googleapi.Error{Code: 503}, true},
		{&googleapi.Error{Code: 504}, true},
		{&googleapi.Error{Code: 400}, false},
		{&googleapi.Error{Code: 403}, false},
		{&googleapi.Error{Code: 404}, false},
		{&googleapi.Error{Code: 409}, false},
		{&googleapi.Error{Code: 403, Errors: []googleapi.ErrorItem{{Reason: "rateLimitExceeded"}}}, true},
		{&url.Error{Op: "Post", URL: "http://x", Err: io.ErrUnexpectedEOF}, true},
		{&url.Error{Op: "Post", URL: "http://x", Err: syscall.ECONNRESET}, true},
		{&url.Error{Op: "Post", URL: "http://x", Err: syscall.ECONNREFUSED}, false},
		{fmt.Errorf("wrapped: %w", &googleapi.Error{Code: 503}), true},
		{ctx.Err(), false},
		{&url.Error{Op: "Post", URL: "http://x", Err: context.Canceled}, false},
		{errors.New("boom"), false},
		{nil, false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}

// Through a real client: 503 then 429 with Retry-After, then success; the
// waits are recorded, Retry-After is honoured exactly.
func TestClientRetriesTransientAndHonoursRetryAfter(t *testing.T) {
	var n atomic.Int32
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		switch n.Add(1) {
		case 1:
			reply(w, 503, `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`)
		case 2:
			w.Header().Set("Retry-After", "7")
			reply(w, 429, `{"error":{"code":429,"message":"Quota exceeded","status":"RESOURCE_EXHAUSTED"}}`)
		default:
			reply(w, 200, `{"projectId":"p","projectNumber":"123456789012","lifecycleState":"ACTIVE"}`)
		}
	})
	c, s := newTestClient(t, f, nil)
	p, err := c.GetProject(context.Background(), "p")
	if err != nil {
		t.Fatal(err)
	}
	if p.Number != "123456789012" || p.State != "ACTIVE" {
		t.Errorf("project = %+v", p)
	}
	waits := s.recorded()
	if len(waits) != 2 || len(f.requests()) != 3 {
		t.Fatalf("waits=%v requests=%d, want 2 waits and 3 requests", waits, len(f.requests()))
	}
	if waits[0] > DefaultRetry.Initial || waits[0] < DefaultRetry.Initial/2 {
		t.Errorf("first wait = %v, want the initial backoff", waits[0])
	}
	if waits[1] != 7*time.Second {
		t.Errorf("second wait = %v, want Retry-After's 7s", waits[1])
	}
}

func TestClientDoesNotRetryClientErrors(t *testing.T) {
	for _, status := range []int{400, 403, 404, 409} {
		f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
			reply(w, status, fmt.Sprintf(`{"error":{"code":%d,"message":"no"}}`, status))
		})
		c, s := newTestClient(t, f, nil)
		if _, err := c.GetServiceAccount(context.Background(), "a@p.iam.gserviceaccount.com"); err == nil {
			t.Fatalf("%d: want an error", status)
		}
		if len(f.requests()) != 1 || len(s.recorded()) != 0 {
			t.Errorf("%d: %d requests, waits %v; want exactly one try", status, len(f.requests()), s.recorded())
		}
	}
}

// Classify keeps how long Do tried, also for an error classified before.
func TestClassifyKeepsTheRetrySummary(t *testing.T) {
	s := &sleeps{}
	err := Do(context.Background(), RetryPolicy{Attempts: 3, Sleep: s.sleep}, IsAborted, func() error {
		return &Error{Kind: KindAborted, Code: 409, Message: "concurrent policy changes"}
	})
	e := Classify(err)
	if e.Kind != KindAborted || !strings.HasPrefix(e.Retried, "gave up after 3 tries in") || !strings.Contains(e.Error(), "; gave up after 3 tries") {
		t.Errorf("Classify = %+v (%q)", e, e.Error())
	}
}
