package emulator

import "testing"

const filterEntryJSON = `{
  "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access",
  "resource": {"type": "bigquery_project", "labels": {"project_id": "p", "key.with.dots": "v"}},
  "timestamp": "2026-05-01T12:00:00.5Z",
  "severity": "NOTICE",
  "protoPayload": {
    "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
    "methodName": "google.cloud.bigquery.v2.JobService.InsertJob",
    "serviceName": "bigquery.googleapis.com",
    "authenticationInfo": {
      "principalEmail": "alice-sa@p.iam.gserviceaccount.com",
      "serviceAccountDelegationInfo": [
        {"firstPartyPrincipal": {"principalEmail": "admin@p.iam.gserviceaccount.com"}},
        {"principalSubject": "principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/gh/subject/x"}
      ]
    },
    "status": {"code": 7},
    "metadata": {"@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata",
      "jobChange": {"after": "DONE", "job": {"jobConfig": {"queryConfig": {"query": "SELECT 1"}}}}}
  }
}`

func TestLogFilterMatches(t *testing.T) {
	entry := []byte(filterEntryJSON)
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{``, true},
		{`protoPayload.methodName="google.cloud.bigquery.v2.JobService.InsertJob"`, true},
		{`protoPayload.methodName = "GenerateAccessToken"`, false},
		{`protoPayload.serviceName=bigquery.googleapis.com`, true},
		{`logName="projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"`, true},
		{`log_id("cloudaudit.googleapis.com/data_access")`, true},
		{`log_id("cloudaudit.googleapis.com/activity")`, false},
		{`protoPayload.methodName:"insertjob"`, true}, // has: case-insensitive substring
		{`protoPayload.metadata.jobChange:*`, true},
		{`protoPayload.metadata.jobInsertion:*`, false},
		{`protoPayload.metadata."@type"="type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata"`, true},
		{`resource.labels."key.with.dots"=v`, true},
		{`protoPayload.authenticationInfo.serviceAccountDelegationInfo.firstPartyPrincipal.principalEmail="admin@p.iam.gserviceaccount.com"`, true},
		{`protoPayload.authenticationInfo.serviceAccountDelegationInfo.principalSubject:"workloadIdentityPools/gh"`, true},
		{`timestamp>="2026-05-01T12:00:00Z"`, true},
		{`timestamp>"2026-05-01T12:00:00.5Z"`, false},
		{`timestamp<="2026-05-01T12:00:00.500000000Z"`, true},
		{`timestamp<"2026-05-01T12:00:00+00:00"`, false},
		{`severity>=NOTICE`, true},
		{`severity>WARNING`, false},
		{`severity<ERROR AND severity>INFO`, true},
		{`protoPayload.status.code=7`, true},
		{`protoPayload.status.code>=8`, false},
		{`resource.type=("bigquery_project" OR "bigquery_dataset")`, true},
		{`resource.type=("bigquery_resource" OR "bigquery_dataset")`, false},
		{`resource.type="x" OR resource.type="bigquery_project"`, true},
		{`NOT resource.type="bigquery_project"`, false},
		{`-resource.type="bigquery_project"`, false},
		{`resource.type!="bigquery_project"`, false},
		{`protoPayload.missing!="x"`, true}, // != matches entries without the field
		{`protoPayload.missing="x"`, false},
		{`resource.type="bigquery_project" protoPayload.status.code=7`, true}, // implicit AND
		{`resource.type="bigquery_project" AND protoPayload.status.code=8`, false},
		{`(resource.type="x" OR severity=NOTICE) AND protoPayload.methodName:InsertJob`, true},
		{`protoPayload.methodName=~"^google\\.cloud\\.bigquery\\.v2\\..*Job$"`, true},
		{`protoPayload.methodName!~"InsertJob"`, false},
		{`"SELECT 1"`, true}, // a bare value searches every string field
		{`"SELECT 2"`, false},
	} {
		f, err := parseLogFilter(tc.filter)
		if err != nil {
			t.Errorf("%s: %v", tc.filter, err)
			continue
		}
		if got := f.match(entry); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.filter, got, tc.want)
		}
	}
}

func TestLogFilterPrecedenceNotOrAnd(t *testing.T) {
	// Logging binds NOT tighter than OR, and OR tighter than AND:
	// a OR NOT b AND c ≡ (a OR (NOT b)) AND c.
	entry := []byte(`{"a": "1", "b": 1, "c": "0"}`)
	f, err := parseLogFilter(`a=1 OR NOT b=1 AND c=1`)
	if err != nil {
		t.Fatal(err)
	}
	if f.match(entry) {
		t.Errorf("matched: AND must bind loosest")
	}
	if !f.match([]byte(`{"a": "1", "b": 1, "c": 1}`)) {
		t.Errorf("no match with c=1")
	}
}

func TestLogFilterSyntaxErrors(t *testing.T) {
	for _, bad := range []string{
		`protoPayload.methodName=`,
		`(resource.type="x"`,
		`resource.type="unterminated`,
		`a.b`,
		`resource.type=("x" OR "y" AND "z")`,
		`x=~"("`,
		`)`,
	} {
		if _, err := parseLogFilter(bad); err == nil {
			t.Errorf("%s: parsed, want an error", bad)
		} else if ae, ok := err.(*apiError); !ok || ae.HTTP != 400 {
			t.Errorf("%s: error %v, want a 400", bad, err)
		}
	}
}

func TestLogFilterRawJSONEdges(t *testing.T) {
	entry := []byte(`{ "skip" : {"x": ["}", "]", {"y": "\"{"}]}, "k\u0065y" : "a\"b" , "n": -1.5e3, "arr": [ [ {"v": "deep"} ] ], "nul": null }`)
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`key="a\"b"`, true},
		{`n<0`, true},
		{`n=-1500`, true},
		{`arr.v="deep"`, true},
		{`nul:*`, true},
		{`nul="null"`, false},
		{`skip.x.y:"{"`, true},
	} {
		f, err := parseLogFilter(tc.filter)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := f.match(entry); got != tc.want {
			t.Errorf("%s: match = %v, want %v", tc.filter, got, tc.want)
		}
	}
}
