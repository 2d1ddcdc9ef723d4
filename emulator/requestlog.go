package emulator

import (
	"sync"
	"time"
)

// Request recording (Options.RecordRequests): each request's route, method,
// path and when it started and ended, so that tests and benchmarks can
// assert what overlapped (an API enable still being polled while service
// accounts are created) and read a request trace.

// maxRecorded bounds the log; requests beyond it are counted in Stats but
// not recorded.
const maxRecorded = 1 << 20

// Request is one recorded request.
type Request struct {
	// Seq numbers requests in the order they arrived (from 1).
	Seq    int64
	Route  string // API method id, "unknown" for no route
	Method string
	Path   string // URL path, e.g. /iam/v1/projects/p/serviceAccounts
	// Start is when the request arrived, before the injected latency;
	// End when its answer was written.
	Start, End time.Time
}

// Overlaps reports whether r and o were in flight at the same time.
func (r Request) Overlaps(o Request) bool {
	return r.Start.Before(o.End) && o.Start.Before(r.End)
}

type requestLog struct {
	mu   sync.Mutex
	seq  int64
	reqs []Request
}

// begin records a request's arrival and returns its index (-1 when the
// log is full).
func (l *requestLog) begin(method, path string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	if len(l.reqs) >= maxRecorded {
		return -1
	}
	l.reqs = append(l.reqs, Request{Seq: l.seq, Method: method, Path: path, Route: "unknown", Start: time.Now()})
	return len(l.reqs) - 1
}

func (l *requestLog) route(i int, name string) {
	if i < 0 {
		return
	}
	l.mu.Lock()
	l.reqs[i].Route = name
	l.mu.Unlock()
}

func (l *requestLog) end(i int) {
	if i < 0 {
		return
	}
	l.mu.Lock()
	l.reqs[i].End = time.Now()
	l.mu.Unlock()
}

// Requests returns the recorded requests in arrival order (none unless
// Options.RecordRequests). A request still in flight has a zero End.
func (s *Server) Requests() []Request {
	s.reqLog.mu.Lock()
	defer s.reqLog.mu.Unlock()
	return append([]Request(nil), s.reqLog.reqs...)
}

// ResetRequests empties the request log.
func (s *Server) ResetRequests() {
	s.reqLog.mu.Lock()
	s.reqLog.reqs = nil
	s.reqLog.mu.Unlock()
}
