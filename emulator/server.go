package emulator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure a Server.
type Options struct {
	// Seed is the initial project when no state file exists (DefaultSeed).
	Seed Seed
	// StatePath persists the state (JSON, 0600) after every mutating request.
	// Each request locks the file only while it is handled and first reloads
	// it if another server wrote it, so servers may share it (state_sync.go).
	// Empty: in memory, no file and no lock.
	StatePath string
	// LockWait is how long a request waits for another process to release
	// the state file's lock before failing (default 10s; tests use a tiny
	// value).
	LockWait time.Duration
	// Latency is added to every request (SPEC §6 benchmarks).
	Latency time.Duration
	// RecordRequests keeps a log of every request (route, method, path,
	// start and end times) for Requests: tests assert what overlapped.
	RecordRequests bool
	// PropagationDelay: a new IAM grant is visible in getIamPolicy at once but
	// counts for authorization only after this long (gcp-wire §10.3.4).
	PropagationDelay time.Duration
	// VisibilityDelay: a just-created service account answers 404 to get and
	// 400 "does not exist" when bound, for this long (gcp-wire §10.3.1-2).
	VisibilityDelay time.Duration
	// OperationPolls is how many operations.get calls answer done:false
	// before an LRO completes (default 1, so clients must poll;
	// DoneOnFirstPoll: the first poll completes it; DoneAtCreation or any
	// other negative value: operations are done when created).
	OperationPolls int
	// Now is the clock (default time.Now). Tests use a FakeClock.
	Now func() time.Time
	// Hook, when set, runs before each request is handled, outside the state
	// lock, with the route name ("iam.projects.serviceAccounts.setIamPolicy"): tests
	// use it to act as a concurrent writer between a read and a write.
	Hook func(route string, r *http.Request)
}

// OperationPolls values besides a count.
const (
	// DoneAtCreation: an LRO is done in the response that creates it.
	DoneAtCreation = -1
	// DoneOnFirstPoll: an LRO is pending when created and done on the
	// first operations.get (the SPEC §6 benchmark emulator).
	DoneOnFirstPoll = -2
)

// Server is the emulated Google Cloud. Safe for concurrent use.
type Server struct {
	opts   Options
	routes map[string][]*route // by service prefix

	mu   sync.Mutex // guards st, seen, faults and the fields below; taken before the file lock
	st   *State
	seen fileStamp // the state file as this server last read or wrote it

	// Batched saves (state_sync.go): the file lock while unsaved changes
	// are pending, whether there are any, the timer that saves them, the
	// last save's duration, and a batched save's failure.
	held       *fileLock
	dirty      bool
	flushTimer *time.Timer
	lastSave   time.Duration
	saveErr    error
	batchDelay time.Duration // tests: batch with this window, whatever a save takes

	faults []*Fault

	reqLog requestLog

	stats struct {
		total, writes atomic.Int64
		mu            sync.Mutex
		byRoute       map[string]int64
	}

	urlMu sync.RWMutex
	url   string
	hs    *http.Server
}

// route is one API method.
type route struct {
	Service string // first path segment: "iam", "bigquery", ...
	Method  string // HTTP method
	Pattern string // regexp over the path after the service prefix
	Name    string // API method id, e.g. "iam.projects.serviceAccounts.create"
	Mutates bool   // changes state (counted as a write; persisted)
	// NoAuth: the method needs no bearer token (token endpoints).
	NoAuth  bool
	Handler func(c *call) (any, error)
	re      *regexp.Regexp
}

// registrars add each API's routes; every API file registers itself in init.
var registrars []func(s *Server)

func registerAPI(f func(s *Server)) { registrars = append(registrars, f) }

// New builds a server, loading the state file when given (or creating it from
// the seed). The file is not held: each request locks it while it runs.
func New(opts Options) (*Server, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.OperationPolls == 0 {
		opts.OperationPolls = 1
	}
	if opts.LockWait == 0 {
		opts.LockWait = 10 * time.Second
	}
	s := &Server{opts: opts, routes: map[string][]*route{}}
	s.stats.byRoute = map[string]int64{}
	if opts.StatePath != "" {
		if err := os.MkdirAll(filepath.Dir(opts.StatePath), 0o700); err != nil {
			return nil, err
		}
		// Read it now, so that a corrupt or stuck file fails New.
		if err := s.transact(func() (bool, error) { return false, nil }); err != nil {
			return nil, err
		}
	} else {
		s.st = NewState(opts.Seed, opts.Now())
	}
	for _, r := range registrars {
		r(s)
	}
	return s, nil
}

func (s *Server) handle(r *route) {
	r.re = regexp.MustCompile(r.Pattern)
	s.routes[r.Service] = append(s.routes[r.Service], r)
}

// Listen serves on addr ("127.0.0.1:0" for any port) in the background and
// returns the endpoint root URL with its trailing slash.
func (s *Server) Listen(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	url := "http://" + ln.Addr().String() + "/"
	s.setURL(url)
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.hs.Serve(ln)
	return url, nil
}

// Serve serves on an existing listener until it fails or Close is called.
func (s *Server) Serve(ln net.Listener) error {
	s.setURL("http://" + ln.Addr().String() + "/")
	s.hs = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	err := s.hs.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (s *Server) setURL(u string) {
	s.urlMu.Lock()
	s.url = u
	s.urlMu.Unlock()
}

// URL is the endpoint root ("http://127.0.0.1:PORT/"), once listening.
func (s *Server) URL() string {
	s.urlMu.RLock()
	defer s.urlMu.RUnlock()
	return s.url
}

// Close stops serving and saves the state a last time (under the file lock).
func (s *Server) Close() error {
	var errs []error
	if s.hs != nil {
		// Give requests in flight a moment, then drop whatever is left: a
		// client that abandoned a call must not turn stopping into an error.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := s.hs.Shutdown(ctx); err != nil {
			s.hs.Close()
		}
		cancel()
	}
	// Requests save as they go; this keeps what changed without a save (LRO
	// poll counts) unless another process wrote since, whose state wins.
	errs = append(errs, s.transact(func() (bool, error) { return true, nil }))
	s.mu.Lock()
	s.flushLocked() // a batch still pending: save it now
	errs = append(errs, s.saveErr)
	s.saveErr = nil
	s.mu.Unlock()
	return errors.Join(errs...)
}

// OperatorToken mints a token for the seed's operator (what `sandbox serve`
// prints and --sandbox uses). Valid for 12 hours.
func (s *Server) OperatorToken() string {
	op := s.opts.Seed.Operator
	if op == "" {
		op = DefaultSeed.Operator
	}
	return s.MintToken(Identity{Principal: op, Expiry: s.opts.Now().Add(12 * time.Hour).Unix()})
}

// MintToken mints a token for any identity (tests acting as a given user,
// SA or federated principal; a chain models impersonation). It uses the MAC
// secret of the state file's latest state (another process may have reset
// it), or, when the file cannot be read, of the last state this server saw.
func (s *Server) MintToken(id Identity) string {
	if id.Expiry == 0 {
		id.Expiry = s.opts.Now().Add(time.Hour).Unix()
	}
	var secret []byte
	s.transact(func() (bool, error) { secret = s.st.Secret; return false, nil })
	if secret == nil {
		s.mu.Lock()
		secret = s.st.Secret
		s.mu.Unlock()
	}
	return mintToken(secret, &id)
}

// WithState runs f on the latest state, locked (tests seed or inspect it;
// the sandbox command resets it). Changes are persisted unless f fails.
func (s *Server) WithState(f func(st *State) error) error {
	return s.transact(func() (bool, error) {
		if err := f(s.st); err != nil {
			return false, err
		}
		return true, nil
	})
}

// Reset replaces the state with a fresh one from the seed.
func (s *Server) Reset() error {
	return s.WithState(func(st *State) error {
		*st = *NewState(s.opts.Seed, s.opts.Now())
		return nil
	})
}

// Stats are request counts.
type Stats struct {
	Total   int64            // every request
	Writes  int64            // requests to mutating methods
	ByRoute map[string]int64 // by route name (unknown routes as "unknown")
}

// Stats returns a snapshot of the request counts.
func (s *Server) Stats() Stats {
	s.stats.mu.Lock()
	defer s.stats.mu.Unlock()
	m := make(map[string]int64, len(s.stats.byRoute))
	for k, v := range s.stats.byRoute {
		m[k] = v
	}
	return Stats{Total: s.stats.total.Load(), Writes: s.stats.writes.Load(), ByRoute: m}
}

// ResetStats zeroes the request counts.
func (s *Server) ResetStats() {
	s.stats.mu.Lock()
	s.stats.byRoute = map[string]int64{}
	s.stats.mu.Unlock()
	s.stats.total.Store(0)
	s.stats.writes.Store(0)
}

// String lists the counts by route, for benchmark output.
func (st Stats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests (%d writes)", st.Total, st.Writes)
	for _, k := range sortedKeys(st.ByRoute) {
		fmt.Fprintf(&b, "\n  %-60s %d", k, st.ByRoute[k])
	}
	return b.String()
}

// Fault makes matching requests fail before they are handled.
type Fault struct {
	Route  string // route name to match ("" = any)
	Times  int    // how many requests fail (then the fault is spent)
	Status int    // HTTP status: 429, 500, 503 ...
	// RetryAfter, when set, is sent as the Retry-After header (seconds).
	RetryAfter string
}

// InjectFault adds a fault (429/5xx injection for retry tests).
func (s *Server) InjectFault(f Fault) {
	s.mu.Lock()
	s.faults = append(s.faults, &f)
	s.mu.Unlock()
}

func (s *Server) takeFault(name string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Times > 0 && (f.Route == "" || f.Route == name) {
			f.Times--
			return f
		}
	}
	return nil
}

var statusNames = map[int]string{429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 502: "UNAVAILABLE", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED"}

// ServeHTTP routes ENDPOINT/SERVICE/PATH to the API method.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := -1
	if s.opts.RecordRequests {
		rec = s.reqLog.begin(r.Method, r.URL.Path)
		defer s.reqLog.end(rec)
	}
	if s.opts.Latency > 0 {
		t := time.NewTimer(s.opts.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	s.stats.total.Add(1)
	service, path := splitService(r.URL.Path)
	rt, args := s.match(service, r.Method, path)
	name := "unknown"
	if rt != nil {
		name = rt.Name
	}
	s.stats.mu.Lock()
	s.stats.byRoute[name]++
	s.stats.mu.Unlock()
	s.reqLog.route(rec, name)
	if rt == nil {
		errNotFoundHTML(r.URL.Path).write(w)
		return
	}
	if rt.Mutates {
		s.stats.writes.Add(1)
	}
	if s.opts.Hook != nil {
		s.opts.Hook(name, r)
	}
	if f := s.takeFault(name); f != nil {
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		st := statusNames[f.Status]
		if st == "" {
			st = "UNKNOWN"
		}
		writeErrFor(service, w, &apiError{HTTP: f.Status, Status: st, Message: "The service is currently unavailable."})
		return
	}
	c, err := newCall(s, w, r, service, path, args)
	if err != nil {
		writeErrFor(service, w, err)
		return
	}
	var out any
	err = s.transact(func() (bool, error) {
		c.now = s.opts.Now()
		c.st = s.st
		if !rt.NoAuth {
			if _, err := c.caller(); err != nil {
				return false, err
			}
			if err := c.authorizeRoute(rt.Name); err != nil {
				return false, err
			}
		}
		var err error
		out, err = rt.Handler(c)
		if rt.Mutates && err == nil {
			c.auditKeyActivity(rt)
		}
		return (rt.Mutates && err == nil) || c.dirty, err
	})
	if errors.Is(err, errStateInUse) {
		err = &apiError{HTTP: http.StatusServiceUnavailable, Status: "UNAVAILABLE", Message: err.Error()}
	}
	if err != nil {
		writeErrFor(service, w, err)
		return
	}
	if c.replied {
		return
	}
	if out == nil {
		out = struct{}{} // Google answers Empty as {} (a 200 with no body breaks clients)
	}
	writeJSON(w, http.StatusOK, out)
}

func writeErr(w http.ResponseWriter, err error) { writeErrFor("", w, err) }

// writeErrFor writes err as the named service answers errors: BigQuery's
// always carry errors[].
func writeErrFor(service string, w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{HTTP: 500, Status: "INTERNAL", Message: "Internal error encountered."}
	}
	if service == "bigquery" {
		ae = asBigQuery(ae)
	}
	ae.write(w)
}

// splitService splits "/iam/v1/projects/p" into ("iam", "/v1/projects/p");
// BigQuery's "/bigquery/bigquery/v2/projects/p" into ("bigquery", "/projects/p").
func splitService(p string) (service, rest string) {
	p = strings.TrimPrefix(p, "/")
	service, rest, _ = strings.Cut(p, "/")
	rest = "/" + rest
	if service == "bigquery" {
		rest = "/" + strings.TrimPrefix(strings.TrimPrefix(rest, "/"), "bigquery/v2/")
	}
	return service, rest
}

func (s *Server) match(service, method, path string) (*route, []string) {
	for _, rt := range s.routes[service] {
		if rt.Method != method {
			continue
		}
		if m := rt.re.FindStringSubmatch(path); m != nil {
			return rt, m[1:]
		}
	}
	return nil, nil
}

// RouteNames lists every registered API method (documentation, tests).
func (s *Server) RouteNames() []string {
	var names []string
	for _, rs := range s.routes {
		for _, r := range rs {
			names = append(names, r.Name)
		}
	}
	sort.Strings(names)
	return names
}
