package audit

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/fedctl/fedctl/gcp"

	logging "google.golang.org/api/logging/v2"
)

// DefaultPageSize is the entries.list page size (the API's maximum).
const DefaultPageSize = 1000

// defaultLoggingBaseURL is production Logging, for a Reader given neither
// BaseURL nor Client.
const defaultLoggingBaseURL = "https://logging.googleapis.com/"

// ErrStop, returned by a callback, ends a read early without an error.
var ErrStop = errors.New("stop reading")

// Reader streams audit events from the Logging API, one page in memory at
// a time (SPEC §6).
//
// With HTTP set (NewReader does) it posts entries.list itself and parses
// each entry straight from the response stream (entrieslist.go); a Reader
// with only Client set goes through the generated client, which decodes
// every entry in full first and is several times slower.
type Reader struct {
	// HTTP is an authenticated client (gcp.Client.HTTPClient) and BaseURL
	// the Logging base URL with its trailing slash (gcp.Client.LoggingBaseURL;
	// Client's when empty).
	HTTP    *http.Client
	BaseURL string
	// Client pages through the generated client (gcp.Client.ListLogEntries)
	// when HTTP is nil.
	Client   *gcp.Client
	PageSize int64 // DefaultPageSize when zero
	// Skipped counts entries that could not be parsed (never fatal: one
	// odd entry must not hide the rest of the trail).
	Skipped int
}

// NewReader is a Reader on c's Logging API, on the streaming path.
func NewReader(c *gcp.Client) *Reader {
	return &Reader{HTTP: c.HTTPClient(), BaseURL: c.LoggingBaseURL(), Client: c}
}

// Read calls fn for every event the selection matches, in timestamp order.
// fn may return ErrStop to end the read; Read then returns nil.
func (r *Reader) Read(ctx context.Context, sel Selection, fn func(*Event) error) error {
	return r.readOrdered(ctx, sel, "timestamp asc", fn)
}

// ReadNewestFirst is Read in reverse timestamp order (newest first), as
// `gcloud logging read` lists entries.
func (r *Reader) ReadNewestFirst(ctx context.Context, sel Selection, fn func(*Event) error) error {
	return r.readOrdered(ctx, sel, "timestamp desc", fn)
}

func (r *Reader) readOrdered(ctx context.Context, sel Selection, order string, fn func(*Event) error) error {
	req := &logging.ListLogEntriesRequest{
		ResourceNames: []string{"projects/" + sel.Project},
		Filter:        sel.Filter(),
		OrderBy:       order,
		PageSize:      r.pageSize(),
	}
	return r.read(ctx, req, sel.Match, fn)
}

// read pages through req, calling fn for each parsed event match accepts;
// fn's ErrStop ends it cleanly.
func (r *Reader) read(ctx context.Context, req *logging.ListLogEntriesRequest, match func(*Event) bool, fn func(*Event) error) error {
	var err error
	if r.HTTP != nil {
		err = r.readRaw(ctx, req, match, fn)
	} else {
		err = r.readClient(ctx, req, match, fn)
	}
	if errors.Is(err, ErrStop) {
		return nil
	}
	return err
}

// readRaw pages through entries.list on the streaming path.
func (r *Reader) readRaw(ctx context.Context, req *logging.ListLogEntriesRequest, match func(*Event) bool, fn func(*Event) error) error {
	base := r.BaseURL
	if base == "" && r.Client != nil {
		base = r.Client.LoggingBaseURL()
	}
	if base == "" {
		base = defaultLoggingBaseURL
	}
	for {
		next, err := listEntriesPage(ctx, r.HTTP, base, req, func(ev *Event, err error) error {
			return r.deliver(match, fn, ev, err)
		})
		// As the client's Pages: on until a page comes without a token
		// (a page may be empty and still have one).
		if err != nil || next == "" {
			return err
		}
		req.PageToken = next
	}
}

// readClient pages through entries.list with the generated client.
func (r *Reader) readClient(ctx context.Context, req *logging.ListLogEntriesRequest, match func(*Event) bool, fn func(*Event) error) error {
	return r.Client.ListLogEntries(ctx, req, func(resp *logging.ListLogEntriesResponse) error {
		for i, le := range resp.Entries {
			ev, err := FromLogEntry(le)
			resp.Entries[i] = nil // let the page's entries go as soon as they are read
			if err := r.deliver(match, fn, ev, err); err != nil {
				return err
			}
		}
		return nil
	})
}

// deliver hands a parsed entry to fn if match wants it; an entry that did
// not parse is counted and passed over.
func (r *Reader) deliver(match func(*Event) bool, fn func(*Event) error, ev *Event, err error) error {
	if err != nil {
		r.Skipped++
		return nil
	}
	if !match(ev) {
		return nil
	}
	return fn(ev)
}

// Follower keeps reading new events (tail --follow). Each poll reads from
// the cursor — the newest timestamp seen — minus Overlap, because entries
// are ingested out of order and late; insertIds already delivered are
// dropped, so nothing is shown twice and nothing that arrives within the
// overlap window is missed.
type Follower struct {
	Reader *Reader
	// Interval between polls (default 5s).
	Interval time.Duration
	// Overlap re-read before the cursor (default 2m).
	Overlap time.Duration
	// Seen bounds the insertIds remembered for dedupe (default 100,000);
	// it must exceed the entries one overlap window can hold.
	Seen int
	// Now and Sleep are the clock (tests inject both).
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
}

// Follow reads sel, then polls for newer events until ctx ends or fn
// returns an error (ErrStop ends it cleanly). Without sel.Since it starts at
// Now.
func (f *Follower) Follow(ctx context.Context, sel Selection, fn func(*Event) error) error {
	interval, overlap, capacity := f.Interval, f.Overlap, f.Seen
	if interval <= 0 {
		interval = 5 * time.Second
	}
	if overlap <= 0 {
		overlap = 2 * time.Minute
	}
	if capacity <= 0 {
		capacity = 100_000
	}
	now, sleep := f.Now, f.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = gcp.Sleep
	}
	seen := newSeenSet(capacity)
	start := sel.Since
	if start.IsZero() {
		start = now()
	}
	cursor := start
	stopped := false
	for {
		poll := sel
		poll.Since = cursor.Add(-overlap)
		if poll.Since.Before(start) {
			poll.Since = start
		}
		err := f.Reader.Read(ctx, poll, func(e *Event) error {
			if !seen.add(dedupeKey(e)) {
				return nil
			}
			if e.Time.After(cursor) {
				cursor = e.Time
			}
			err := fn(e)
			stopped = errors.Is(err, ErrStop)
			return err
		})
		if stopped || (err != nil && ctx.Err() != nil) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := sleep(ctx, interval); err != nil {
			return nil // ctx ended: a follow stops quietly
		}
	}
}

// dedupeKey identifies an entry; insertId is unique per log, and the rare
// entry without one falls back to what it says.
func dedupeKey(e *Event) string {
	if e.InsertID != "" {
		return e.InsertID
	}
	return e.Time.Format(time.RFC3339Nano) + "|" + e.Principal + "|" + e.Method + "|" + e.JobID + "|" + e.Target
}

// jobSet records the BigQuery jobs already counted. A job is known by its
// ID, but a legacy jobservice.query (or insert) entry for a request that was
// denied names no job, while the new-style entry for the same request does:
// such an entry is matched to the job by who ran what, when (to the second,
// as the two entries of one request may be stamped a little apart).
type jobSet struct {
	ids   *seenSet // job IDs seen
	named *seenSet // who-keys of entries with a job ID
	anon  *seenSet // who-keys of entries without one
}

func newJobSet(n int) *jobSet {
	return &jobSet{ids: newSeenSet(n), named: newSeenSet(n), anon: newSeenSet(n)}
}

// add records e's job (suffix distinguishes, say, its outcome) and reports
// whether it was new. Two jobs with IDs are never merged by who-key: the
// same principal may well run the same query twice in a second.
func (j *jobSet) add(e *Event, suffix string) bool {
	who := e.Principal + "|" + e.Time.Truncate(time.Second).Format(time.RFC3339) + "|" + e.Query + suffix
	if e.JobID == "" {
		if j.named.has(who) || j.anon.has(who) {
			return false
		}
		j.anon.add(who)
		return true
	}
	isNew := !j.ids.has(e.JobID+suffix) && !j.anon.has(who)
	j.ids.add(e.JobID + suffix)
	j.named.add(who)
	return isNew
}
