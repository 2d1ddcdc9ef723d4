package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// TestRawReaderMatchesClient: the streaming path and the generated client
// read the same events, in the same order, skip the same entries, and send
// the same request.
func TestRawReaderMatchesClient(t *testing.T) {
	var mu sync.Mutex
	var seen []string // method, URL and body of each entries.list request
	e := newEnv(t, emulator.Options{Hook: func(route string, r *http.Request) {
		if route != "logging.entries.list" {
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		seen = append(seen, r.Method+" "+r.URL.String()+" "+string(body))
		mu.Unlock()
	}})
	scenario(e)
	bad := mintEntry(entryOpts{insertID: "bad", time: base.Add(time.Minute), principal: admin}, alice)
	bad["timestamp"] = "not a time"
	e.seed(bad)

	sel := Selection{Project: testProject}
	raw, client := e.reader(3), e.clientReader(3)
	gotRaw, gotClient := e.collect(raw, sel), e.collect(client, sel)
	if len(gotRaw) != 7 {
		t.Fatalf("streaming path: %d events, want 7", len(gotRaw))
	}
	if !reflect.DeepEqual(gotRaw, gotClient) {
		t.Errorf("streaming path and client differ:\n%s\n%s", mustJSON(gotRaw), mustJSON(gotClient))
	}
	if raw.Skipped != 1 || client.Skipped != 1 {
		t.Errorf("skipped: streaming %d, client %d; want 1 each", raw.Skipped, client.Skipped)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen)%2 != 0 || len(seen) < 6 {
		t.Fatalf("requests: %d", len(seen))
	}
	half := len(seen) / 2
	for i := range half {
		if seen[i] != seen[half+i] {
			t.Errorf("request %d:\nstreaming %s\nclient    %s", i, seen[i], seen[half+i])
		}
	}
	if !strings.Contains(seen[0], "/logging/v2/entries:list?alt=json&prettyPrint=false ") ||
		!strings.Contains(seen[1], `"pageToken":"`) {
		t.Errorf("requests: %q", seen[:2])
	}
}

// TestRawReaderErrorsClassifyAsClient: the API's errors reach callers as
// the same *googleapi.Error, so gcp.Classify reads them alike.
func TestRawReaderErrorsClassifyAsClient(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	read := func(r *Reader) *gcp.Error {
		t.Helper()
		err := r.Read(e.ctx, Selection{Project: testProject}, func(*Event) error { return nil })
		if err == nil {
			t.Fatal("read succeeded")
		}
		return gcp.Classify(err)
	}
	same := func(what string, want gcp.Kind) {
		t.Helper()
		raw, client := read(e.reader(0)), read(e.clientReader(0))
		if raw.Kind != want || raw.Kind != client.Kind || raw.Code != client.Code || raw.Reason != client.Reason ||
			raw.Service != client.Service || raw.Message != client.Message {
			t.Errorf("%s:\nstreaming %+v\nclient    %+v", what, raw, client)
		}
	}
	e.ts.InjectFault(emulator.Fault{Route: "logging.entries.list", Times: 2, Status: 503})
	same("503", gcp.KindUnavailable)
	e.ts.InjectFault(emulator.Fault{Route: "logging.entries.list", Times: 2, Status: 429})
	same("429", gcp.KindRateLimited)

	if err := e.ts.WithState(func(st *emulator.State) error {
		st.Projects[testProject].Services["logging.googleapis.com"] = false
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	same("logging disabled", gcp.KindServiceDisabled)
	if got := read(e.reader(0)); got.Service != "logging.googleapis.com" {
		t.Errorf("disabled service = %q", got.Service)
	}

	// Without credentials: 401, as the client gets it.
	anon, err := gcp.New(e.ctx, gcp.Config{Endpoint: e.ts.Endpoint, Retry: gcp.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	err = NewReader(anon).Read(e.ctx, Selection{Project: testProject}, func(*Event) error { return nil })
	if gcp.KindOf(err) != gcp.KindUnauthenticated {
		t.Errorf("no token: %v (%v)", err, gcp.KindOf(err))
	}
}

// page is an entries.list response body of n generated entries.
func page(n int, next string) []byte {
	var b bytes.Buffer
	b.WriteString(`{"entries": [` + "\n")
	for i, raw := range newPageGen().page(n) {
		if i > 0 {
			b.WriteString(",\n  ")
		}
		b.Write(raw)
	}
	b.WriteString("]")
	if next != "" {
		b.WriteString(`, "nextPageToken": "` + next + `"`)
	}
	b.WriteString("}")
	return b.Bytes()
}

func TestReadEntriesPage(t *testing.T) {
	body := page(300, "tok-1")
	// Every entry, in order, whatever sizes the body arrives in.
	for name, r := range map[string]func() io.Reader{
		"whole":      func() io.Reader { return bytes.NewReader(body) },
		"byte-wise":  func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) },
		"half-reads": func() io.Reader { return iotest.HalfReader(bytes.NewReader(body)) },
	} {
		var ids []string
		next, err := readEntriesPage(r(), func(ev *Event, err error) error {
			if err != nil {
				return err
			}
			ids = append(ids, ev.InsertID)
			return nil
		})
		if err != nil || next != "tok-1" || len(ids) != 300 || ids[0] != "ins0" || ids[299] != "ins299" {
			t.Errorf("%s: next %q, %d entries (%v…), err %v", name, next, len(ids), ids[:min(2, len(ids))], err)
		}
	}

	// Members in any order, unknown ones skipped, both optional.
	for body, want := range map[string]string{
		`{}`:                       "",
		`{"nextPageToken":"a\/b"}`: "a/b",
		`{"nextPageToken":"x","entries":[{"insertId":"1"}],"other":{"n":[1,2,{"k":"v"}]},"z":-1.5e3}`: "x",
		` { "entries" : [ ] , "nextPageToken" : "" } `:                                                "",
	} {
		next, err := readEntriesPage(strings.NewReader(body), func(*Event, error) error { return nil })
		if err != nil || next != want {
			t.Errorf("%s: next %q, err %v; want %q", body, next, err, want)
		}
	}

	// A broken or cut response is an error; the callback's error is its own.
	for _, bad := range []string{``, `[]`, `{"entries":[{"a":1}`, `{"entries":[{"a":1}]`, `{"entries":[{"a":1} {"b":2}]}`,
		`{"entries":[{"a":"unterminated}]}`, `{entries:[]}`} {
		_, err := readEntriesPage(strings.NewReader(bad), func(*Event, error) error { return nil })
		if err == nil || !strings.HasPrefix(err.Error(), "reading the entries.list response: ") {
			t.Errorf("%q: err = %v", bad, err)
		}
	}
	stop := 0
	_, err := readEntriesPage(bytes.NewReader(body), func(*Event, error) error {
		if stop++; stop == 5 {
			return ErrStop
		}
		return nil
	})
	if err != ErrStop || stop != 5 {
		t.Errorf("stop after 5: err %v, %d entries", err, stop)
	}
}

// TestJSONStreamWindowStaysSmall: streaming a page of a thousand entries
// (~2.5 MB) never holds more than the read window; an entry bigger than
// the window grows it only as far as that entry needs.
func TestJSONStreamWindowStaysSmall(t *testing.T) {
	body := page(1000, "")
	if len(body) < 8*streamWindow {
		t.Fatalf("page of %d bytes is too small to tell", len(body))
	}
	s := newJSONStream(iotest.HalfReader(bytes.NewReader(body)))
	n := 0
	err := s.object(func(key string) error {
		return s.elements(func() error {
			ev, perr, err := s.entry()
			if err == nil && perr == nil && ev.InsertID == fmt.Sprintf("ins%d", n) {
				n++
			}
			return err
		})
	})
	if err != nil || n != 1000 {
		t.Fatalf("%d entries in order, %v", n, err)
	}
	if cap(s.buf) != streamWindow {
		t.Errorf("window grew to %d bytes for entries of ~%d", cap(s.buf), len(body)/1000)
	}

	big := `{"entries":[{"insertId":"big","pad":"` + strings.Repeat("x", 3*streamWindow) + `"},{"insertId":"small"}]}`
	s = newJSONStream(strings.NewReader(big))
	var sizes []int
	err = s.object(func(string) error {
		return s.elements(func() error {
			raw, err := s.value()
			sizes = append(sizes, len(raw))
			return err
		})
	})
	if err != nil || len(sizes) != 2 || sizes[0] < 3*streamWindow || cap(s.buf) > 4*streamWindow {
		t.Errorf("big entry: sizes %v, window %d, err %v", sizes, cap(s.buf), err)
	}

	s = newJSONStream(strings.NewReader(big))
	s.max = streamWindow
	err = s.object(func(string) error { return s.elements(func() error { _, err := s.value(); return err }) })
	if !errors.Is(err, errValueTooLarge) {
		t.Errorf("over the bound: %v", err)
	}
}

// TestReadEntriesPageOddEntries: entries that are no audit event, or no
// object, are reported one by one and the page reads on.
func TestReadEntriesPageOddEntries(t *testing.T) {
	good := string(page(1, "")[len(`{"entries": [`)+1 : len(page(1, ""))-2])
	body := `{"entries":[{"textPayload":"hi"}, 5, null, {"insertId":"t","timestamp":"never","protoPayload":{}}, ` + good + `]}`
	var got []string
	_, err := readEntriesPage(iotest.OneByteReader(strings.NewReader(body)), func(ev *Event, err error) error {
		if err != nil {
			got = append(got, "error")
		} else {
			got = append(got, ev.InsertID)
		}
		return nil
	})
	if err != nil || strings.Join(got, ",") != "error,error,error,error,ins0" {
		t.Errorf("got %v, %v", got, err)
	}
}

// TestRawReaderStreamsAcrossPages: the Reader follows nextPageToken
// through the emulator with pages of 1000, delivering every entry once.
func TestRawReaderStreamsAcrossPages(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	g := newPageGen()
	const total = 2500
	raws := make([]json.RawMessage, 0, total)
	for len(raws) < total {
		for _, raw := range g.page(500) {
			raws = append(raws, bytes.Clone(raw))
		}
	}
	e.ts.AppendLogEntries(raws...)
	e.ts.ResetStats()
	r := e.reader(1000)
	n, last := 0, -1
	err := r.Read(e.ctx, Selection{Project: testProject}, func(ev *Event) error {
		var i int
		if _, err := fmt.Sscanf(ev.InsertID, "ins%d", &i); err != nil || i <= last {
			return fmt.Errorf("entry %s after ins%d", ev.InsertID, last)
		}
		n, last = n+1, i
		return nil
	})
	if err != nil || n != total || r.Skipped != 0 {
		t.Fatalf("%d events (skipped %d), err %v", n, r.Skipped, err)
	}
	if pages := e.ts.Stats().ByRoute["logging.entries.list"]; pages != 3 {
		t.Errorf("%d entries.list calls for %d entries in pages of 1000, want 3", pages, total)
	}
}
