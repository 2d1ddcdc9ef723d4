package audit

import (
	"reflect"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	logging "google.golang.org/api/logging/v2"
)

func TestParseEntry(t *testing.T) {
	admin, alice := sa("fedctl-admin"), sa("fedctl-alice")
	jobErr := map[string]any{"code": 7, "message": "Access Denied: Table demo-project:sales.orders"}
	tests := []struct {
		name  string
		entry map[string]any
		want  Event
	}{
		{
			name:  "mint by the admin",
			entry: mintEntry(entryOpts{insertID: "m1", time: base, principal: admin}, alice),
			want: Event{Time: base, Kind: KindMint, InsertID: "m1", Service: serviceIAMCredentials, Method: "GenerateAccessToken",
				Principal: admin, Target: alice},
		},
		{
			name: "keyless mint through the admin (delegates)",
			entry: mintEntry(entryOpts{insertID: "m2", time: base, principal: "operator@example.com",
				status: map[string]any{"code": 7, "message": "Permission 'iam.serviceAccounts.getAccessToken' denied"}}, alice, admin),
			want: Event{Time: base, Kind: KindMint, InsertID: "m2", Service: serviceIAMCredentials, Method: "GenerateAccessToken",
				Principal: "operator@example.com", Target: alice, Delegates: []string{admin},
				Code: 7, Error: "Permission 'iam.serviceAccounts.getAccessToken' denied"},
		},
		{
			name:  "new style insertion",
			entry: newStyleQuery(entryOpts{insertID: "q1", time: base, principal: alice, via: []string{admin}}, "job_1", "SELECT 1", false, nil),
			want: Event{Time: base, Kind: KindQuery, InsertID: "q1", Service: serviceBigQuery, Method: "google.cloud.bigquery.v2.JobService.InsertJob",
				Principal: alice, Via: []string{admin}, Query: "SELECT 1", JobID: "job_1", JobType: "QUERY", Phase: PhaseInsert},
		},
		{
			name:  "new style change to DONE with an error",
			entry: newStyleQuery(entryOpts{insertID: "q2", time: base, principal: alice, via: []string{"bob@example.com", admin}}, "job_2", "SELECT * FROM sales.orders", true, jobErr),
			want: Event{Time: base, Kind: KindQuery, InsertID: "q2", Service: serviceBigQuery, Method: "google.cloud.bigquery.v2.JobService.InsertJob",
				Principal: alice, Via: []string{"bob@example.com", admin}, Query: "SELECT * FROM sales.orders", JobID: "job_2", JobType: "QUERY",
				Phase: PhaseDone, Code: 7, Error: "Access Denied: Table demo-project:sales.orders"},
		},
		{
			name:  "legacy insert",
			entry: legacyQuery(entryOpts{insertID: "q3", time: base, principal: alice, via: []string{admin}}, "job_3", "SELECT 3", false, nil),
			want: Event{Time: base, Kind: KindQuery, InsertID: "q3", Service: serviceBigQuery, Method: "jobservice.insert",
				Principal: alice, Via: []string{admin}, Query: "SELECT 3", JobID: "job_3", JobType: "QUERY", Phase: PhaseInsert},
		},
		{
			name:  "legacy completed, key used directly",
			entry: legacyQuery(entryOpts{insertID: "q4", time: base, principal: alice, keyName: "//iam.googleapis.com/projects/demo-project/serviceAccounts/" + alice + "/keys/abc"}, "job_4", "SELECT 4", true, jobErr),
			want: Event{Time: base, Kind: KindQuery, InsertID: "q4", Service: serviceBigQuery, Method: "jobservice.jobcompleted",
				Principal: alice, KeyName: "//iam.googleapis.com/projects/demo-project/serviceAccounts/" + alice + "/keys/abc",
				Query: "SELECT 4", JobID: "job_4", JobType: "QUERY", Phase: PhaseDone, Code: 7, Error: "Access Denied: Table demo-project:sales.orders"},
		},
		{
			name: "wif principal in the chain",
			entry: newStyleQuery(entryOpts{insertID: "q5", time: base, principal: sa("bigquery-runner"),
				via: []string{"principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/repo:acme/app"}}, "job_5", "SELECT 5", true, nil),
			want: Event{Time: base, Kind: KindQuery, InsertID: "q5", Service: serviceBigQuery, Method: "google.cloud.bigquery.v2.JobService.InsertJob",
				Principal: sa("bigquery-runner"), Via: []string{"principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/repo:acme/app"},
				Query: "SELECT 5", JobID: "job_5", JobType: "QUERY", Phase: PhaseDone},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseEntry(mustJSON(tt.entry))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("ParseEntry:\n got %+v\nwant %+v", *got, tt.want)
			}
			// The client path (protoPayload left raw) must agree.
			le := &logging.LogEntry{InsertId: tt.entry["insertId"].(string), Timestamp: tt.entry["timestamp"].(string),
				ProtoPayload: googleapi.RawMessage(mustJSON(tt.entry["protoPayload"]))}
			if res, ok := tt.entry["resource"].(map[string]any); ok {
				labels := map[string]string{}
				for k, v := range res["labels"].(map[string]any) {
					labels[k] = v.(string)
				}
				le.Resource = &logging.MonitoredResource{Type: res["type"].(string), Labels: labels}
			}
			got2, err := FromLogEntry(le)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got2, got) {
				t.Errorf("FromLogEntry differs from ParseEntry:\n got %+v\nwant %+v", *got2, *got)
			}
		})
	}
}

func TestParseEntryTolerance(t *testing.T) {
	// A field of an unexpected type must not hide the rest of the entry.
	e, err := ParseEntry([]byte(`{"insertId":"x","timestamp":"2024-05-01T12:00:00.5Z","protoPayload":{"serviceName":"bigquery.googleapis.com",
		"methodName":"jobservice.query","status":{"code":"seven"},"authenticationInfo":{"principalEmail":"a@b.c"},
		"serviceData":{"jobQueryRequest":{"query":"SELECT 9"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if e.Kind != KindQuery || e.Query != "SELECT 9" || e.Principal != "a@b.c" || !e.Time.Equal(base.Add(500*time.Millisecond)) {
		t.Errorf("got %+v", e)
	}
	if _, err := ParseEntry([]byte(`{"insertId":"t","textPayload":"hello"}`)); err != ErrNotAudit {
		t.Errorf("text entry: err = %v, want ErrNotAudit", err)
	}
	if _, err := ParseEntry([]byte(`{"insertId":`)); err == nil {
		t.Error("truncated JSON: no error")
	}
	e, err = ParseEntry([]byte(`{"protoPayload":{"serviceName":"iam.googleapis.com","methodName":"SetIAMPolicy","authenticationInfo":{"principalSubject":"user:x@y.z"}}}`))
	if err != nil || e.Kind != KindOther || e.Principal != "user:x@y.z" {
		t.Errorf("other entry: %+v, %v", e, err)
	}
}
