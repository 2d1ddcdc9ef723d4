package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"google.golang.org/api/googleapi"
	logging "google.golang.org/api/logging/v2"
)

// entries.list without the generated client. The client decodes every
// LogEntry of a page into its full struct tree (and holds the whole page)
// before fedctl sees one; that decode cost several times the parse itself
// (SPEC §6). Here the response body is streamed through a fixed window and
// each entry parsed in place, so only the dozen fields ParseEntry reads are
// ever decoded and memory does not grow with the page. The request, the
// error handling (googleapi.CheckResponse, hence the same *googleapi.Error
// and the same classification) and the paging are the client's.

// entriesListPath is entries.list relative to the Logging base URL, with
// the query the generated client adds.
const entriesListPath = "v2/entries:list?alt=json&prettyPrint=false"

// listEntriesPage posts one entries.list request to baseURL (with its
// trailing slash) and calls entry with each LogEntry of the page, parsed
// (err: why it is no event). It returns the nextPageToken ("" on the
// last page), or the first error of the request, the body, or entry (that
// one as is).
func listEntriesPage(ctx context.Context, hc *http.Client, baseURL string, req *logging.ListLogEntriesRequest,
	entry func(ev *Event, err error) error) (next string, err error) {
	// Encoded as the client does (an Encoder: with its trailing newline).
	var body bytes.Buffer
	if err := json.NewEncoder(&body).Encode(req); err != nil {
		return "", err
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+entriesListPath, &body)
	if err != nil {
		return "", err
	}
	hreq.Header.Set("Content-Type", "application/json")
	res, err := hc.Do(hreq)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if err := googleapi.CheckResponse(res); err != nil {
		return "", err
	}
	return readEntriesPage(res.Body, entry)
}

// readEntriesPage streams a ListLogEntriesResponse: {"entries":[…],
// "nextPageToken":"…"}, either member possibly absent, in any order,
// other members skipped.
func readEntriesPage(body io.Reader, entry func(ev *Event, err error) error) (next string, err error) {
	s := newJSONStream(body)
	err = s.object(func(key string) error {
		switch key {
		case `"entries"`:
			return s.elements(func() error {
				ev, perr, err := s.entry()
				if err != nil {
					return err
				}
				if err := entry(ev, perr); err != nil {
					return callbackError{err}
				}
				return nil
			})
		case `"nextPageToken"`:
			raw, err := s.value()
			if err != nil {
				return err
			}
			sc := scanner{b: raw}
			next = sc.str()
			return sc.err
		default:
			_, err := s.value()
			return err
		}
	})
	var ce callbackError
	switch {
	case errors.As(err, &ce):
		return "", ce.err
	case err != nil:
		return "", fmt.Errorf("reading the entries.list response: %w", err)
	}
	return next, nil
}

// entry consumes the LogEntry at the cursor and parses it (perr: why it is
// no event; err: the stream failed). It is parsed in place, in one pass;
// only one the window cuts short (or a malformed one) is first delimited
// — reading on as far as it goes — and then parsed whole.
func (s *jsonStream) entry() (ev *Event, perr, err error) {
	if _, err := s.peek(); err != nil {
		return nil, nil, err
	}
	if ev, n, perr := parseEntryPrefix(s.buf[s.pos:]); n > 0 {
		s.pos += n
		return ev, perr, nil
	}
	raw, err := s.value()
	if err != nil {
		return nil, nil, err
	}
	ev, perr = ParseEntry(raw)
	return ev, perr, nil
}

// callbackError carries the entry callback's own error (ErrStop, a write
// error) out of the stream, to be returned as is rather than as a
// malformed response.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }
