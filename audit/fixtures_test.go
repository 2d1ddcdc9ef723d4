package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Realistic audit entries, shaped after production ones (gcp-wire §8.2-8.4):
// every field a real entry carries is present, not only the ones the
// parser reads, so that parse speed and correctness are measured on the
// real thing.

const testProject = "demo-project"

func sa(id string) string { return id + "@" + testProject + ".iam.gserviceaccount.com" }

// delegation builds serviceAccountDelegationInfo, first caller first.
func delegation(chain ...string) []map[string]any {
	var out []map[string]any
	for _, c := range chain {
		if len(c) > 12 && c[:12] == "principal://" {
			out = append(out, map[string]any{"principalSubject": c,
				"thirdPartyPrincipal": map[string]any{"thirdPartyClaims": map[string]any{"@type": "type.googleapis.com/google.iam.v1.WorkloadIdentityClaims", "sub": "x"}}})
			continue
		}
		out = append(out, map[string]any{"firstPartyPrincipal": map[string]any{"principalEmail": c}})
	}
	return out
}

type entryOpts struct {
	insertID  string
	time      time.Time
	principal string
	via       []string
	keyName   string
	status    map[string]any // AuditLog.status; nil = OK
}

func envelope(o entryOpts, logID string, resource map[string]any, pp map[string]any) map[string]any {
	auth := map[string]any{"principalEmail": o.principal}
	if len(o.principal) > 12 && o.principal[:12] == "principal://" {
		auth = map[string]any{"principalSubject": o.principal}
	}
	if len(o.via) > 0 {
		auth["serviceAccountDelegationInfo"] = delegation(o.via...)
	}
	if o.keyName != "" {
		auth["serviceAccountKeyName"] = o.keyName
	}
	pp["@type"] = "type.googleapis.com/google.cloud.audit.AuditLog"
	pp["authenticationInfo"] = auth
	pp["requestMetadata"] = map[string]any{
		"callerIp":                "203.0.113.5",
		"callerSuppliedUserAgent": "google-api-go-client/0.5 fedctl/1.0,gzip(gfe)",
		"requestAttributes":       map[string]any{"time": o.time.Format(time.RFC3339Nano), "auth": map[string]any{}},
		"destinationAttributes":   map[string]any{},
	}
	if o.status != nil {
		pp["status"] = o.status
	} else {
		pp["status"] = map[string]any{}
	}
	return map[string]any{
		"insertId":         o.insertID,
		"logName":          "projects/" + testProject + "/logs/cloudaudit.googleapis.com%2F" + logID,
		"resource":         resource,
		"protoPayload":     pp,
		"timestamp":        o.time.UTC().Format(time.RFC3339Nano),
		"receiveTimestamp": o.time.Add(1200 * time.Millisecond).UTC().Format(time.RFC3339Nano),
		"severity":         "INFO",
	}
}

// mintEntry is a GenerateAccessToken Data Access entry: caller mints for target.
func mintEntry(o entryOpts, target string, delegates ...string) map[string]any {
	chain := []string{}
	var reqDelegates []string
	for _, d := range delegates {
		chain = append(chain, "projects/-/serviceAccounts/"+d)
		reqDelegates = append(reqDelegates, "projects/-/serviceAccounts/"+d)
	}
	chain = append(chain, "projects/-/serviceAccounts/"+target)
	req := map[string]any{
		"@type": "type.googleapis.com/google.iam.credentials.v1.GenerateAccessTokenRequest",
		"name":  "projects/-/serviceAccounts/" + target,
	}
	if len(reqDelegates) > 0 {
		req["delegates"] = reqDelegates
	}
	pp := map[string]any{
		"serviceName":  "iamcredentials.googleapis.com",
		"methodName":   "GenerateAccessToken",
		"resourceName": "projects/-/serviceAccounts/104567890123456789012",
		"authorizationInfo": []any{map[string]any{"permission": "iam.serviceAccounts.getAccessToken", "granted": o.status == nil,
			"resource": "projects/-/serviceAccounts/104567890123456789012", "resourceAttributes": map[string]any{}, "permissionType": "ADMIN_READ"}},
		"request":  req,
		"metadata": map[string]any{"identityDelegationChain": chain},
	}
	res := map[string]any{"type": "service_account", "labels": map[string]any{
		"email_id": target, "project_id": testProject, "unique_id": "104567890123456789012"}}
	return envelope(o, "data_access", res, pp)
}

func jobStats(t time.Time) map[string]any {
	return map[string]any{"createTime": t.Format(time.RFC3339Nano), "startTime": t.Format(time.RFC3339Nano),
		"endTime": t.Add(800 * time.Millisecond).Format(time.RFC3339Nano), "totalSlotMs": "12",
		"queryStats": map[string]any{"totalProcessedBytes": "10485760", "totalBilledBytes": "10485760", "billingTier": 1,
			"referencedTables": []any{"projects/my-proj/datasets/sales/tables/orders"}, "outputRowCount": "42", "cacheHit": false},
		"reservation": "unreserved"}
}

// newStyleQuery is a BigQueryAuditMetadata entry: jobInsertion, or jobChange
// to DONE when done is set. jobErr, when set, is the job's errorResult.
func newStyleQuery(o entryOpts, jobID, query string, done bool, jobErr map[string]any) map[string]any {
	status := map[string]any{"jobState": "RUNNING"}
	if done {
		status["jobState"] = "DONE"
	}
	if jobErr != nil {
		status["errorResult"] = jobErr
		status["errors"] = []any{jobErr}
	}
	job := map[string]any{
		"jobName": "projects/" + testProject + "/jobs/" + jobID,
		"jobConfig": map[string]any{"type": "QUERY", "labels": map[string]any{},
			"queryConfig": map[string]any{"query": query, "queryTruncated": false,
				"destinationTable":  "projects/my-proj/datasets/_8a1b2c/tables/anon" + jobID,
				"createDisposition": "CREATE_IF_NEEDED", "writeDisposition": "WRITE_TRUNCATE",
				"priority": "QUERY_INTERACTIVE", "statementType": "SELECT"}},
		"jobStatus": status,
		"jobStats":  jobStats(o.time),
	}
	md := map[string]any{"@type": "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata"}
	if done {
		md["jobChange"] = map[string]any{"before": "RUNNING", "after": "DONE", "job": job}
	} else {
		md["jobInsertion"] = map[string]any{"reason": "QUERY_REQUEST", "job": job}
	}
	pp := map[string]any{
		"serviceName":      "bigquery.googleapis.com",
		"methodName":       "google.cloud.bigquery.v2.JobService.InsertJob",
		"resourceName":     "projects/" + testProject + "/jobs/" + jobID,
		"resourceLocation": map[string]any{"currentLocations": []any{"US"}},
		"authorizationInfo": []any{map[string]any{"resource": "projects/" + testProject, "permission": "bigquery.jobs.create",
			"granted": true, "resourceAttributes": map[string]any{}, "permissionType": "DATA_WRITE"}},
		"metadata": md,
	}
	res := map[string]any{"type": "bigquery_project", "labels": map[string]any{"project_id": testProject, "location": "US"}}
	return envelope(o, "data_access", res, pp)
}

func legacyJob(jobID, query string, done bool, jobErr map[string]any) map[string]any {
	st := map[string]any{"state": "RUNNING"}
	if done {
		st["state"] = "DONE"
	}
	if jobErr != nil {
		st["error"] = jobErr
		st["additionalErrors"] = []any{jobErr}
	}
	return map[string]any{
		"jobName": map[string]any{"projectId": testProject, "jobId": jobID, "location": "US"},
		"jobConfiguration": map[string]any{"query": map[string]any{"query": query,
			"destinationTable":  map[string]any{"projectId": testProject, "datasetId": "_8a1b2c", "tableId": "anon" + jobID},
			"createDisposition": "CREATE_IF_NEEDED", "writeDisposition": "WRITE_TRUNCATE",
			"queryPriority": "QUERY_INTERACTIVE", "statementType": "SELECT"}, "dryRun": false, "labels": map[string]any{}},
		"jobStatus": st,
		"jobStatistics": map[string]any{"createTime": "2024-05-01T12:00:00Z", "startTime": "2024-05-01T12:00:00Z",
			"endTime": "2024-05-01T12:00:01Z", "totalProcessedBytes": "10485760", "totalBilledBytes": "10485760",
			"billingTier": 1, "totalSlotMs": "12", "totalTablesProcessed": 1, "queryOutputRowCount": "42"},
	}
}

// legacyQuery is a legacy AuditData entry: jobservice.insert, or
// jobservice.jobcompleted when done is set.
func legacyQuery(o entryOpts, jobID, query string, done bool, jobErr map[string]any) map[string]any {
	sd := map[string]any{"@type": "type.googleapis.com/google.cloud.bigquery.logging.v1.AuditData"}
	method := "jobservice.insert"
	if done {
		method = "jobservice.jobcompleted"
		sd["jobCompletedEvent"] = map[string]any{"eventName": "query_job_completed", "job": legacyJob(jobID, query, true, jobErr)}
	} else {
		sd["jobInsertRequest"] = map[string]any{"resource": map[string]any{
			"jobName":          map[string]any{"projectId": testProject, "jobId": jobID},
			"jobConfiguration": map[string]any{"query": map[string]any{"query": query}}}}
		sd["jobInsertResponse"] = map[string]any{"resource": legacyJob(jobID, query, false, nil)}
	}
	pp := map[string]any{
		"serviceName":  "bigquery.googleapis.com",
		"methodName":   method,
		"resourceName": "projects/" + testProject + "/jobs/" + jobID,
		"authorizationInfo": []any{map[string]any{"resource": "projects/" + testProject, "permission": "bigquery.jobs.create",
			"granted": true}},
		"serviceData": sd,
	}
	res := map[string]any{"type": "bigquery_resource", "labels": map[string]any{"project_id": testProject}}
	return envelope(o, "data_access", res, pp)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

var base = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func id(n int) string { return fmt.Sprintf("ins%06d", n) }
