package emulator

import (
	"testing"

	logging "google.golang.org/api/logging/v2"
)

// BenchmarkLoggingListFiltered measures entries.list over 100,000 seeded
// entries with a method filter, paged 1000 at a time.
func BenchmarkLoggingListFiltered(b *testing.B) {
	e := &dpEnv{}
	e.TestServer = NewTestServer(b, Options{})
	dpSeedLogs(e, 100_000)
	svc, err := logging.NewService(dpCtx, e.as(e.Token, "logging")...)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		n := 0
		err := svc.Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject},
			Filter: `protoPayload.methodName="GenerateAccessToken"`, PageSize: 1000}).
			Pages(dpCtx, func(r *logging.ListLogEntriesResponse) error { n += len(r.Entries); return nil })
		if err != nil || n != 50_000 {
			b.Fatalf("%d entries, %v", n, err)
		}
	}
	b.ReportMetric(float64(100_000*b.N)/b.Elapsed().Seconds(), "entries/s")
}
