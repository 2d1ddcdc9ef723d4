package keys_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/keys"
)

// BenchmarkList: `keys list` over 200 SAs with a key each and 100,000
// audit entries (half of them made with a key), the emulator adding 5 ms
// per request. Prints the requests made; SAs, keys and policies are read
// 16 at a time while the log streams beside. Measured: ~2.5 s and 454
// requests, of which the inventory alone (no log) takes ~0.23 s; the rest
// is the 51 pages of the log, most of it the emulator filtering 100,000
// entries per page.
func BenchmarkList(b *testing.B) {
	const sas, entries = 200, 100_000
	srv, c, start := keyProject(b, emulator.Options{Latency: 5 * time.Millisecond}, sas)
	batch := make([]json.RawMessage, 0, entries)
	for i := range entries {
		key := ""
		if i%2 == 0 {
			key = fmt.Sprintf(`,"serviceAccountKeyName":"//iam.googleapis.com/projects/demo-project/serviceAccounts/%s/keys/%s"`, saName(i%sas), keyID(i%sas))
		}
		batch = append(batch, json.RawMessage(fmt.Sprintf(`{"insertId":"e%d","logName":"projects/demo-project/logs/cloudaudit.googleapis.com%%2Fdata_access",`+
			`"resource":{"type":"bigquery_project","labels":{"project_id":"demo-project"}},"timestamp":"%s",`+
			`"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"bigquery.googleapis.com",`+
			`"methodName":"jobservice.jobcompleted","status":{},"authenticationInfo":{"principalEmail":"u@x.com"%s}}}`,
			i, start.Add(time.Duration(i)*time.Millisecond*500).UTC().Format(time.RFC3339Nano), key)))
	}
	srv.AppendLogEntries(batch...)
	ctx := context.Background()
	b.ResetTimer()
	var inv *keys.Inventory
	var err error
	for b.Loop() {
		srv.ResetStats()
		inv, err = (&keys.Lister{Client: c, Reader: audit.NewReader(c)}).List(ctx, "demo-project")
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if len(inv.Keys) != sas || inv.LogEntries != entries/2 || inv.Keys[0].LastUsed == nil {
		b.Fatalf("%d keys, %d key-use entries read", len(inv.Keys), inv.LogEntries)
	}
	st := srv.Stats()
	b.ReportMetric(float64(st.Total), "requests/op")
	b.Logf("%d SAs, %d keys, %d key-use entries: %s", sas, len(inv.Keys), inv.LogEntries, st)
}
