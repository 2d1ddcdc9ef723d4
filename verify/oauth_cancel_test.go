package verify

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/consenttest"
	"github.com/fedctl/fedctl/oauthflow"
)

// A Ctrl-C after the consent (here: while the probe runs as the user)
// still revokes the token verify obtained: a grant must not outlive the
// run that asked for it.
func TestOAuthTokenRevokedAfterInterrupt(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	revoked := make(chan int, 4) // the statuses of the revoke requests
	w := newWorldWrapped(t, emulator.Options{}, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			if strings.Contains(r.URL.Path, "/bigquery/") {
				cancel() // the user presses Ctrl-C as the probe starts
			}
			if !strings.HasSuffix(r.URL.Path, "/revoke") {
				h.ServeHTTP(rw, r)
				return
			}
			sw := &statusWriter{ResponseWriter: rw, status: http.StatusOK}
			h.ServeHTTP(sw, r)
			revoked <- sw.status
		})
	})
	cl := w.oauthProject(t, emulator.OAuthClientSpec{})
	cf := clientFile(t, map[string]any{"installed": map[string]any{"client_id": cl.ID, "client_secret": cl.Secret}})
	o := w.opts("alice@acme.com")
	o.OAuth = &OAuthOptions{Client: cf, ClientFile: "client.json", Browser: oauthflow.Browser{Name: "test", Open: consenttest.Opener("", "allow")}, Wait: 30 * time.Second, Port: -1}
	Run(ctx, w.c, w.cfg, o) // interrupted: its error is the context's
	if ctx.Err() == nil {
		t.Fatal("the probe never reached BigQuery: the test did not interrupt anything")
	}
	select {
	case st := <-revoked:
		if st != http.StatusOK {
			t.Errorf("revoke answered %d", st)
		}
	default:
		t.Error("the token was not revoked after Ctrl-C: the user's grant to the client outlives the run")
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
