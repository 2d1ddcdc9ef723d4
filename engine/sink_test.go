package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/iostreams"
)

const (
	sinkWriter   = "service-123456789012@gcp-sa-logging.iam.gserviceaccount.com"
	sinkAddr     = `logging_sink["fedctl-federation-audit"]`
	datasetAddr  = `bigquery_dataset["audit_logs"]`
	accessAddr   = `bigquery_dataset_access["audit_logs"]`
	sinkResource = "projects/" + testProject + "/sinks/fedctl-federation-audit"
)

// sinkConfig is testConfig with the SPEC sample's sink, in location loc.
func sinkConfig(t testing.TB, loc string, users ...string) *config.Config {
	t.Helper()
	cfg := testConfig(t, users...)
	cfg.Audit.Sink = config.Sink{Name: config.DefaultSinkName, Dataset: "audit_logs", Location: loc}
	return cfg
}

func wantFilter(t *testing.T, cfg *config.Config) string {
	t.Helper()
	fed, err := audit.FederationFromConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return audit.SinkFilter(testProject, fed)
}

func (e *env) dataset(t *testing.T) *bqv2.Dataset {
	t.Helper()
	ds, err := e.client.GetDataset(context.Background(), testProject, "audit_logs")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

func (e *env) sink(t *testing.T) *logging.LogSink {
	t.Helper()
	s, err := e.client.GetSink(context.Background(), sinkResource)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// accessEntries lists a dataset's entries as "ROLE who".
func accessEntries(ds *bqv2.Dataset) []string {
	var out []string
	for _, a := range ds.Access {
		out = append(out, a.Role+" "+a.UserByEmail+a.GroupByEmail+a.SpecialGroup+a.IamMember)
	}
	return out
}

func hasEntry(ds *bqv2.Dataset, entry string) bool {
	for _, a := range accessEntries(ds) {
		if a == entry {
			return true
		}
	}
	return false
}

func TestSinkSetupCreatesDatasetSinkAndWriter(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := sinkConfig(t, "EU", "alice@acme.com")
	p := e.plan(t, cfg)
	got := actions(p)
	for _, a := range []string{datasetAddr, sinkAddr, accessAddr} {
		if got[a] != ActionCreate {
			t.Errorf("%s: %s, want create (plan %v)", a, got[a], got)
		}
	}
	if !slices.Contains(p.Warnings, SinkWithoutLogsWarning) {
		t.Errorf("no warning that the Data Access logs are off: %v", p.Warnings)
	}
	var text bytes.Buffer
	if err := RenderText(&text, p, iostreams.NewColorScheme(false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"+ " + datasetAddr, "dataset:  demo-project:audit_logs (location EU)", "+ " + sinkAddr,
		"destination: bigquery.googleapis.com/projects/demo-project/datasets/audit_logs", "writer:      (known after apply)",
		"+ " + accessAddr, "WRITER: (known after apply)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, text.String())
		}
	}
	var doc struct {
		Changes []struct {
			Address, Kind string
			After         map[string]any
		}
	}
	var js bytes.Buffer
	if err := RenderJSON(&js, p); err != nil || json.Unmarshal(js.Bytes(), &doc) != nil {
		t.Fatalf("plan JSON: %v\n%s", err, js.String())
	}
	kinds := map[string]string{}
	for _, c := range doc.Changes {
		kinds[c.Address] = c.Kind
		if c.Address == sinkAddr && c.After["filter"] != wantFilter(t, cfg) {
			t.Errorf("JSON sink filter = %v", c.After["filter"])
		}
	}
	if kinds[datasetAddr] != "bigquery_dataset" || kinds[sinkAddr] != "logging_sink" || kinds[accessAddr] != "bigquery_dataset_access" {
		t.Errorf("JSON kinds = %v", kinds)
	}

	e.srv.ResetStats()
	res, err := e.eng.Apply(context.Background(), p)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	// The grant patches the dataset as its create returned it: no re-read.
	if st := e.srv.Stats(); st.ByRoute["bigquery.datasets.get"] != 0 || st.ByRoute["bigquery.datasets.patch"] != 1 {
		t.Errorf("apply requests: %v", st)
	}
	ds := e.dataset(t)
	if ds.Location != "EU" || !hasEntry(ds, "WRITER "+sinkWriter) || !hasEntry(ds, "OWNER projectOwners") {
		t.Errorf("dataset = %s %v", ds.Location, accessEntries(ds))
	}
	sink := e.sink(t)
	if sink.Filter != wantFilter(t, cfg) || sink.Destination != "bigquery.googleapis.com/projects/demo-project/datasets/audit_logs" ||
		sink.WriterIdentity != "serviceAccount:"+sinkWriter || !sink.BigqueryOptions.UsePartitionedTables {
		t.Errorf("sink = %+v", sink)
	}
	if !strings.Contains(sink.Filter, saEmail("fedctl-alice")) {
		t.Errorf("the filter does not name alice's SA: %s", sink.Filter)
	}

	s := NewSummary(res)
	if s.AuditSink == nil || s.AuditSink.WriterIdentity != sinkWriter || s.AuditSink.SQL != audit.EventsSQL(testProject, "audit_logs") {
		t.Fatalf("summary sink = %+v", s.AuditSink)
	}
	var out bytes.Buffer
	if err := RenderSummaryText(&out, s, iostreams.NewColorScheme(false)); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Audit log sink", "writer identity: " + sinkWriter, "FROM `demo-project.audit_logs."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}

	// Again: nothing to change, and nothing written.
	e.srv.ResetStats()
	again := e.plan(t, cfg)
	if again.HasChanges() {
		t.Fatalf("second plan has changes: %v", actions(again))
	}
	if _, err := e.eng.Apply(context.Background(), again); err != nil {
		t.Fatal(err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("second setup made %d writes: %v", w, e.srv.Stats())
	}
}

func TestSinkSetupKeepsForeignAccessEntries(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	_, err := e.client.CreateDataset(context.Background(), testProject, &bqv2.Dataset{
		DatasetReference: &bqv2.DatasetReference{ProjectId: testProject, DatasetId: "audit_logs"}, Location: "US",
		Access: []*bqv2.DatasetAccess{{Role: "OWNER", UserByEmail: "operator@example.com"}, {Role: "READER", GroupByEmail: "analysts@acme.com"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sinkConfig(t, "US", "alice@acme.com")
	p, _ := e.setup(t, cfg)
	if got := actions(p); got[datasetAddr] != ActionNoop || got[sinkAddr] != ActionCreate || got[accessAddr] != ActionCreate {
		t.Errorf("plan = %v", got)
	}
	ds := e.dataset(t)
	for _, want := range []string{"OWNER operator@example.com", "READER analysts@acme.com", "WRITER " + sinkWriter} {
		if !hasEntry(ds, want) {
			t.Errorf("access %v lacks %q", accessEntries(ds), want)
		}
	}

	// Someone drops the WRITER entry: setup restores it, and only it. The
	// plan names the writer now that the sink exists. Another admin then
	// adds an entry between plan and apply: the etag-guarded patch fails
	// and the grant starts over from a fresh read, keeping that entry too.
	var kept []*bqv2.DatasetAccess
	for _, a := range ds.Access {
		if a.Role != "WRITER" {
			kept = append(kept, a)
		}
	}
	if err := e.setAccess(kept); err != nil {
		t.Fatal(err)
	}
	p = e.plan(t, cfg)
	c := p.Change(accessAddr)
	if n := p.Counts(); c.Action != ActionCreate || c.After.(*DatasetAccessState).UserByEmail != sinkWriter || n.Add != 1 || n.Change != 0 {
		t.Fatalf("access change = %+v (counts %+v)", c, n)
	}
	kept = append(kept, &bqv2.DatasetAccess{Role: "READER", UserByEmail: "late@acme.com"})
	if err := e.setAccess(kept); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetStats()
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if st := e.srv.Stats(); st.ByRoute["bigquery.datasets.patch"] != 2 || st.ByRoute["bigquery.datasets.get"] != 1 {
		t.Errorf("want one stale patch, one read, one patch: %v", st)
	}
	ds = e.dataset(t)
	for _, want := range []string{"OWNER operator@example.com", "READER analysts@acme.com", "READER late@acme.com", "WRITER " + sinkWriter} {
		if !hasEntry(ds, want) {
			t.Errorf("access %v lacks %q", accessEntries(ds), want)
		}
	}
	if len(ds.Access) != 4 {
		t.Errorf("access = %v", accessEntries(ds))
	}
}

func TestSinkFilterDriftIsAnUpdate(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := sinkConfig(t, "US", "alice@acme.com")
	cfg.Audit.DataAccessLogs = true
	if p, _ := e.setup(t, cfg); slices.Contains(p.Warnings, SinkWithoutLogsWarning) {
		t.Errorf("warned that the logs are off while enabling them: %v", p.Warnings)
	}
	drifted := e.sink(t)
	drifted.Filter = `severity>=ERROR`
	if _, err := e.client.UpdateSink(context.Background(), sinkResource, drifted, "filter"); err != nil {
		t.Fatal(err)
	}
	p := e.plan(t, cfg)
	c := p.Change(sinkAddr)
	if c.Action != ActionUpdate || c.Reason != "filter changed" || c.Before.(*SinkState).Filter != "severity>=ERROR" {
		t.Fatalf("sink change = %+v", c)
	}
	if n := p.Counts(); n.Add != 0 || n.Change != 1 {
		t.Errorf("counts = %+v (plan %v)", n, actions(p))
	}
	var text bytes.Buffer
	RenderText(&text, p, iostreams.NewColorScheme(false))
	for _, want := range []string{"~ " + sinkAddr, "filter:      severity>=ERROR\n", "→ logName=", "# filter changed", "writer:      serviceAccount:" + sinkWriter} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("plan text lacks %q:\n%s", want, text.String())
		}
	}
	e.srv.ResetStats()
	if _, err := e.eng.Apply(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if st := e.srv.Stats(); st.Writes != 1 || st.ByRoute["logging.projects.sinks.update"] != 1 {
		t.Errorf("apply requests: %v", st)
	}
	if got := e.sink(t).Filter; got != wantFilter(t, cfg) {
		t.Errorf("filter after apply = %s", got)
	}
}

func TestSinkTeardownKeepsDataset(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := sinkConfig(t, "US", "alice@acme.com")
	e.setup(t, cfg)
	p, res := e.teardown(t, cfg)
	c := p.Change(sinkAddr)
	if c.Action != ActionDelete || p.Change(datasetAddr).Action != ActionNoop {
		t.Fatalf("teardown plan = %v", actions(p))
	}
	var text bytes.Buffer
	RenderText(&text, p, iostreams.NewColorScheme(false))
	if !strings.Contains(text.String(), "- "+sinkAddr) || !strings.Contains(text.String(), "dataset audit_logs is KEPT: it holds the exported audit trail") {
		t.Errorf("teardown text does not say the dataset stays:\n%s", text.String())
	}
	if _, err := e.client.GetSink(context.Background(), sinkResource); err == nil {
		t.Error("the sink survived teardown")
	}
	if ds := e.dataset(t); !hasEntry(ds, "WRITER "+sinkWriter) {
		t.Errorf("dataset access after teardown: %v", accessEntries(ds))
	}
	var out bytes.Buffer
	RenderSummaryText(&out, NewSummary(res), iostreams.NewColorScheme(false))
	if !strings.Contains(out.String(), "Audit dataset demo-project:audit_logs kept") {
		t.Errorf("teardown summary:\n%s", out.String())
	}
	if again, err := e.eng.PlanTeardown(context.Background(), cfg); err != nil || again.HasChanges() {
		t.Errorf("second teardown: %v, %v", err, actions(again))
	}
}

// Without a sink configured, setup reads neither BigQuery datasets nor
// Logging sinks, and plans no sink resource.
func TestNoSinkNoSinkRequests(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	p, _ := e.setup(t, testConfig(t, "alice@acme.com"))
	for _, c := range p.Changes {
		if c.Kind == KindDataset || c.Kind == KindLoggingSink || c.Kind == KindDatasetAccess {
			t.Errorf("unexpected %s", c.Address)
		}
	}
	for route := range e.srv.Stats().ByRoute {
		if strings.HasPrefix(route, "bigquery.datasets.") || strings.HasPrefix(route, "logging.projects.sinks.") {
			t.Errorf("setup without a sink called %s", route)
		}
	}
}

// With the BigQuery and Logging APIs off, neither the dataset nor the sink
// can be read: setup enables both APIs first, then creates (or adopts) them.
func TestSinkSetupWithItsAPIsOff(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	err := e.srv.WithState(func(st *emulator.State) error {
		p := st.ProjectByIDOrNumber(testProject)
		p.Services["bigquery.googleapis.com"], p.Services[LoggingAPI] = false, false
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := sinkConfig(t, "US", "alice@acme.com")
	p, res := e.setup(t, cfg)
	got := actions(p)
	if got[`api["logging.googleapis.com"]`] != ActionCreate || got[`api["bigquery.googleapis.com"]`] != ActionCreate {
		t.Errorf("APIs not planned: %v", got)
	}
	if c := p.Change(datasetAddr); c.Action != ActionCreate || !strings.Contains(c.Reason, "BigQuery API is off") {
		t.Errorf("dataset change = %+v", c)
	}
	if c := p.Change(sinkAddr); c.Action != ActionCreate || !strings.Contains(c.Reason, "Logging API is off") {
		t.Errorf("sink change = %+v", c)
	}
	if c := p.Change(`api["logging.googleapis.com"]`); c.Reason != "required by the audit log sink" {
		t.Errorf("logging API reason = %q", c.Reason)
	}
	if res.Count(OutcomeFailed) != 0 || !hasEntry(e.dataset(t), "WRITER "+sinkWriter) {
		t.Errorf("apply: %+v", res.Outcomes)
	}
	if again := e.plan(t, cfg); again.HasChanges() {
		t.Errorf("second plan: %v", actions(again))
	}
}

// setAccess replaces the audit dataset's access list (another admin's edit).
func (e *env) setAccess(access []*bqv2.DatasetAccess) error {
	_, err := e.client.ModifyDatasetAccess(context.Background(), testProject, "audit_logs", nil,
		func([]*bqv2.DatasetAccess) ([]*bqv2.DatasetAccess, bool) { return access, true })
	return err
}
