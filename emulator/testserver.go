package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestServer is an emulator on an httptest listener, for tests in any package.
type TestServer struct {
	*Server
	// Endpoint is the SPEC §4 root, with its trailing slash.
	Endpoint string
	// Token is the operator's bearer token (roles/owner on the seed project).
	Token string
}

// NewTestServer starts an emulator for t and stops it when t ends.
func NewTestServer(t testing.TB, opts Options) *TestServer {
	t.Helper()
	return NewTestServerWrapped(t, opts, func(h http.Handler) http.Handler { return h })
}

// NewTestServerWrapped is NewTestServer with wrap put in front of the
// emulator's handler (a fault injector: internal/faultinject).
func NewTestServerWrapped(t testing.TB, opts Options, wrap func(http.Handler) http.Handler) *TestServer {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("emulator: %v", err)
	}
	hs := httptest.NewServer(wrap(s))
	s.setURL(hs.URL + "/")
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return &TestServer{Server: s, Endpoint: hs.URL + "/", Token: s.OperatorToken()}
}
