package audit

import (
	"strings"
	"testing"
	"time"

	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/emulator"
)

const wantWriter = "service-123456789012@gcp-sa-logging.iam.gserviceaccount.com"

func TestSinkCreateKeepsAccessAndIsIdempotent(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	// The dataset exists with access entries of its own.
	_, err := e.c.CreateDataset(e.ctx, testProject, &bqv2.Dataset{
		DatasetReference: &bqv2.DatasetReference{ProjectId: testProject, DatasetId: "audit_logs"}, Location: "US",
		Access: []*bqv2.DatasetAccess{
			{Role: "OWNER", UserByEmail: "operator@example.com"},
			{Role: "READER", GroupByEmail: "analysts@acme.com"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	fed := impersonationFederation(t, "alice@acme.com")
	spec := SinkSpec{Project: testProject, Name: "fedctl-federation-audit", Dataset: "audit_logs", Location: "US",
		Filter: SinkFilter(testProject, fed)}
	sk := &Sinks{C: e.c}

	plan, err := sk.Plan(e.ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	if plan.CreateDataset || !plan.CreateSink || !plan.GrantWriter || len(plan.Steps()) != 2 {
		t.Fatalf("first plan = %+v %v", plan, plan.Steps())
	}
	res, err := sk.Apply(e.ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if !res.CreatedSink || !res.GrantedWriter || res.Writer != wantWriter {
		t.Errorf("apply = %+v", res)
	}
	sink, err := e.c.GetSink(e.ctx, "projects/"+testProject+"/sinks/fedctl-federation-audit")
	if err != nil || sink.Filter != spec.Filter || sink.Destination != spec.Destination() || !sink.BigqueryOptions.UsePartitionedTables {
		t.Fatalf("sink = %+v, %v", sink, err)
	}
	ds, err := e.c.GetDataset(e.ctx, testProject, "audit_logs")
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, a := range ds.Access {
		entries = append(entries, a.Role+" "+a.UserByEmail+a.GroupByEmail)
	}
	got := strings.Join(entries, ",")
	for _, want := range []string{"OWNER operator@example.com", "READER analysts@acme.com", "WRITER " + wantWriter} {
		if !strings.Contains(got, want) {
			t.Errorf("access %s lacks %q", got, want)
		}
	}

	// Again: nothing to do, nothing written.
	e.ts.ResetStats()
	plan, err = sk.Plan(e.ctx, spec)
	if err != nil || !plan.Empty() {
		t.Fatalf("second plan = %+v, %v", plan, err)
	}
	if res, err = sk.Apply(e.ctx, plan); err != nil || res.GrantedWriter || res.CreatedSink || res.UpdatedSink {
		t.Fatalf("second apply = %+v, %v", res, err)
	}
	if w := e.ts.Stats().Writes; w != 0 {
		t.Errorf("idempotent run made %d writes: %v", w, e.ts.Stats())
	}

	// A changed filter updates the sink in place.
	spec.Filter = SinkFilter(testProject, impersonationFederation(t))
	spec.Filter += ` AND severity>=INFO`
	plan, _ = sk.Plan(e.ctx, spec)
	if !plan.UpdateSink || plan.CreateSink || plan.GrantWriter {
		t.Fatalf("changed-filter plan = %+v", plan)
	}
	if res, err = sk.Apply(e.ctx, plan); err != nil || !res.UpdatedSink {
		t.Fatalf("update = %+v, %v", res, err)
	}
}

func TestSinkCreatesDataset(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	sk := &Sinks{C: e.c}
	spec := SinkSpec{Project: testProject, Name: "s", Dataset: "fresh", Location: "EU", Filter: SinkFilter(testProject, impersonationFederation(t))}
	plan, err := sk.Plan(e.ctx, spec)
	if err != nil || !plan.CreateDataset || !plan.CreateSink {
		t.Fatalf("plan = %+v, %v", plan, err)
	}
	if _, err := sk.Apply(e.ctx, plan); err != nil {
		t.Fatal(err)
	}
	ds, err := e.c.GetDataset(e.ctx, testProject, "fresh")
	if err != nil || ds.Location != "EU" || !HasWriter(ds.Access, wantWriter) {
		t.Fatalf("dataset = %+v, %v", ds, err)
	}
}

func TestSinkFilter(t *testing.T) {
	f := SinkFilter(testProject, impersonationFederation(t))
	for _, want := range []string{
		`logName="projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access"`,
		// The mints: caller = admin, and no delegation-info requirement.
		`(protoPayload.serviceName="iamcredentials.googleapis.com" AND protoPayload.methodName:"GenerateAccessToken" AND (protoPayload.authenticationInfo.principalEmail="` + admin + `" OR protoPayload.metadata.identityDelegationChain:"serviceAccounts/` + admin + `"))`,
		`protoPayload.authenticationInfo.principalEmail=~"^fedctl-[a-z0-9-]+@demo-project\\.iam\\.gserviceaccount\\.com$"`,
		`protoPayload.methodName="jobservice.jobcompleted"`,
		`protoPayload.methodName="google.cloud.bigquery.v2.JobService.InsertJob"`,
	} {
		if !strings.Contains(f, want) {
			t.Errorf("filter lacks %s\n%s", want, f)
		}
	}
	if strings.Contains(f, "serviceAccountDelegationInfo:*") {
		t.Errorf("filter requires delegation info, dropping every mint: %s", f)
	}
}

// TestSinkFilterKeepsEvidence runs the sink filter through the emulator's
// Logging filter: mints and federated jobs pass, unrelated entries do not.
func TestSinkFilterKeepsEvidence(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	e.seed(
		newStyleQuery(entryOpts{insertID: "stranger", time: base.Add(4 * time.Hour), principal: "eve@example.com"}, "job_e", "SELECT 1", true, nil),
		// Keyless verification: the operator mints through the admin.
		mintEntry(entryOpts{insertID: "keyless", time: base.Add(5 * time.Hour), principal: "operator@example.com"}, alice, admin),
		// A mint that has nothing to do with the admin.
		mintEntry(entryOpts{insertID: "unrelated", time: base.Add(6 * time.Hour), principal: "ci@example.com"}, sa("ci-runner")),
	)
	var got []string
	err := e.c.ListLogEntries(e.ctx, &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + testProject},
		Filter: SinkFilter(testProject, impersonationFederation(t))}, func(r *logging.ListLogEntriesResponse) error {
		for _, le := range r.Entries {
			got = append(got, le.InsertId)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ins000002,ins000003,ins000004,ins000006,ins000007,ins000008,ins000009,keyless"; strings.Join(got, ",") != want {
		t.Errorf("sink filter kept %v, want %s", got, want)
	}
}
