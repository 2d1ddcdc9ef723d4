package gcp_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/faultinject"
)

// faultClient is a gcp.Client with the default policy (time budget, no
// attempt cap) on an emulator behind a fault injector; its waits are
// recorded, never slept.
func faultClient(t *testing.T) (*gcp.Client, *faultinject.Injector, *[]time.Duration) {
	t.Helper()
	var inj *faultinject.Injector
	ts := emulator.NewTestServerWrapped(t, emulator.Options{}, func(h http.Handler) http.Handler {
		inj = faultinject.New(h, 1)
		return inj
	})
	waits := &[]time.Duration{}
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: ts.Endpoint, AccessToken: ts.Token,
		Retry: gcp.RetryPolicy{Sleep: func(ctx context.Context, d time.Duration) error { *waits = append(*waits, d); return ctx.Err() }}})
	if err != nil {
		t.Fatal(err)
	}
	return c, inj, waits
}

// #12.5: a busy concurrent writer (20 conflicts in a row) no longer
// exhausts a count of tries: policy conflicts are retried for a time
// budget, with jittered backoff.
func TestModifyPolicyOutlastsABusyWriter(t *testing.T) {
	c, inj, waits := faultClient(t)
	inj.Add(faultinject.Fault{Method: "POST", Path: `:setIamPolicy$`, Nth: 1, Times: 20, Status: 409})
	_, wrote, err := c.ModifyPolicy(context.Background(), c.ProjectPolicy("demo-project"), func(p *gcp.Policy) (bool, error) {
		return p.AddMember("roles/viewer", "user:new@example.com"), nil
	})
	if err != nil || !wrote {
		t.Fatalf("wrote=%v err=%v after 20 conflicts", wrote, err)
	}
	var total time.Duration
	for _, w := range *waits {
		total += w
	}
	if len(*waits) != 20 || total > gcp.DefaultRetry.Budget {
		t.Errorf("%d waits, %v in all", len(*waits), total)
	}
	// Past the budget, the error says how long it tried.
	inj.Add(faultinject.Fault{Method: "POST", Path: `:setIamPolicy$`, Rate: 1, Status: 409})
	_, _, err = c.ModifyPolicy(context.Background(), c.ProjectPolicy("demo-project"), func(p *gcp.Policy) (bool, error) {
		return p.AddMember("roles/viewer", "user:other@example.com"), nil
	})
	if !gcp.IsAborted(err) || !strings.Contains(err.Error(), "gave up after") || !strings.Contains(err.Error(), "in 2m0s") {
		t.Errorf("err = %v, want the conflict, tried for the 2m budget", err)
	}
}
