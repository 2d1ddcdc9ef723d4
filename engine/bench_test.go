package engine

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// BenchmarkSetup measures setup (plan + apply, impersonation Pattern A) on
// an empty emulated project for N users, with latency L injected into every
// request, at the default concurrency c = 16, against SPEC §6:
//
//	requests ≤ 3N + 20        wall ≤ (3·⌈N/c⌉ + 8)·L
//
// Run: go test -bench Setup -run '^$' ./engine/
//
// Reported per run: requests, requests/user, wall time in units of L
// (wall-L), and the two budgets (req-budget, wall-budget-L).
//
// The API-enable operation is polled with gcp's backoff; its waits are
// capped at L here, modelling an operation that completes within one round
// trip (the emulator answers the first poll "not done"). With gcp's real
// 500 ms first poll, a first setup that must enable APIs costs that much
// more, whatever N.
func BenchmarkSetup(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchSetup(b, testConfig(b, benchUsers(n)...), n) })
	}
}

// BenchmarkSetupWithSink is BenchmarkSetup with the audit log sink
// configured: its dataset and sink are read with the first requests (no
// extra round trip in the read); applying adds the dataset, the sink and
// the WRITER grant (two more serial phases, after the policy writes).
func BenchmarkSetupWithSink(b *testing.B) {
	const n = 50
	cfg := testConfig(b, benchUsers(n)...)
	cfg.Audit.Sink = config.Sink{Name: config.DefaultSinkName}.WithDefaults()
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchSetup(b, cfg, n) })
}

func benchUsers(n int) []string {
	users := make([]string, n)
	for i := range users {
		users[i] = fmt.Sprintf("user%03d@acme.com", i)
	}
	return users
}

// benchSetup runs plan + apply of cfg (n users) on a fresh emulator per
// iteration and reports the metrics BenchmarkSetup describes.
func benchSetup(b *testing.B, cfg *config.Config, n int) {
	const (
		latency     = 20 * time.Millisecond
		concurrency = DefaultConcurrency
	)
	var requests int64
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := emulator.NewTestServer(b, emulator.Options{Latency: latency})
		client, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token,
			Retry: gcp.RetryPolicy{Sleep: cappedSleep(latency)}})
		if err != nil {
			b.Fatal(err)
		}
		eng := New(client, Options{Concurrency: concurrency})
		b.StartTimer()

		start := time.Now()
		p, err := eng.PlanSetup(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := eng.Apply(context.Background(), p); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		requests += srv.Stats().Total
	}
	runs := float64(b.N)
	ceil := (n + concurrency - 1) / concurrency
	b.ReportMetric(float64(requests)/runs, "requests")
	b.ReportMetric(float64(requests)/runs/float64(n), "requests/user")
	b.ReportMetric(float64(3*n+20), "req-budget")
	b.ReportMetric(float64(wall)/runs/float64(latency), "wall-L")
	b.ReportMetric(float64(3*ceil+8), "wall-budget-L")
}

// cappedSleep sleeps min(d, limit), honouring ctx.
func cappedSleep(limit time.Duration) func(context.Context, time.Duration) error {
	return func(ctx context.Context, d time.Duration) error { return gcp.Sleep(ctx, min(d, limit)) }
}
