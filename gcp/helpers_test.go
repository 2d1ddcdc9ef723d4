package gcp

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// request is what a fake Google server saw.
type request struct {
	Method string
	Path   string // r.URL.Path
	Query  string // r.URL.RawQuery
	Auth   string // Authorization header
	UA     string
	Body   string
}

// fakeGoogle is an httptest server that records every request and answers
// through handle (by default 404 with an HTML body, as Google does for an
// unknown URL).
type fakeGoogle struct {
	*httptest.Server
	mu     sync.Mutex
	reqs   []request
	handle func(w http.ResponseWriter, r *request)
}

func newFakeGoogle(t *testing.T, handle func(w http.ResponseWriter, r *request)) *fakeGoogle {
	t.Helper()
	f := &fakeGoogle{handle: handle}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		body, _ := io.ReadAll(hr.Body)
		r := request{
			Method: hr.Method, Path: hr.URL.Path, Query: hr.URL.RawQuery,
			Auth: hr.Header.Get("Authorization"), UA: hr.Header.Get("User-Agent"), Body: string(body),
		}
		f.mu.Lock()
		f.reqs = append(f.reqs, r)
		f.mu.Unlock()
		if f.handle == nil {
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, "<!DOCTYPE html><title>Error 404 (Not Found)!!1</title>")
			return
		}
		f.handle(w, &r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGoogle) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func (f *fakeGoogle) paths() []string {
	var out []string
	for _, r := range f.requests() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}

// reply writes a JSON answer the way Google does.
func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

// sleeps records the waits a RetryPolicy asked for, without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) recorded() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient builds a Client against f in override mode (endpoint given
// without the trailing slash, to exercise normalisation) with a recording
// sleep. mutate may adjust the Config.
func newTestClient(t *testing.T, f *fakeGoogle, mutate func(*Config)) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	cfg := Config{
		Endpoint:    f.URL,
		AccessToken: "operator-token",
		UserAgent:   "fedctl/test",
		Retry:       RetryPolicy{Sleep: s.sleep},
	}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c, s
}
