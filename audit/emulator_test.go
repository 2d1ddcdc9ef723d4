package audit

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// env is an emulator with fedctl's gcp.Client on it, as the operator.
type env struct {
	t   *testing.T
	ctx context.Context
	ts  *emulator.TestServer
	c   *gcp.Client
}

func newEnv(t *testing.T, opts emulator.Options) *env {
	t.Helper()
	return newEnvWrapped(t, opts, nil, gcp.RetryPolicy{Attempts: 1})
}

// newEnvWrapped is newEnv with wrap (a fault injector; nil: none) in front
// of the emulator and the client retrying by retry.
func newEnvWrapped(t *testing.T, opts emulator.Options, wrap func(http.Handler) http.Handler, retry gcp.RetryPolicy) *env {
	t.Helper()
	var ts *emulator.TestServer
	if wrap == nil {
		ts = emulator.NewTestServer(t, opts)
	} else {
		ts = emulator.NewTestServerWrapped(t, opts, wrap)
	}
	ctx := context.Background()
	c, err := gcp.New(ctx, gcp.Config{Endpoint: ts.Endpoint, AccessToken: ts.Token, Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, ctx: ctx, ts: ts, c: c}
}

// seed appends fixture entries (map form) to the emulator's logs.
func (e *env) seed(entries ...map[string]any) {
	raws := make([]json.RawMessage, len(entries))
	for i, en := range entries {
		raws[i] = mustJSON(en)
	}
	e.ts.AppendLogEntries(raws...)
}

// reader is the streaming Reader every command uses (NewReader).
func (e *env) reader(pageSize int64) *Reader {
	r := NewReader(e.c)
	r.PageSize = pageSize
	return r
}

// clientReader reads through the generated Logging client instead.
func (e *env) clientReader(pageSize int64) *Reader {
	return &Reader{Client: e.c, PageSize: pageSize}
}

// collect reads the selection into a slice.
func (e *env) collect(r *Reader, sel Selection) []*Event {
	e.t.Helper()
	var out []*Event
	if err := r.Read(e.ctx, sel, func(ev *Event) error { out = append(out, ev); return nil }); err != nil {
		e.t.Fatal(err)
	}
	return out
}
