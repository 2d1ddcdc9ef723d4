package emulator

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	logging "google.golang.org/api/logging/v2"
)

// Cloud Logging v2 entries.list (gcp-wire §8.1) over State.Logs.
//
// Pagination is a cursor into State.Logs (which is in timestamp order): a
// page scans forward (or backward for "timestamp desc") from the cursor until
// it has pageSize matches or has scanned logScanBudget entries, so a page
// never costs more than the filter scan of the entries it walks, and entries
// appended while a client pages are seen (asc) or skipped (desc) consistently.
// Like Logging, a page may come back empty with a nextPageToken when the scan
// budget ran out before the end.

const (
	logDefaultPageSize = 50
	logMaxPageSize     = 1000
)

// logScanBudget is how many entries one entries.list call scans at most (a
// var so tests can exercise budget-limited pages).
var logScanBudget = 200_000

func init() {
	registerAPI(func(s *Server) {
		s.handle(&route{Service: "logging", Method: "POST", Pattern: `^/v2/entries:list$`,
			Name: "logging.entries.list", Handler: listLogEntries})
	})
}

// listLogEntriesResponse is ListLogEntriesResponse; both fields are omitted
// when empty, as Google does.
type listLogEntriesResponse struct {
	Entries       []json.RawMessage
	NextPageToken string
}

func listLogEntries(c *call) (any, error) {
	var req logging.ListLogEntriesRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	names := req.ResourceNames
	for _, id := range req.ProjectIds {
		names = append(names, "projects/"+id)
	}
	if len(names) == 0 {
		return nil, errInvalid("At least one resource name must be specified.")
	}
	// Entries are named by project ID in logName; match on that prefix.
	prefixes := make([]string, 0, len(names))
	for _, n := range names {
		id, ok := strings.CutPrefix(n, "projects/")
		if !ok || id == "" || strings.Contains(id, "/") {
			return nil, errInvalid(fmt.Sprintf("Invalid resource name %q: only projects/PROJECT_ID is supported by the emulator.", n))
		}
		p, err := c.project(id)
		if err != nil {
			return nil, err
		}
		if err := c.requireService(p, "logging.googleapis.com", id); err != nil {
			return nil, err
		}
		prefixes = append(prefixes, "projects/"+p.ID+"/logs/")
	}
	desc := false
	switch strings.Join(strings.Fields(strings.ToLower(req.OrderBy)), " ") {
	case "", "timestamp asc", "timestamp":
	case "timestamp desc":
		desc = true
	default:
		return nil, errInvalid(fmt.Sprintf("Invalid orderBy %q: only \"timestamp asc\" and \"timestamp desc\" are supported.", req.OrderBy))
	}
	size := int(req.PageSize)
	switch {
	case size < 0:
		return nil, errInvalid("pageSize must not be negative.")
	case size == 0:
		size = logDefaultPageSize
	case size > logMaxPageSize:
		size = logMaxPageSize
	}
	filter, err := parseLogFilter(req.Filter)
	if err != nil {
		return nil, err
	}
	logs := c.st.Logs
	pos, step := 0, 1
	if desc {
		pos, step = len(logs)-1, -1
	}
	if req.PageToken != "" {
		if pos, err = decodeLogCursor(req.PageToken, desc, len(logs)); err != nil {
			return nil, err
		}
	}
	var out listLogEntriesResponse
	scanned := 0
	for ; pos >= 0 && pos < len(logs) && len(out.Entries) < size; pos += step {
		if scanned == logScanBudget {
			break
		}
		scanned++
		e := logs[pos]
		name, _ := rawField(e, "logName")
		if s, _ := rawScalar(name); !logInProjects(s, prefixes) || !filter.match(e) {
			continue
		}
		out.Entries = append(out.Entries, logs[pos])
	}
	if pos >= 0 && pos < len(logs) {
		out.NextPageToken = encodeLogCursor(pos, desc)
	}
	c.reply(200, "application/json; charset=UTF-8", out.marshal())
	return nil, nil
}

// marshal writes the response by concatenation: the stored entries are JSON
// already, and re-validating them (json.Marshal of RawMessage) would cost
// more than the scan.
func (r *listLogEntriesResponse) marshal() []byte {
	n := 64
	for _, e := range r.Entries {
		n += len(e) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	if len(r.Entries) > 0 {
		b = append(b, `"entries":[`...)
		for i, e := range r.Entries {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, e...)
		}
		b = append(b, ']')
	}
	if r.NextPageToken != "" {
		if len(r.Entries) > 0 {
			b = append(b, ',')
		}
		b = append(b, `"nextPageToken":"`+r.NextPageToken+`"`...) // base64url: no escaping needed
	}
	return append(b, '}')
}

func logInProjects(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// The page token is an opaque base64 of "a:INDEX" or "d:INDEX".
func encodeLogCursor(pos int, desc bool) string {
	dir := "a"
	if desc {
		dir = "d"
	}
	return base64.RawURLEncoding.EncodeToString([]byte(dir + ":" + strconv.Itoa(pos)))
}

func decodeLogCursor(tok string, desc bool, n int) (int, error) {
	bad := errInvalid("Invalid page token.")
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, bad
	}
	dir, num, ok := strings.Cut(string(b), ":")
	pos, err := strconv.Atoi(num)
	if !ok || err != nil || (dir == "d") != desc || (dir != "a" && dir != "d") || pos < 0 {
		return 0, bad
	}
	if desc && pos >= n {
		return 0, bad
	}
	return pos, nil
}
