package emulator

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
	bq "google.golang.org/api/bigquery/v2"
	"google.golang.org/api/iterator"
	"google.golang.org/api/option"
)

// bqClient is the cloud.google.com/go/bigquery client as token.
func (e *dpEnv) bqClient(t *testing.T, token string) *bigquery.Client {
	t.Helper()
	c, err := bigquery.NewClient(dpCtx, dpProject,
		option.WithEndpoint(e.Endpoint+"bigquery/bigquery/v2/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: token})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// bqDiscovery is the generated bigquery/v2 client as token.
func (e *dpEnv) bqDiscovery(t *testing.T, token string) *bq.Service {
	t.Helper()
	opts := e.as(token, "bigquery")
	opts[0] = option.WithEndpoint(e.Endpoint + "bigquery/bigquery/v2/")
	svc, err := bq.NewService(dpCtx, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// readAll runs q and returns its rows.
func dpReadAll(t *testing.T, q *bigquery.Query) ([][]bigquery.Value, error) {
	t.Helper()
	it, err := q.Read(dpCtx)
	if err != nil {
		return nil, err
	}
	var rows [][]bigquery.Value
	for {
		var row []bigquery.Value
		err := it.Next(&row)
		if errors.Is(err, iterator.Done) {
			return rows, nil
		}
		if err != nil {
			return nil, err
		}
		rows = append(rows, row)
	}
}

func TestBigQuerySelectOneAsImpersonatedUserSA(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-hana")
	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	e.grant(t, e.onProject(), "roles/bigquery.user", "serviceAccount:"+user.Email)
	res, err := dpMint(e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email)), user.Email)
	if err != nil {
		t.Fatal(err)
	}
	e.ResetStats()
	rows, err := dpReadAll(t, e.bqClient(t, res.AccessToken).Query("SELECT 1"))
	if err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != int64(1) {
		t.Fatalf("rows = %v, want [[1]]", rows)
	}
	if n := e.Stats().ByRoute["unknown"]; n != 0 {
		t.Errorf("the client called %d unknown routes: %v", n, e.Stats())
	}

	inserts := e.entries(t, bqJobInsertName)
	if len(inserts) != 2 {
		t.Fatalf("%d InsertJob entries, want 2 (jobInsertion, jobChange)", len(inserts))
	}
	done := inserts[1]
	want := map[string][2]any{
		"principalEmail": {dpDig(done, "protoPayload", "authenticationInfo", "principalEmail"), user.Email},
		"delegation":     {dpDig(done, "protoPayload", "authenticationInfo", "serviceAccountDelegationInfo", 0, "firstPartyPrincipal", "principalEmail"), admin.Email},
		"after":          {dpDig(done, "protoPayload", "metadata", "jobChange", "after"), "DONE"},
		"query":          {dpDig(done, "protoPayload", "metadata", "jobChange", "job", "jobConfig", "queryConfig", "query"), "SELECT 1"},
		"metadata @type": {dpDig(done, "protoPayload", "metadata", "@type"), bqAuditMetadataType},
		"resource.type":  {dpDig(done, "resource", "type"), "bigquery_project"},
		"reason":         {dpDig(inserts[0], "protoPayload", "metadata", "jobInsertion", "reason"), "QUERY_REQUEST"},
	}
	for k, v := range want {
		if v[0] != v[1] {
			t.Errorf("InsertJob %s = %v, want %v", k, v[0], v[1])
		}
	}
	legacy := e.entries(t, "jobservice.jobcompleted")
	if len(legacy) != 1 {
		t.Fatalf("%d jobservice.jobcompleted entries, want 1", len(legacy))
	}
	if q := dpDig(legacy[0], "protoPayload", "serviceData", "jobCompletedEvent", "job", "jobConfiguration", "query", "query"); q != "SELECT 1" {
		t.Errorf("legacy query text = %v", q)
	}
	if p := dpDig(legacy[0], "protoPayload", "authenticationInfo", "principalEmail"); p != user.Email {
		t.Errorf("legacy principalEmail = %v", p)
	}
}

func TestBigQueryJobPathInsertGetResults(t *testing.T) {
	e := dpNew(t, 0)
	client := e.bqClient(t, e.Token)
	q := client.Query("SELECT 'x' AS s")
	q.JobID = "my_job_1" // a user job ID takes the jobs.insert path
	e.ResetStats()
	rows, err := dpReadAll(t, q)
	if err != nil {
		t.Fatalf("job path: %v", err)
	}
	if len(rows) != 1 || rows[0][0] != "x" {
		t.Fatalf("rows = %v, want [[x]]", rows)
	}
	st := e.Stats().ByRoute
	if st["bigquery.jobs.insert"] != 1 || st["bigquery.jobs.getQueryResults"] == 0 || st["unknown"] != 0 {
		t.Errorf("calls = %v, want jobs.insert then getQueryResults", st)
	}
	job, err := client.JobFromID(dpCtx, "my_job_1")
	if err != nil {
		t.Fatalf("jobs.get: %v", err)
	}
	if s, err := job.Status(dpCtx); err != nil || !s.Done() || s.Err() != nil {
		t.Errorf("job status = %+v, %v; want DONE without error", s, err)
	}
	if _, err := client.JobFromID(dpCtx, "no_such_job"); dpCode(err) != 404 || dpLegacyReason(err) != "notFound" {
		t.Errorf("missing job: got %v, want 404 notFound", err)
	}
}

func TestBigQueryLiteralTypes(t *testing.T) {
	e := dpNew(t, 0)
	resp, err := e.bqDiscovery(t, e.Token).Jobs.Query(dpProject, &bq.QueryRequest{
		Query: `select -7, 'it\'s' AS s, 2.5, TRUE AS ok, NULL, "dq" ;`, UseLegacySql: new(bool)}).Do()
	if err != nil {
		t.Fatal(err)
	}
	var names, types, values []string
	for _, f := range resp.Schema.Fields {
		names, types = append(names, f.Name), append(types, f.Type)
	}
	for _, c := range resp.Rows[0].F {
		s, _ := c.V.(string)
		if c.V == nil {
			s = "<null>"
		}
		values = append(values, s)
	}
	if got, want := strings.Join(names, ","), "f0_,s,f1_,ok,f2_,f3_"; got != want {
		t.Errorf("names = %s, want %s", got, want)
	}
	if got, want := strings.Join(types, ","), "INTEGER,STRING,FLOAT,BOOLEAN,INTEGER,STRING"; got != want {
		t.Errorf("types = %s, want %s", got, want)
	}
	if got, want := strings.Join(values, ","), "-7,it's,2.5,true,<null>,dq"; got != want {
		t.Errorf("values = %s, want %s", got, want)
	}
	if resp.TotalRows != 1 || !resp.JobComplete || resp.JobReference.Location != "US" || resp.QueryId == "" {
		t.Errorf("response = %+v", resp)
	}
}

func TestBigQueryQueryErrors(t *testing.T) {
	e := dpNew(t, 0)
	svc := e.bqDiscovery(t, e.Token)
	for _, tc := range []struct {
		sql, reason, msg string
		code             int
	}{
		{"SELECT 1 FROM", "invalidQuery", "Syntax error: Expected end of input but got keyword FROM at [1:10]", 400},
		{"DELETE x", "invalidQuery", "Syntax error: Unexpected identifier \"DELETE\" at [1:1]", 400},
		{"SELECT 'open", "invalidQuery", "Unclosed string literal", 400},
		{"SELECT * FROM ds.t", "notFound", "Not found: Table demo-project:ds.t was not found in location US", 404},
	} {
		_, err := svc.Jobs.Query(dpProject, &bq.QueryRequest{Query: tc.sql}).Do()
		if dpCode(err) != tc.code || dpLegacyReason(err) != tc.reason || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%q: got %v, want %d %s %q", tc.sql, err, tc.code, tc.reason, tc.msg)
		}
	}
}

func TestBigQueryDeniedWithoutJobsCreate(t *testing.T) {
	e := dpNew(t, time.Minute)
	user := e.sa(t, "fedctl-ivan")
	tok := e.tokenFor("serviceAccount:" + user.Email)
	_, err := dpReadAll(t, e.bqClient(t, tok).Query("SELECT 1"))
	want := "Access Denied: Project demo-project: User does not have bigquery.jobs.create permission in project demo-project."
	if dpCode(err) != 403 || dpLegacyReason(err) != "accessDenied" || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %v, want 403 accessDenied", err)
	}
	denied := e.entries(t, bqJobInsertName)
	if len(denied) != 1 || dpDig(denied[0], "protoPayload", "status", "code") != float64(7) ||
		dpDig(denied[0], "protoPayload", "authenticationInfo", "principalEmail") != user.Email {
		t.Fatalf("denied InsertJob entries = %v, want one with status code 7 for %s", denied, user.Email)
	}
	if l := e.entries(t, "jobservice.query"); len(l) != 1 || dpDig(l[0], "protoPayload", "serviceData", "jobQueryRequest", "query") != "SELECT 1" {
		t.Errorf("legacy denied entries = %v", l)
	}

	e.grant(t, e.onProject(), "roles/bigquery.jobUser", "serviceAccount:"+user.Email)
	if _, err := dpReadAll(t, e.bqClient(t, tok).Query("SELECT 1")); dpLegacyReason(err) != "accessDenied" {
		t.Fatalf("inside the propagation delay: got %v, want accessDenied", err)
	}
	e.clock.Advance(time.Minute)
	if _, err := dpReadAll(t, e.bqClient(t, tok).Query("SELECT 1")); err != nil {
		t.Fatalf("after propagation: %v", err)
	}
}

func TestBigQueryServiceDisabled(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, bqService, false)
	_, err := e.bqDiscovery(t, e.Token).Jobs.Query(dpProject, &bq.QueryRequest{Query: "SELECT 1"}).Do()
	if dpCode(err) != 403 || dpLegacyReason(err) != "accessNotConfigured" {
		t.Fatalf("got %v, want 403 accessNotConfigured", err)
	}
}

func TestBigQueryDatasets(t *testing.T) {
	e := dpNew(t, 0)
	svc := e.bqDiscovery(t, e.Token)
	ds, err := svc.Datasets.Insert(dpProject, &bq.Dataset{
		DatasetReference: &bq.DatasetReference{ProjectId: dpProject, DatasetId: "audit"}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range ds.Access {
		got = append(got, a.Role+":"+a.SpecialGroup+a.UserByEmail)
	}
	want := []string{"WRITER:projectWriters", "OWNER:projectOwners", "OWNER:operator@example.com", "READER:projectReaders"}
	if !slices.Equal(got, want) || ds.Id != dpProject+":audit" || ds.Location != "US" || ds.CreationTime == 0 {
		t.Fatalf("inserted dataset = %+v access %v, want default access %v", ds, got, want)
	}

	_, err = svc.Datasets.Insert(dpProject, &bq.Dataset{DatasetReference: &bq.DatasetReference{DatasetId: "audit"}}).Do()
	if dpCode(err) != 409 || dpLegacyReason(err) != "duplicate" || !strings.Contains(err.Error(), "Already Exists: Dataset demo-project:audit") {
		t.Errorf("duplicate insert: got %v", err)
	}

	writer := &bq.DatasetAccess{Role: "roles/bigquery.dataEditor", UserByEmail: "service-123456789012@gcp-sa-logging.iam.gserviceaccount.com"}
	patched, err := svc.Datasets.Patch(dpProject, "audit", &bq.Dataset{Access: append(ds.Access[:1:1], writer)}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(patched.Access) != 2 || patched.Access[1].Role != "WRITER" || patched.Etag == ds.Etag {
		t.Errorf("patch must replace access and map the role to WRITER: %+v", patched.Access)
	}
	_, err = svc.Datasets.Patch(dpProject, "audit", &bq.Dataset{Access: []*bq.DatasetAccess{{Role: "READER"}}}).Do()
	if dpCode(err) != 400 || dpLegacyReason(err) != "invalid" {
		t.Errorf("entry without entity: got %v, want 400 invalid", err)
	}

	list, err := svc.Datasets.List(dpProject).Do()
	if err != nil || len(list.Datasets) != 1 || list.Datasets[0].DatasetReference.DatasetId != "audit" {
		t.Errorf("list = %+v, %v", list, err)
	}
	if err := svc.Datasets.Delete(dpProject, "audit").Do(); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Datasets.Get(dpProject, "audit").Do()
	if dpCode(err) != 404 || dpLegacyReason(err) != "notFound" || !strings.Contains(err.Error(), "Not found: Dataset demo-project:audit") {
		t.Errorf("get after delete: got %v, want 404 notFound", err)
	}
}
