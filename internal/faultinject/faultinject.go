// Package faultinject puts Google's transient faults in front of an
// http.Handler (the emulator's), for tests and the soak: it answers the Nth
// request matching a method and path pattern — or a seeded fraction of
// them — with a 503, 409, 429 (+Retry-After) or 404, or drops the
// connection, and records what it did.
//
// A fault fires either before the request reaches the handler (the call was
// not applied: what a 503 from Google's front end means) or, with
// AfterApply, after the handler has run and its answer is thrown away (the
// call WAS applied but the caller never heard: what a reset connection or a
// 503 on the way back means). The second kind is what makes a retried
// create answer 409 ALREADY_EXISTS.
//
//	inj := faultinject.New(emulatorHandler, 1,
//		faultinject.Fault{Method: "GET", Path: `/workloadIdentityPools/[^/]+$`, Nth: 1, Status: 503})
//	srv := httptest.NewServer(inj)
package faultinject

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
)

// Fault says which requests fail and how.
type Fault struct {
	// Method matches the HTTP method ("" = any).
	Method string
	// Path is a regular expression matched against the URL path
	// ("" = any path).
	Path string
	// Nth (1-based) fails the Nth matching request and, with Times, the
	// Times-1 after it. Zero: Rate decides instead.
	Nth, Times int
	// Rate fails this fraction of matching requests (0..1), drawn from the
	// injector's seeded generator: the same seed fails the same requests.
	Rate float64
	// Status is the HTTP status of the fault (503, 409, 429, 404...), answered
	// with Google's JSON error envelope. Ignored with Reset.
	Status int
	// RPCStatus is the google.rpc.Code name in the envelope (default from
	// Status: UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED, NOT_FOUND...).
	RPCStatus string
	// RetryAfter is sent as the Retry-After header when set ("2").
	RetryAfter string
	// Reset drops the connection without an answer (the client sees a
	// reset / EOF) instead of answering Status.
	Reset bool
	// AfterApply lets the handler apply the request first and then fails
	// the answer.
	AfterApply bool

	re   *regexp.Regexp
	seen int // matching requests so far
}

// Event is one fault that fired.
type Event struct {
	Method, Path string
	// Cause is "503", "409", "429", "404" or "reset"; with AfterApply it
	// ends in " after apply".
	Cause string
}

// Injector is an http.Handler that injects faults in front of another.
// Safe for concurrent use.
type Injector struct {
	next http.Handler

	mu       sync.Mutex
	rnd      *rand.Rand
	faults   []*Fault
	events   []Event
	requests int
}

// New wraps next; seed fixes the Rate draws.
func New(next http.Handler, seed uint64, faults ...Fault) *Injector {
	i := &Injector{next: next, rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	for _, f := range faults {
		i.Add(f)
	}
	return i
}

// Add adds a fault (a bad Path pattern panics: it is a test's own literal).
func (i *Injector) Add(f Fault) {
	f.re = regexp.MustCompile(f.Path)
	if f.Times <= 0 {
		f.Times = 1
	}
	i.mu.Lock()
	i.faults = append(i.faults, &f)
	i.mu.Unlock()
}

// Clear removes every fault (the record stays).
func (i *Injector) Clear() {
	i.mu.Lock()
	i.faults = nil
	i.mu.Unlock()
}

// Events is what fired, in order.
func (i *Injector) Events() []Event {
	i.mu.Lock()
	defer i.mu.Unlock()
	return append([]Event(nil), i.events...)
}

// Requests is how many requests arrived (faulted or not).
func (i *Injector) Requests() int {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.requests
}

// pick returns the fault that fires for r, if any (the first that does).
func (i *Injector) pick(r *http.Request) *Fault {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.requests++
	for _, f := range i.faults {
		if (f.Method != "" && !strings.EqualFold(f.Method, r.Method)) || !f.re.MatchString(r.URL.Path) {
			continue
		}
		f.seen++
		fire := false
		if f.Nth > 0 {
			fire = f.seen >= f.Nth && f.seen < f.Nth+f.Times
		} else if f.Rate > 0 {
			fire = i.rnd.Float64() < f.Rate
		}
		if fire {
			i.events = append(i.events, Event{Method: r.Method, Path: r.URL.Path, Cause: f.cause()})
			return f
		}
	}
	return nil
}

func (f *Fault) cause() string {
	c := fmt.Sprint(f.Status)
	if f.Reset {
		c = "reset"
	}
	if f.AfterApply {
		c += " after apply"
	}
	return c
}

func (i *Injector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := i.pick(r)
	if f == nil {
		i.next.ServeHTTP(w, r)
		return
	}
	if f.AfterApply {
		i.next.ServeHTTP(httptest.NewRecorder(), r) // applied; the answer is lost
	}
	if f.Reset {
		reset(w)
		return
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	writeError(w, f.Status, f.RPCStatus)
}

// reset closes the connection without writing a response.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // the server drops the connection
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

var rpcStatus = map[int]string{
	400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 409: "ABORTED",
	412: "FAILED_PRECONDITION", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE",
	503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}

var messages = map[string]string{
	"UNAVAILABLE":        "The service is currently unavailable.",
	"ABORTED":            "There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
	"RESOURCE_EXHAUSTED": "Quota exceeded.",
	"NOT_FOUND":          "Requested entity was not found.",
	"INTERNAL":           "Internal error encountered.",
	"DEADLINE_EXCEEDED":  "The request timed out.",
}

// writeError answers Google's JSON error envelope (gcp-wire §1.6).
func writeError(w http.ResponseWriter, code int, status string) {
	if status == "" {
		status = rpcStatus[code]
	}
	msg := messages[status]
	if msg == "" {
		msg = http.StatusText(code)
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
}
