package cmd

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// TestAuditEndToEnd: setup, audit enable, verify (which mints as the admin
// and probes BigQuery, so the emulator writes real audit entries), then
// tail, bypass, report and sink create read and act on that trail.
func TestAuditEndToEnd(t *testing.T) {
	srv := newFedServer(t)
	must := func(r result, code int) result {
		t.Helper()
		if r.code != code {
			t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, code, r.stdout, r.stderr)
		}
		return r
	}
	must(runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com", "--verifier", "user:operator@example.com"), 0)

	// Without a terminal, enable needs --yes; --dry-run shows the diff.
	r := must(runFed(t, srv, "audit", "enable"), 2)
	if !strings.Contains(r.stderr, "--yes") {
		t.Errorf("no --yes hint: %s", r.stderr)
	}
	writes := srv.Stats().Writes
	r = must(runFed(t, srv, "audit", "enable", "--dry-run"), 0)
	if !strings.Contains(r.stdout, "fedctl audit enable will perform") || !strings.Contains(r.stdout, "iam.googleapis.com") ||
		!strings.Contains(r.stdout, "Plan: 0 to add, 1 to change, 0 to destroy.") || srv.Stats().Writes != writes {
		t.Errorf("dry run:\n%s", r.stdout)
	}
	must(runFed(t, srv, "audit", "enable", "--dry-run", "--detailed-exitcode"), 4)
	r = must(runFed(t, srv, "--output", "json", "audit", "enable", "--dry-run"), 0)
	var ej struct {
		Plan struct {
			Operation string `json:"operation"`
			Summary   struct{ Change int }
		} `json:"plan"`
		Apply any `json:"apply"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ej); err != nil || ej.Plan.Operation != "audit_enable" || ej.Plan.Summary.Change != 1 || ej.Apply != nil {
		t.Errorf("json dry run: %v %+v\n%s", err, ej, r.stdout)
	}
	must(runFed(t, srv, "audit", "enable", "--yes"), 0)
	r = must(runFed(t, srv, "audit", "enable", "--yes"), 0)
	if !strings.Contains(r.stdout, "No changes. The Data Access audit logs are already enabled.") {
		t.Errorf("second enable:\n%s", r.stdout)
	}
	must(runFed(t, srv, "audit", "enable", "--dry-run", "--detailed-exitcode"), 0)

	must(runFed(t, srv, "verify", "--users", "alice@acme.com", "--all"), 0)

	alice := "fedctl-alice@demo-project.iam.gserviceaccount.com"
	admin := "fedctl-admin@demo-project.iam.gserviceaccount.com"
	r = must(runFed(t, srv, "audit", "tail", "--since", "1h"), 0)
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	var mint, query string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "  mint   ") && strings.Contains(l, "token for "+alice):
			mint = l
		case strings.Contains(l, "  query  "+alice):
			query = l
		}
	}
	if mint == "" || query == "" {
		t.Fatalf("tail lacks the mint or the probe query:\n%s", r.stdout)
	}
	if !strings.Contains(query, ">"+admin) || !strings.Contains(query, "[token ") || !strings.HasSuffix(query, "OK") {
		t.Errorf("query line: %q", query)
	}

	r = must(runFed(t, srv, "--output", "json", "audit", "tail", "--user", "alice@acme.com", "--event", "query"), 0)
	var evs []map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &evs); err != nil || len(evs) == 0 {
		t.Fatalf("json tail: %v\n%s", err, r.stdout)
	}
	if evs[0]["principal"] != alice || evs[0]["query"] == "" {
		t.Errorf("json event: %v", evs[0])
	}

	must(runFed(t, srv, "audit", "bypass", "--users", "alice@acme.com"), 0)
	// The admin queries as itself: a bypass, exit 3, with its evidence.
	seedAdminQuery(t, srv, admin)
	r = must(runFed(t, srv, "audit", "bypass"), 3)
	if !strings.Contains(r.stdout, "admin-direct") || !strings.Contains(r.stdout, "job_direct") {
		t.Errorf("bypass output:\n%s", r.stdout)
	}
	r = must(runFed(t, srv, "--output", "json", "audit", "bypass"), 3)
	var bj struct{ Bypasses []map[string]any }
	if err := json.Unmarshal([]byte(r.stdout), &bj); err != nil || len(bj.Bypasses) != 1 {
		t.Errorf("json bypass: %v\n%s", err, r.stdout)
	}

	r = must(runFed(t, srv, "audit", "report", "--since", "1h"), 0)
	if !strings.Contains(r.stdout, alice) || !strings.Contains(r.stdout, admin) {
		t.Errorf("report:\n%s", r.stdout)
	}

	r = must(runFed(t, srv, "audit", "sink", "create", "--yes"), 0)
	if !strings.Contains(r.stdout, `+ bigquery_dataset["audit_logs"]`) || !strings.Contains(r.stdout, "cloudaudit_googleapis_com_data_access") {
		t.Errorf("sink create:\n%s", r.stdout)
	}
	before := srv.Stats().Writes
	r = must(runFed(t, srv, "audit", "sink", "create", "--yes"), 0)
	if !strings.Contains(r.stdout, "No changes. The audit log sink is set up.") || !strings.Contains(r.stdout, "cloudaudit_googleapis_com_data_access") ||
		srv.Stats().Writes != before {
		t.Errorf("second sink create wrote (%d → %d):\n%s", before, srv.Stats().Writes, r.stdout)
	}
}

func seedAdminQuery(t *testing.T, srv interface{ AppendLogEntries(...json.RawMessage) }, admin string) {
	t.Helper()
	ts := time.Now().UTC().Format(time.RFC3339Nano)
	entry := `{"insertId":"direct1","logName":"projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access",
"resource":{"type":"bigquery_project","labels":{"project_id":"demo-project"}},"timestamp":"` + ts + `",
"protoPayload":{"@type":"type.googleapis.com/google.cloud.audit.AuditLog","serviceName":"bigquery.googleapis.com",
"methodName":"google.cloud.bigquery.v2.JobService.InsertJob","status":{},"authenticationInfo":{"principalEmail":"` + admin + `",
"serviceAccountKeyName":"//iam.googleapis.com/projects/demo-project/serviceAccounts/` + admin + `/keys/k1"},
"metadata":{"@type":"type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata","jobChange":{"after":"DONE",
"job":{"jobName":"projects/demo-project/jobs/job_direct","jobConfig":{"type":"QUERY","queryConfig":{"query":"SELECT * FROM sales.orders"}},"jobStatus":{"jobState":"DONE"}}}}}}`
	srv.AppendLogEntries(json.RawMessage(entry))
}
