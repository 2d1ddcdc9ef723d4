package engine

import (
	"bytes"
	"context"
	"strings"
	"testing"

	bqv2 "google.golang.org/api/bigquery/v2"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

// TestAuditEnablePlanKeepsOtherConfigs: `audit enable` is an engine plan of
// the project policy alone; applying it keeps other services' configs,
// exemptions and bindings, and a second plan is "No changes." with no write.
func TestAuditEnablePlanKeepsOtherConfigs(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.client.ProjectPolicy(testProject)
	_, _, err := e.client.ModifyPolicy(context.Background(), r, func(p *gcp.Policy) (bool, error) {
		p.AuditConfigs = append(p.AuditConfigs,
			&gcp.AuditConfig{Service: "storage.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{{LogType: "DATA_READ", ExemptedMembers: []string{"user:robot@acme.com"}}}},
			&gcp.AuditConfig{Service: "bigquery.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{{LogType: "DATA_READ", ExemptedMembers: []string{"user:bulk@acme.com"}}}})
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv.ResetStats()
	p, err := e.eng.PlanAuditEnable(context.Background(), testProject)
	if err != nil {
		t.Fatal(err)
	}
	if e.srv.Stats().Writes != 0 {
		t.Fatalf("planning wrote: %+v", e.srv.Stats())
	}
	if n := p.Counts(); n.Add != 0 || n.Change != 1 || n.Destroy != 0 || len(p.Changes) != 1 {
		t.Fatalf("plan counts %+v, changes %d", n, len(p.Changes))
	}
	c := p.Changes[0]
	if c.Kind != KindPolicy || c.Delta == nil || len(c.Delta.AuditLogsAdd) != 5 { // iam ×3, bigquery ADMIN_READ + DATA_WRITE
		t.Fatalf("change = %+v delta %+v", c, c.Delta)
	}
	var text bytes.Buffer
	if err := RenderText(&text, p, iostreams.NewColorScheme(false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"fedctl audit enable will perform", "iam.googleapis.com", "Plan: 0 to add, 1 to change, 0 to destroy."} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, text.String())
		}
	}
	if doc := p.JSON(); doc.Operation != OpAuditEnable || doc.Mode != "" {
		t.Errorf("json operation %q mode %q", doc.Operation, doc.Mode)
	}

	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	pol, err := r.Get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range audit.AuditServices {
		for _, lt := range audit.AuditLogTypes {
			if !pol.AuditLogsEnabled(svc, lt) {
				t.Errorf("%s %s still off", svc, lt)
			}
		}
	}
	kept := map[string]string{}
	for _, ac := range pol.AuditConfigs {
		for _, lc := range ac.AuditLogConfigs {
			if len(lc.ExemptedMembers) > 0 {
				kept[ac.Service+" "+lc.LogType] = strings.Join(lc.ExemptedMembers, ",")
			}
		}
	}
	if kept["storage.googleapis.com DATA_READ"] != "user:robot@acme.com" || kept["bigquery.googleapis.com DATA_READ"] != "user:bulk@acme.com" {
		t.Errorf("exemptions lost: %v", kept)
	}
	if !pol.HasMember("roles/owner", "user:operator@example.com") {
		t.Error("bindings lost")
	}

	e.srv.ResetStats()
	p, err = e.eng.PlanAuditEnable(context.Background(), testProject)
	if err != nil || p.HasChanges() {
		t.Fatalf("second plan has changes: %v %+v", err, p.Counts())
	}
	text.Reset()
	_ = RenderText(&text, p, iostreams.NewColorScheme(false))
	if !strings.Contains(text.String(), "No changes. The Data Access audit logs are already enabled.") {
		t.Errorf("converged text:\n%s", text.String())
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("second plan made %d writes", w)
	}
}

// TestAuditEnableCoveredByAllServices: allServices with every log type
// already covers iam and bigquery: nothing to do.
func TestAuditEnableCoveredByAllServices(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	_, _, err := e.client.ModifyPolicy(context.Background(), e.client.ProjectPolicy(testProject), func(p *gcp.Policy) (bool, error) {
		p.AuditConfigs = []*gcp.AuditConfig{{Service: gcp.AllServices, AuditLogConfigs: []*gcp.AuditLogConfig{
			{LogType: "ADMIN_READ"}, {LogType: "DATA_READ"}, {LogType: "DATA_WRITE"}}}}
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.eng.PlanAuditEnable(context.Background(), testProject)
	if err != nil || p.HasChanges() {
		t.Fatalf("plan: %v %+v", err, p.Counts())
	}
}

// TestAuditSinkPlanKeepsAccessAndIsIdempotent: `audit sink create` is an
// engine plan of the dataset, the sink and the WRITER entry; the dataset's
// own access entries are kept; a second plan is empty; a filter change is
// an in-place update.
func TestAuditSinkPlanKeepsAccessAndIsIdempotent(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	_, err := e.client.CreateDataset(context.Background(), testProject, &bqv2.Dataset{
		DatasetReference: &bqv2.DatasetReference{ProjectId: testProject, DatasetId: "audit_logs"}, Location: "US",
		Access: []*bqv2.DatasetAccess{
			{Role: "OWNER", UserByEmail: "operator@example.com"},
			{Role: "READER", GroupByEmail: "analysts@acme.com"},
		}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, "alice@acme.com")
	spec := audit.SinkSpec{Project: testProject, Name: "fedctl-federation-audit", Dataset: "audit_logs", Location: "US", Filter: wantFilter(t, cfg)}
	p, err := e.eng.PlanAuditSink(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if p.Operation != OpAuditSink {
		t.Errorf("operation %q", p.Operation)
	}
	actions := map[string]Action{}
	for _, c := range p.Changes {
		actions[c.Address] = c.Action
	}
	if actions[datasetAddr] != ActionNoop || actions[sinkAddr] != ActionCreate || actions[accessAddr] != ActionCreate {
		t.Fatalf("first plan: %v", actions)
	}
	res, err := e.eng.Apply(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	sum := NewSummary(res)
	if sum.AuditSink == nil || sum.AuditSink.WriterIdentity != sinkWriter {
		t.Errorf("summary sink = %+v", sum.AuditSink)
	}
	s := e.sink(t)
	if s.Filter != spec.Filter || s.Destination != spec.Destination() || !s.BigqueryOptions.UsePartitionedTables {
		t.Fatalf("sink = %+v", s)
	}
	var entries []string
	for _, a := range e.dataset(t).Access {
		entries = append(entries, a.Role+" "+a.UserByEmail+a.GroupByEmail)
	}
	got := strings.Join(entries, ",")
	for _, want := range []string{"OWNER operator@example.com", "READER analysts@acme.com", "WRITER " + sinkWriter} {
		if !strings.Contains(got, want) {
			t.Errorf("access %s lacks %q", got, want)
		}
	}

	e.srv.ResetStats()
	p, err = e.eng.PlanAuditSink(context.Background(), spec)
	if err != nil || p.HasChanges() {
		t.Fatalf("second plan: %v %+v", err, p.Counts())
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("second plan made %d writes", w)
	}

	spec.Filter += ` AND severity>=INFO`
	p, err = e.eng.PlanAuditSink(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Change(sinkAddr); c == nil || c.Action != ActionUpdate || p.Counts().Add != 0 {
		t.Fatalf("changed filter: %+v", p.Counts())
	}
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if e.sink(t).Filter != spec.Filter {
		t.Error("filter not updated")
	}
}

// TestAuditSinkPlanCreatesDataset: a missing dataset is created in the
// sink's location, with the writer's entry.
func TestAuditSinkPlanCreatesDataset(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	spec := audit.SinkSpec{Project: testProject, Name: "s", Dataset: "fresh", Location: "EU", Filter: wantFilter(t, testConfig(t, "alice@acme.com"))}
	p, err := e.eng.PlanAuditSink(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.Change(datasetAddress("fresh")); c == nil || c.Action != ActionCreate {
		t.Fatalf("dataset change: %+v", c)
	}
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	ds, err := e.client.GetDataset(context.Background(), testProject, "fresh")
	if err != nil || ds.Location != "EU" || !audit.HasWriter(ds.Access, sinkWriter) {
		t.Fatalf("dataset = %+v, %v", ds, err)
	}
}
