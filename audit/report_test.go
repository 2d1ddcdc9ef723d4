package audit

import (
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
)

func TestReport(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	e.seed(newStyleQuery(entryOpts{insertID: "direct", time: base.Add(3 * time.Hour), principal: admin}, "job_d", "SELECT 9", true, nil))
	rep := &Report{Federation: impersonationFederation(t)}
	if err := e.reader(2).Read(e.ctx, Selection{Project: testProject}, func(ev *Event) error { rep.Add(ev); return nil }); err != nil {
		t.Fatal(err)
	}
	rows := rep.Rows()
	if len(rows) != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	a, b, c := rows[0], rows[1], rows[2] // admin, alice, bob
	if a.Principal != admin || a.Mints != 2 || a.Queries != 1 || a.Bypasses != 1 || a.TokensMinted != 0 ||
		!a.FirstSeen.Equal(base.Add(time.Minute)) || !a.LastSeen.Equal(base.Add(3*time.Hour)) {
		t.Errorf("admin row = %+v", a)
	}
	// job_a has an insertion and a completion entry: one query.
	if b.Principal != alice || b.TokensMinted != 1 || b.Queries != 2 || b.FailedQueries != 0 || b.Bypasses != 0 {
		t.Errorf("alice row = %+v", b)
	}
	if c.Principal != bob || c.TokensMinted != 1 || c.Queries != 1 || c.FailedQueries != 1 {
		t.Errorf("bob row = %+v", c)
	}
}

func TestReportSQL(t *testing.T) {
	q := ReportSQL("demo-project", "audit_logs", base)
	for _, want := range []string{
		"FROM `demo-project.audit_logs.cloudaudit_googleapis_com_data_access`",
		`WHERE timestamp >= TIMESTAMP("2024-05-01T12:00:00Z")`,
		"'$.jobChange.job.jobName'",                                   // new payload style
		"servicedata_v1_bigquery.jobCompletedEvent.job.jobName.jobId", // legacy style
		"method LIKE '%GenerateAccessToken'",                          // mints, counted for their target
		"COUNT(DISTINCT job_id) AS queries",                           // a job counts once
	} {
		if !strings.Contains(q, want) {
			t.Errorf("ReportSQL lacks %q:\n%s", want, q)
		}
	}
	if strings.Count(q, "(") != strings.Count(q, ")") {
		t.Error("unbalanced parentheses")
	}
	ev := EventsSQL("demo-project", "audit_logs")
	if !strings.Contains(ev, "UNNEST(protopayload_auditlog.authenticationInfo.serviceAccountDelegationInfo)") ||
		!strings.Contains(ev, "$.jobChange.job.jobConfig.queryConfig.query") {
		t.Errorf("EventsSQL:\n%s", ev)
	}
}
