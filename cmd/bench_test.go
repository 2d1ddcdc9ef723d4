package cmd

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/iostreams"
)

// BenchmarkSetupCommand measures the whole `fedctl setup --yes` (plan,
// apply, the closing verification table) for N users, in process, against
// an emulator that adds latency L to every request and finishes LROs on
// their first poll, against SPEC §7.7 (c = 16):
//
//	wall ≤ (5·⌈N/c⌉ + 12)·L, plus process start
//
// Run: go test -bench SetupCommand -run '^$' -benchtime 3x ./cmd/
//
// L is 50 ms (BENCH_LATENCY overrides it); the client polls operations
// with gcp's real waits (first poll one round trip later, ≤ 250 ms). Reported: requests, wall
// time in units of L (wall-L, the best run; cold-wall-L, the first) and
// the budget.
func BenchmarkSetupCommand(b *testing.B) {
	latency := 50 * time.Millisecond
	if v := os.Getenv("BENCH_LATENCY"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatal(err)
		}
		latency = d
	}
	const c = 16
	for _, n := range []int{10, 48, 200} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			users := make([]string, n)
			for i := range users {
				users[i] = fmt.Sprintf("user%03d@acme.com", i)
			}
			var best, first time.Duration
			var requests int64
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				srv := emulator.NewTestServer(b, emulator.Options{Latency: latency, OperationPolls: emulator.DoneOnFirstPoll})
				ios, _, out, errOut := iostreams.Test()
				f := cmdutil.NewFactory(ios, "bench")
				f.Getenv = func(k string) string {
					if k == cmdutil.EnvAccessToken {
						return srv.Token
					}
					return ""
				}
				args := []string{"--api-endpoint", srv.Endpoint, "--project", "demo-project", "setup", "--yes", "--users", strings.Join(users, ",")}
				b.StartTimer()

				start := time.Now()
				code := run(context.Background(), f, args)
				wall := time.Since(start)
				if code != 0 {
					b.Fatalf("exit %d\n%s\n%s", code, out, errOut)
				}
				if first == 0 {
					first = wall
				}
				if best == 0 || wall < best {
					best = wall
				}
				requests = srv.Stats().Total
				if i == 0 {
					b.Logf("N=%d L=%s: %s", n, latency, srv.Stats())
				}
			}
			ceil := (n + c - 1) / c
			b.ReportMetric(float64(requests), "requests")
			b.ReportMetric(float64(best)/float64(latency), "wall-L")
			b.ReportMetric(float64(first)/float64(latency), "cold-wall-L")
			b.ReportMetric(float64(5*ceil+12), "wall-budget-L")
		})
	}
}
