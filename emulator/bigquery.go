package emulator

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	bq "google.golang.org/api/bigquery/v2"
)

// BigQuery v2 jobs (gcp-wire §9): jobs.query, jobs.insert, jobs.get and
// jobs.getQueryResults for the SQL of bigquery_sql.go. Jobs finish at once.
// Errors always carry the legacy errors[] (errBigQuery); every job writes its
// Data Access audit entries (auditlog_bigquery.go), which are always on.

const (
	bqService       = "bigquery.googleapis.com"
	bqBaseURL       = "https://bigquery.googleapis.com/bigquery/v2/"
	bqLocation      = "US"
	permJobsCreate  = "bigquery.jobs.create"
	bqJobInsertName = "google.cloud.bigquery.v2.JobService.InsertJob"
)

func init() {
	registerAPI(func(s *Server) {
		for _, r := range []*route{
			{Method: "POST", Pattern: `^/projects/([^/]+)/queries$`, Name: "bigquery.jobs.query", Mutates: true, Handler: bqJobsQuery},
			{Method: "GET", Pattern: `^/projects/([^/]+)/queries/([^/]+)$`, Name: "bigquery.jobs.getQueryResults", Handler: bqGetQueryResults},
			{Method: "POST", Pattern: `^/projects/([^/]+)/jobs$`, Name: "bigquery.jobs.insert", Mutates: true, Handler: bqJobsInsert},
			{Method: "GET", Pattern: `^/projects/([^/]+)/jobs/([^/]+)$`, Name: "bigquery.jobs.get", Handler: bqJobsGet},
		} {
			r.Service = "bigquery"
			s.handle(r)
		}
	})
}

// bqProject finds the project a BigQuery request names and checks that the
// API is enabled in it (BigQuery's apiary form of SERVICE_DISABLED).
func (c *call) bqProject(id string) (*Project, error) {
	p := c.st.ProjectByIDOrNumber(id)
	if p == nil {
		return nil, errBigQuery(404, "NOT_FOUND", "notFound", "Not found: Project "+id)
	}
	if err := c.requireService(p, bqService, id); err != nil {
		return nil, err
	}
	return p, nil
}

func errJobsCreateDenied(project string) *apiError {
	return errBigQuery(403, "PERMISSION_DENIED", "accessDenied",
		fmt.Sprintf("Access Denied: Project %s: User does not have %s permission in project %s.", project, permJobsCreate, project))
}

// bqRun authorizes and runs a query job for the caller, records it and writes
// its audit entries. A permission denial is returned as the error; a failed
// query is a finished job with an error.
func (c *call) bqRun(p *Project, jobID, location, sql string, viaQuery bool) (*Job, error) {
	caller, _ := c.caller()
	if location == "" {
		location = bqLocation
	}
	if jobID == "" {
		jobID = "job_" + bqRandomID()
	}
	job := &Job{ID: jobID, Location: location, Query: sql, Principal: caller.Principal, CreatedAt: c.now, EndedAt: c.now}
	if !p.Policy.allowsR(c.customRoles(), caller, permJobsCreate, c.now, c.s.opts.PropagationDelay) {
		denied := errJobsCreateDenied(p.ID)
		c.auditBQDenied(p, caller, job, viaQuery, denied.Message)
		return nil, denied
	}
	if p.Jobs[jobID] != nil {
		return nil, errBigQuery(409, "ALREADY_EXISTS", "duplicate", fmt.Sprintf("Already Exists: Job %s:%s.%s", p.ID, location, jobID))
	}
	cols, qerr := runBQQuery(p.ID, sql)
	if qerr != nil {
		job.Error = &apiErrorJSON{Reason: qerr.Reason, Message: qerr.Message}
	} else {
		job.Schema, job.Rows = bqResult(cols)
		job.TotalRows = 1
	}
	if p.Jobs == nil {
		p.Jobs = map[string]*Job{}
	}
	p.Jobs[jobID] = job
	c.auditBQJob(p, caller, job, viaQuery)
	return job, nil
}

// bqRandomID is a job id suffix like BigQuery's (letters, digits, '_', '-').
func bqRandomID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-"
	b := randomBytes(24)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// bqResult renders the columns as the wire schema and a single f/v row.
func bqResult(cols []bqColumn) (schema, rows json.RawMessage) {
	fields := make([]*bq.TableFieldSchema, len(cols))
	cells := make([]map[string]any, len(cols))
	for i, col := range cols {
		fields[i] = &bq.TableFieldSchema{Name: col.Name, Type: col.Type, Mode: "NULLABLE"}
		var v any
		if col.Value != nil {
			v = *col.Value
		}
		cells[i] = map[string]any{"v": v}
	}
	schema, _ = json.Marshal(&bq.TableSchema{Fields: fields})
	rows, _ = json.Marshal([]map[string]any{{"f": cells}})
	return schema, rows
}

// bqJobError is the API error of a failed job (jobs.query, getQueryResults).
func bqJobError(j *Job) *apiError {
	code, status := 400, "INVALID_ARGUMENT"
	switch j.Error.Reason {
	case "notFound":
		code, status = 404, "NOT_FOUND"
	case "accessDenied":
		code, status = 403, "PERMISSION_DENIED"
	}
	return errBigQuery(code, status, j.Error.Reason, j.Error.Message)
}

// bqQueryResults is QueryResponse / GetQueryResultsResponse: our own struct
// so that jobComplete, cacheHit and totalBytesProcessed are always sent.
type bqQueryResults struct {
	Kind                string           `json:"kind"`
	Etag                string           `json:"etag,omitempty"`
	Schema              json.RawMessage  `json:"schema,omitempty"`
	JobReference        *bq.JobReference `json:"jobReference,omitempty"`
	TotalRows           string           `json:"totalRows,omitempty"`
	Rows                json.RawMessage  `json:"rows,omitempty"`
	TotalBytesProcessed string           `json:"totalBytesProcessed"`
	JobComplete         bool             `json:"jobComplete"`
	CacheHit            bool             `json:"cacheHit"`
	QueryID             string           `json:"queryId,omitempty"`
}

func bqResultsOf(p *Project, j *Job, kind string) *bqQueryResults {
	return &bqQueryResults{Kind: kind, Schema: j.Schema,
		JobReference: &bq.JobReference{ProjectId: p.ID, JobId: j.ID, Location: j.Location},
		TotalRows:    strconv.FormatInt(j.TotalRows, 10), Rows: j.Rows,
		TotalBytesProcessed: "0", JobComplete: true}
}

func bqJobsQuery(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	var req bq.QueryRequest
	if err := c.decode(&req); err != nil {
		return nil, bqDecodeErr(err)
	}
	if req.Query == "" {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "required", "Required parameter is missing: query")
	}
	if req.DryRun {
		cols, qerr := runBQQuery(p.ID, req.Query)
		if qerr != nil {
			return nil, qerr.api()
		}
		schema, _ := bqResult(cols)
		return &bqQueryResults{Kind: "bigquery#queryResponse", Schema: schema, TotalBytesProcessed: "0", JobComplete: true}, nil
	}
	job, err := c.bqRun(p, "", req.Location, req.Query, true)
	if err != nil {
		return nil, err
	}
	if job.Error != nil {
		return nil, bqJobError(job)
	}
	out := bqResultsOf(p, job, "bigquery#queryResponse")
	out.QueryID = job.ID
	return out, nil
}

// bqDecodeErr turns a body decoding error into BigQuery's style (errors[]).
func bqDecodeErr(err error) error {
	if ae, ok := err.(*apiError); ok {
		return errBigQuery(ae.HTTP, ae.Status, "invalid", ae.Message)
	}
	return err
}

func (c *call) bqJob(p *Project, jobID string) (*Job, error) {
	j := p.Jobs[jobID]
	if j == nil {
		loc := c.query("location")
		if loc == "" {
			loc = bqLocation
		}
		return nil, errBigQuery(404, "NOT_FOUND", "notFound", fmt.Sprintf("Not found: Job %s:%s.%s", p.ID, loc, jobID))
	}
	return j, nil
}

func bqGetQueryResults(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	j, err := c.bqJob(p, c.args[1])
	if err != nil {
		return nil, err
	}
	if j.Error != nil {
		return nil, bqJobError(j)
	}
	out := bqResultsOf(p, j, "bigquery#getQueryResultsResponse")
	out.Etag = newEtag()
	if si, _ := strconv.ParseInt(c.query("startIndex"), 10, 64); si >= j.TotalRows {
		out.Rows = nil // past the single row
	}
	return out, nil
}

func bqJobsInsert(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	var req bq.Job
	if err := c.decode(&req); err != nil {
		return nil, bqDecodeErr(err)
	}
	if req.Configuration == nil || req.Configuration.Query == nil {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "invalid", "The emulated BigQuery runs query jobs only: configuration.query is required.")
	}
	if req.Configuration.Query.Query == "" {
		return nil, errBigQuery(400, "INVALID_ARGUMENT", "required", "Required parameter is missing: query")
	}
	var jobID, location string
	if r := req.JobReference; r != nil {
		jobID, location = r.JobId, r.Location
	}
	job, err := c.bqRun(p, jobID, location, req.Configuration.Query.Query, false)
	if err != nil {
		return nil, err
	}
	return c.bqJobResource(p, job), nil
}

func bqJobsGet(c *call) (any, error) {
	p, err := c.bqProject(c.args[0])
	if err != nil {
		return nil, err
	}
	j, err := c.bqJob(p, c.args[1])
	if err != nil {
		return nil, err
	}
	return c.bqJobResource(p, j), nil
}

// bqJobResource is the Job as jobs.insert/get return it.
func (c *call) bqJobResource(p *Project, j *Job) *bq.Job {
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	out := &bq.Job{
		Kind: "bigquery#job", Etag: newEtag(), Id: p.ID + ":" + j.Location + "." + j.ID,
		SelfLink:     bqBaseURL + "projects/" + p.ID + "/jobs/" + j.ID + "?location=" + j.Location,
		JobReference: &bq.JobReference{ProjectId: p.ID, JobId: j.ID, Location: j.Location},
		Configuration: &bq.JobConfiguration{JobType: "QUERY",
			Query: &bq.JobConfigurationQuery{Query: j.Query, UseLegacySql: new(bool), Priority: "INTERACTIVE"}},
		Statistics: &bq.JobStatistics{CreationTime: ms(j.CreatedAt), StartTime: ms(j.CreatedAt), EndTime: ms(j.EndedAt),
			TotalBytesProcessed: 0, ForceSendFields: []string{"TotalBytesProcessed"},
			Query: &bq.JobStatistics2{StatementType: "SELECT", TotalBytesProcessed: 0, TotalBytesBilled: 0,
				ForceSendFields: []string{"TotalBytesProcessed", "TotalBytesBilled", "CacheHit"}}},
		Status:           &bq.JobStatus{State: "DONE"},
		UserEmail:        (&Identity{Principal: j.Principal}).Email(),
		PrincipalSubject: j.Principal,
	}
	if j.Error != nil {
		ep := &bq.ErrorProto{Reason: j.Error.Reason, Message: j.Error.Message, Location: "query"}
		out.Status.ErrorResult, out.Status.Errors = ep, []*bq.ErrorProto{ep}
	}
	return out
}
