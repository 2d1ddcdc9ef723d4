package emulator

import (
	"strconv"
	"time"
)

// BigQuery's job audit entries (gcp-wire §8.4), both generations, in the
// project's data_access log (BigQuery Data Access logs are always on):
//
//   - BigQueryAuditMetadata (protoPayload.metadata, resource bigquery_project):
//     a jobInsertion entry and a jobChange RUNNING→DONE entry, methodName
//     google.cloud.bigquery.v2.JobService.InsertJob;
//   - legacy AuditData (protoPayload.serviceData, resource bigquery_resource):
//     jobservice.jobcompleted with jobCompletedEvent.
//
// A denied job (no bigquery.jobs.create) writes an InsertJob entry and a
// legacy jobservice.query/insert entry with status PERMISSION_DENIED.

const (
	bqAuditMetadataType = "type.googleapis.com/google.cloud.audit.BigQueryAuditMetadata"
	bqAuditDataType     = "type.googleapis.com/google.cloud.bigquery.logging.v1.AuditData"
)

func bqTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// bqAuditJob is BigQueryAuditMetadata.Job.
func bqAuditJob(p *Project, j *Job, state string) map[string]any {
	status := map[string]any{"jobState": state}
	if j.Error != nil {
		status["errorResult"] = map[string]any{"code": bqErrorCode(j.Error.Reason), "message": j.Error.Message}
	}
	stats := map[string]any{"createTime": bqTime(j.CreatedAt), "startTime": bqTime(j.CreatedAt)}
	if state == "DONE" {
		stats["endTime"] = bqTime(j.EndedAt)
		stats["totalSlotMs"] = "0"
		stats["queryStats"] = map[string]any{"totalProcessedBytes": "0", "totalBilledBytes": "0",
			"outputRowCount": strconv.FormatInt(j.TotalRows, 10)}
	}
	return map[string]any{
		"jobName": "projects/" + p.ID + "/jobs/" + j.ID,
		"jobConfig": map[string]any{"type": "QUERY", "queryConfig": map[string]any{
			"query": j.Query, "createDisposition": "CREATE_IF_NEEDED", "writeDisposition": "WRITE_TRUNCATE",
			"priority": "QUERY_INTERACTIVE", "statementType": "SELECT"}},
		"jobStatus": status,
		"jobStats":  stats,
	}
}

// bqErrorCode maps a BigQuery error reason to its google.rpc.Code number.
func bqErrorCode(reason string) int {
	switch reason {
	case "notFound":
		return 5
	case "accessDenied":
		return 7
	}
	return 3
}

func bqAuthz(p *Project, granted bool) []authorizationInfo {
	return []authorizationInfo{{Resource: "projects/" + p.ID, Permission: permJobsCreate, Granted: granted,
		ResourceAttributes: map[string]any{}}}
}

func (c *call) auditBQJob(p *Project, caller *Identity, j *Job, viaQuery bool) {
	reason := "JOB_INSERT_REQUEST"
	if viaQuery {
		reason = "QUERY_REQUEST"
	}
	projRes := monitoredResource{Type: "bigquery_project", Labels: map[string]string{"project_id": p.ID, "location": j.Location}}
	jobRes := "projects/" + p.ID + "/jobs/" + j.ID
	op := &logOperation{ID: p.Number + "-" + p.ID + ":" + j.ID, Producer: bqService}
	var status *rpcStatus
	severity := "INFO"
	if j.Error != nil {
		status = &rpcStatus{Code: bqErrorCode(j.Error.Reason), Message: j.Error.Message}
		severity = "ERROR"
	}
	newStyle := func(event string, body map[string]any, st *rpcStatus, sev string, op *logOperation) {
		c.writeAudit(&logEntry{LogName: logName(p.ID, logDataAccess), Resource: projRes, Severity: sev, Operation: op,
			ProtoPayload: &auditLog{ServiceName: bqService, MethodName: bqJobInsertName, Status: st,
				AuthenticationInfo: authInfoFor(caller), AuthorizationInfo: bqAuthz(p, true),
				ResourceName: jobRes, ResourceLocation: &resourceLocation{CurrentLocations: []string{j.Location}},
				Metadata: map[string]any{"@type": bqAuditMetadataType, event: body}}})
	}
	first := *op
	first.First = true
	newStyle("jobInsertion", map[string]any{"job": bqAuditJob(p, j, "RUNNING"), "reason": reason}, nil, "INFO", &first)
	last := *op
	last.Last = true
	newStyle("jobChange", map[string]any{"before": "RUNNING", "after": "DONE", "job": bqAuditJob(p, j, "DONE")}, status, severity, &last)

	// Legacy AuditData.
	jobStatus := map[string]any{"state": "DONE"}
	if status != nil {
		jobStatus["error"] = map[string]any{"code": status.Code, "message": status.Message}
	}
	completed := map[string]any{
		"eventName": "query_job_completed",
		"job": map[string]any{
			"jobName": map[string]any{"projectId": p.ID, "jobId": j.ID, "location": j.Location},
			"jobConfiguration": map[string]any{"query": map[string]any{"query": j.Query,
				"createDisposition": "CREATE_IF_NEEDED", "writeDisposition": "WRITE_TRUNCATE",
				"queryPriority": "QUERY_INTERACTIVE", "statementType": "SELECT"}},
			"jobStatus": jobStatus,
			"jobStatistics": map[string]any{"createTime": bqTime(j.CreatedAt), "startTime": bqTime(j.CreatedAt),
				"endTime": bqTime(j.EndedAt), "totalProcessedBytes": "0", "totalBilledBytes": "0",
				"queryOutputRowCount": strconv.FormatInt(j.TotalRows, 10)},
		},
	}
	c.writeAudit(&logEntry{LogName: logName(p.ID, logDataAccess), Severity: severity,
		Resource: monitoredResource{Type: "bigquery_resource", Labels: map[string]string{"project_id": p.ID}},
		ProtoPayload: &auditLog{ServiceName: bqService, MethodName: "jobservice.jobcompleted", Status: status,
			AuthenticationInfo: authInfoFor(caller), ResourceName: jobRes,
			ServiceData: map[string]any{"@type": bqAuditDataType, "jobCompletedEvent": completed}}})
}

func (c *call) auditBQDenied(p *Project, caller *Identity, j *Job, viaQuery bool, msg string) {
	denied := &rpcStatus{Code: 7, Message: msg}
	j = &Job{ID: j.ID, Location: j.Location, Query: j.Query, CreatedAt: j.CreatedAt, EndedAt: j.EndedAt,
		Error: &apiErrorJSON{Reason: "accessDenied", Message: msg}}
	reason, legacyMethod := "JOB_INSERT_REQUEST", "jobservice.insert"
	legacyReq := map[string]any{"jobInsertRequest": map[string]any{"resource": map[string]any{
		"jobName":          map[string]any{"projectId": p.ID, "jobId": j.ID, "location": j.Location},
		"jobConfiguration": map[string]any{"query": map[string]any{"query": j.Query}}}}}
	if viaQuery {
		reason, legacyMethod = "QUERY_REQUEST", "jobservice.query"
		legacyReq = map[string]any{"jobQueryRequest": map[string]any{"query": j.Query, "projectId": p.ID, "dryRun": false}}
	}
	legacyReq["@type"] = bqAuditDataType
	c.writeAudit(&logEntry{LogName: logName(p.ID, logDataAccess), Severity: "ERROR",
		Resource: monitoredResource{Type: "bigquery_project", Labels: map[string]string{"project_id": p.ID, "location": j.Location}},
		ProtoPayload: &auditLog{ServiceName: bqService, MethodName: bqJobInsertName, Status: denied,
			AuthenticationInfo: authInfoFor(caller), AuthorizationInfo: bqAuthz(p, false),
			ResourceName: "projects/" + p.ID + "/jobs/" + j.ID,
			Metadata: map[string]any{"@type": bqAuditMetadataType,
				"jobInsertion": map[string]any{"job": bqAuditJob(p, j, "DONE"), "reason": reason}}}})
	c.writeAudit(&logEntry{LogName: logName(p.ID, logDataAccess), Severity: "ERROR",
		Resource: monitoredResource{Type: "bigquery_resource", Labels: map[string]string{"project_id": p.ID}},
		ProtoPayload: &auditLog{ServiceName: bqService, MethodName: legacyMethod, Status: denied,
			AuthenticationInfo: authInfoFor(caller), AuthorizationInfo: bqAuthz(p, false),
			ResourceName: "projects/" + p.ID, ServiceData: legacyReq}})
}
