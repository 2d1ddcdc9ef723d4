package engine

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// BenchmarkSetup measures setup (plan + apply, impersonation Pattern A) on
// an empty emulated project for N users, with latency L injected into every
// request and LROs done on their first poll, at the default concurrency
// c = 16, against SPEC §6:
//
//	requests ≤ 3N + 20        wall ≤ (3·⌈N/c⌉ + 8)·L
//
// Run: go test -bench 'Setup$' -run '^$' -benchtime 3x ./engine/
//
// Reported per run: requests, requests/user, wall time in units of L
// (wall-L), and the two budgets (req-budget, wall-budget-L). The client
// polls operations with gcp's real waits (the first one round trip of
// the starting call later, at most 250 ms), so an API enable costs about
// three round trips on the path to the accounts. BENCH_LATENCY (a Go
// duration) overrides L.
func BenchmarkSetup(b *testing.B) {
	for _, n := range []int{10, 48, 200} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) { benchSetup(b, testConfig(b, benchUsers(n)...), n) })
	}
}

// BenchmarkSetupWithSink is BenchmarkSetup with the audit log sink
// configured: its dataset and sink are read with the first requests (no
// extra round trip in the read); applying adds the dataset, the sink and
// the WRITER grant, a chain of three steps beside the accounts.
func BenchmarkSetupWithSink(b *testing.B) {
	const n = 48
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

// benchLatency is L: 50 ms, or BENCH_LATENCY.
func benchLatency(b *testing.B) time.Duration {
	if v := os.Getenv("BENCH_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("BENCH_LATENCY: %v", err)
		}
		return d
	}
	return 50 * time.Millisecond
}

// benchSetup runs plan + apply of cfg (n users) on a fresh emulator per
// iteration and reports the metrics BenchmarkSetup describes.
func benchSetup(b *testing.B, cfg *config.Config, n int) {
	const concurrency = DefaultConcurrency
	latency := benchLatency(b)
	var requests int64
	var wall time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		srv := emulator.NewTestServer(b, emulator.Options{Latency: latency, OperationPolls: emulator.DoneOnFirstPoll})
		client, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
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
		if i == 0 {
			b.Logf("N=%d L=%s: %s", n, latency, srv.Stats())
		}
	}
	runs := float64(b.N)
	ceil := (n + concurrency - 1) / concurrency
	b.ReportMetric(float64(requests)/runs, "requests")
	b.ReportMetric(float64(requests)/runs/float64(n), "requests/user")
	b.ReportMetric(float64(3*n+20), "req-budget")
	b.ReportMetric(float64(wall)/runs/float64(latency), "wall-L")
	b.ReportMetric(float64(3*ceil+8), "wall-budget-L")
}
