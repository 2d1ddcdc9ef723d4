package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	logging "google.golang.org/api/logging/v2"
)

func (e *dpEnv) logClient(t *testing.T) *logging.Service {
	t.Helper()
	svc, err := logging.NewService(dpCtx, e.as(e.Token, "logging")...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// seedLogs appends n entries one second apart, alternating two methods, in
// the seed project, plus one entry of another project.
func dpSeedLogs(e *dpEnv, n int) {
	var entries []json.RawMessage
	for i := range n {
		method := "GenerateAccessToken"
		if i%2 == 1 {
			method = "google.cloud.bigquery.v2.JobService.InsertJob"
		}
		b, _ := json.Marshal(&logEntry{InsertID: fmt.Sprintf("e%04d", i), LogName: logName(dpProject, logDataAccess),
			Resource:  monitoredResource{Type: "audited_resource", Labels: map[string]string{"project_id": dpProject}},
			Timestamp: dpStart.Add(time.Duration(i) * time.Second).Format(time.RFC3339Nano), Severity: "INFO",
			ProtoPayload: &auditLog{Type: auditLogType, MethodName: method, Status: &rpcStatus{},
				AuthenticationInfo: &authenticationInfo{PrincipalEmail: fmt.Sprintf("u%d@example.com", i%5)}}})
		entries = append(entries, b)
	}
	foreign, _ := json.Marshal(&logEntry{InsertID: "foreign", LogName: logName("other-project", logDataAccess),
		ProtoPayload: &auditLog{Type: auditLogType, MethodName: "GenerateAccessToken"}})
	e.AppendLogEntries(append(entries, foreign)...)
}

// listAll pages through entries.list with the client's Pages helper.
func dpListAll(t *testing.T, svc *logging.Service, req *logging.ListLogEntriesRequest) (ids []string, pages int, err error) {
	t.Helper()
	err = svc.Entries.List(req).Pages(context.Background(), func(r *logging.ListLogEntriesResponse) error {
		pages++
		for _, e := range r.Entries {
			ids = append(ids, e.InsertId)
		}
		return nil
	})
	return ids, pages, err
}

func TestLoggingListFilterAndPagination(t *testing.T) {
	e := dpNew(t, 0)
	dpSeedLogs(e, 250)
	svc := e.logClient(t)
	req := &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject},
		Filter:   `protoPayload.methodName="GenerateAccessToken" AND timestamp>="` + dpStart.Add(10*time.Second).Format(time.RFC3339) + `"`,
		PageSize: 50}
	ids, pages, err := dpListAll(t, svc, req)
	if err != nil {
		t.Fatal(err)
	}
	// Even i in [10, 250): 120 entries, 3 pages.
	if len(ids) != 120 || pages != 3 || ids[0] != "e0010" || ids[119] != "e0248" {
		t.Fatalf("got %d entries in %d pages (%v … %v), want 120 in 3 from e0010 to e0248", len(ids), pages, ids[0], ids[len(ids)-1])
	}
	req.OrderBy = "timestamp desc"
	ids, _, err = dpListAll(t, svc, req)
	if err != nil || len(ids) != 120 || ids[0] != "e0248" || ids[119] != "e0010" {
		t.Fatalf("desc: %d entries from %v, err %v; want 120 from e0248", len(ids), ids[:1], err)
	}

	first, err := svc.Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject}, PageSize: 5}).Do()
	if err != nil || len(first.Entries) != 5 || first.NextPageToken == "" {
		t.Fatalf("first page = %d entries, token %q, %v", len(first.Entries), first.NextPageToken, err)
	}
	_, err = svc.Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject},
		OrderBy: "timestamp desc", PageToken: first.NextPageToken}).Do()
	if dpCode(err) != 400 {
		t.Errorf("an asc token used with desc: got %v, want 400", err)
	}
	all, _, err := dpListAll(t, svc, &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject}, PageSize: 1000})
	if err != nil || len(all) != 250 {
		t.Errorf("unfiltered: %d entries (%v), want the project's 250 (not the other project's)", len(all), err)
	}
}

func TestLoggingListScanBudgetPages(t *testing.T) {
	e := dpNew(t, 0)
	dpSeedLogs(e, 40)
	defer func(b int) { logScanBudget = b }(logScanBudget)
	logScanBudget = 7
	svc := e.logClient(t)
	// Only i%5==3 (u3) matches: 8 entries, scanned 7 at a time → some pages
	// come back empty with a token, and the client still gets everything.
	ids, pages, err := dpListAll(t, svc, &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject},
		Filter: `protoPayload.authenticationInfo.principalEmail="u3@example.com"`, PageSize: 100})
	if err != nil || len(ids) != 8 || pages < 6 {
		t.Fatalf("got %d entries in %d pages (%v), want 8 in ≥6 pages", len(ids), pages, err)
	}
}

func TestLoggingListErrors(t *testing.T) {
	e := dpNew(t, 0)
	svc := e.logClient(t)
	for name, req := range map[string]*logging.ListLogEntriesRequest{
		"no resource":  {},
		"bad filter":   {ResourceNames: []string{"projects/" + dpProject}, Filter: `protoPayload.methodName=`},
		"bad orderBy":  {ResourceNames: []string{"projects/" + dpProject}, OrderBy: "severity"},
		"bad resource": {ResourceNames: []string{"organizations/1"}},
	} {
		if _, err := svc.Entries.List(req).Do(); dpCode(err) != 400 {
			t.Errorf("%s: got %v, want 400", name, err)
		}
	}
	e.enable(t, "logging.googleapis.com", false)
	_, err := svc.Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject}}).Do()
	if dpReason(err) != "SERVICE_DISABLED" {
		t.Errorf("logging disabled: got %v, want SERVICE_DISABLED", err)
	}
}

// The audit entries the emulator writes are what entries.list returns.
func TestLoggingListsGenerateAccessTokenAudit(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	e.auditOn(t, "allServices", "ADMIN_READ")
	user := e.sa(t, "fedctl-judy")
	e.grant(t, e.onSA(user), "roles/iam.serviceAccountTokenCreator", DefaultSeed.Operator)
	if _, err := dpMint(e.credClient(t, e.Token), user.Email); err != nil {
		t.Fatal(err)
	}
	resp, err := e.logClient(t).Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + dpProject},
		Filter: `log_id("cloudaudit.googleapis.com/data_access") protoPayload.methodName="GenerateAccessToken"`}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Entries) != 1 {
		t.Fatalf("%d entries, want 1", len(resp.Entries))
	}
	var pp map[string]any
	json.Unmarshal(resp.Entries[0].ProtoPayload, &pp)
	if dpDig(pp, "authenticationInfo", "principalEmail") != "operator@example.com" || resp.Entries[0].Resource.Type != "service_account" {
		t.Errorf("entry = %+v / %v", resp.Entries[0], pp)
	}
}
