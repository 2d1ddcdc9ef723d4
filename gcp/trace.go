package gcp

import (
	"bytes"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
)

// traceBodyLimit caps how much of a body the trace prints.
const traceBodyLimit = 4 << 10

// traceTransport writes an HTTP trace (--verbose):
//
//	--> POST http://127.0.0.1:8086/iam/v1/projects/p/serviceAccounts?alt=json
//	    Authorization: Bearer ya29.fed…
//	    {"accountId":"x"}
//	<-- 200 OK (12ms) POST http://127.0.0.1:8086/iam/v1/projects/p/serviceAccounts?alt=json
//	    {"email":"x@p.iam.gserviceaccount.com"}
//
// Credentials never reach the writer: the Authorization value, secret query
// parameters and secret JSON / form fields are masked. It sits below the
// authorizing transport so that it sees (and masks) the real header.
type traceTransport struct {
	base http.RoundTripper
	w    io.Writer
	mu   *sync.Mutex // one block at a time; requests run concurrently
	now  func() time.Time
}

func newTraceTransport(base http.RoundTripper, w io.Writer) *traceTransport {
	return &traceTransport{base: base, w: w, mu: new(sync.Mutex), now: time.Now}
}

func (t *traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	target := req.Method + " " + maskURL(req.URL.String())
	var b strings.Builder
	fmt.Fprintf(&b, "--> %s\n", target)
	if v := req.Header.Get("Authorization"); v != "" {
		fmt.Fprintf(&b, "    Authorization: %s\n", maskAuthorization(v))
	}
	if req.Body != nil && req.Body != http.NoBody {
		body, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		// The transport below must still get the body: clone the request
		// rather than mutating the caller's.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		writeTraceBody(&b, req.Header.Get("Content-Type"), body)
	}
	t.write(b.String())

	start := t.now()
	resp, err := t.base.RoundTrip(req)
	elapsed := formatElapsed(t.now().Sub(start))
	b.Reset()
	if err != nil {
		fmt.Fprintf(&b, "<-- error (%s) %s: %s\n", elapsed, target, maskJSON(err.Error()))
		t.write(b.String())
		return nil, err
	}
	fmt.Fprintf(&b, "<-- %s (%s) %s\n", resp.Status, elapsed, target)
	if resp.Body != nil && resp.Body != http.NoBody {
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		if rerr != nil {
			// Hand the caller what arrived plus the read error, as the
			// network would have.
			resp.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), errReader{rerr}))
		}
		writeTraceBody(&b, resp.Header.Get("Content-Type"), body)
	}
	t.write(b.String())
	return resp, nil
}

func (t *traceTransport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	io.WriteString(t.w, s)
}

// writeTraceBody prints a masked, truncated, indented body; binary bodies are
// summarised by size only.
func writeTraceBody(b *strings.Builder, contentType string, body []byte) {
	if len(body) == 0 {
		return
	}
	mt, _, _ := mime.ParseMediaType(contentType)
	var text string
	switch {
	case mt == "application/x-www-form-urlencoded":
		text = maskForm(string(body))
	case mt == "" || strings.HasPrefix(mt, "text/") || strings.Contains(mt, "json"):
		text = maskJSON(string(body))
	default:
		fmt.Fprintf(b, "    [%d bytes of %s]\n", len(body), mt)
		return
	}
	if len(text) > traceBodyLimit {
		text = text[:traceBodyLimit] + fmt.Sprintf("… [%d bytes]", len(body))
	}
	for line := range strings.Lines(text) {
		fmt.Fprintf(b, "    %s\n", strings.TrimRight(line, "\r\n"))
	}
}

// maskURL masks secret query parameters (e.g. tokeninfo?access_token=).
func maskURL(u string) string {
	path, query, ok := strings.Cut(u, "?")
	if !ok {
		return u
	}
	return path + "?" + maskForm(query)
}

// formatElapsed prints request durations in milliseconds below a second.
func formatElapsed(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%dms", d.Milliseconds())
	}
	return d.Round(10 * time.Millisecond).String()
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
