package emulator

import (
	"context"
	"errors"
	"slices"
	"testing"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	logging "google.golang.org/api/logging/v2"
	"google.golang.org/api/option"
)

func sinksClient(t *testing.T) (*TestServer, *logging.ProjectsSinksService) {
	t.Helper()
	ts := NewTestServer(t, Options{})
	svc, err := logging.NewService(context.Background(), option.WithEndpoint(ts.Endpoint+"logging/"),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: ts.Token})))
	if err != nil {
		t.Fatal(err)
	}
	return ts, svc.Projects.Sinks
}

func googleErr(t *testing.T, err error, code int, reason string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("err = %v, want a *googleapi.Error %d", err, code)
	}
	if ge.Code != code {
		t.Fatalf("code = %d (%v), want %d", ge.Code, err, code)
	}
	if reason != "" && (len(ge.Errors) == 0 || ge.Errors[0].Reason != reason) {
		t.Fatalf("errors[] = %+v, want reason %q", ge.Errors, reason)
	}
}

func TestSinksLifecycle(t *testing.T) {
	_, sinks := sinksClient(t)
	const parent = "projects/demo-project"
	dest := "bigquery.googleapis.com/projects/demo-project/datasets/audit"
	in := &logging.LogSink{Name: "fed", Destination: dest, Filter: `logName:"cloudaudit.googleapis.com"`,
		BigqueryOptions: &logging.BigQueryOptions{UsePartitionedTables: true}}

	got, err := sinks.Create(parent, in).UniqueWriterIdentity(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	const writer = "serviceAccount:service-123456789012@gcp-sa-logging.iam.gserviceaccount.com"
	if got.Name != "fed" || got.WriterIdentity != writer || got.Destination != dest || got.CreateTime == "" ||
		!got.BigqueryOptions.UsePartitionedTables || !got.BigqueryOptions.UsesTimestampColumnPartitioning {
		t.Errorf("created sink = %+v", got)
	}

	_, err = sinks.Create(parent, in).UniqueWriterIdentity(true).Do()
	googleErr(t, err, 409, "alreadyExists")

	g, err := sinks.Get(parent + "/sinks/fed").Do()
	if err != nil || g.Filter != in.Filter || g.WriterIdentity != writer {
		t.Fatalf("get = %+v, %v", g, err)
	}

	// A second sink with a unique identity shares the project's service agent.
	other, err := sinks.Create(parent, &logging.LogSink{Name: "other", Destination: dest}).UniqueWriterIdentity(true).Do()
	if err != nil || other.WriterIdentity != writer {
		t.Fatalf("second sink = %+v, %v", other, err)
	}
	// Without uniqueWriterIdentity: the legacy shared writer.
	legacy, err := sinks.Create(parent, &logging.LogSink{Name: "legacy", Destination: dest}).Do()
	if err != nil || legacy.WriterIdentity != legacySinkWriter {
		t.Fatalf("legacy sink = %+v, %v", legacy, err)
	}
	// ... which cannot write to another project.
	_, err = sinks.Create(parent, &logging.LogSink{Name: "cross", Destination: "bigquery.googleapis.com/projects/elsewhere/datasets/d"}).Do()
	googleErr(t, err, 400, "")

	list, err := sinks.List(parent).Do()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Sinks {
		names = append(names, s.Name)
	}
	if want := []string{"_Default", "_Required", "fed", "legacy", "other"}; !slices.Equal(names, want) {
		t.Errorf("list = %v, want %v", names, want)
	}

	// Update with a mask changes only the masked fields.
	up, err := sinks.Update(parent+"/sinks/fed", &logging.LogSink{Filter: `severity>=ERROR`, Description: "ignored"}).
		UpdateMask("filter").UniqueWriterIdentity(true).Do()
	if err != nil || up.Filter != "severity>=ERROR" || up.Destination != dest || up.Description != "" || up.WriterIdentity != writer {
		t.Fatalf("update = %+v, %v", up, err)
	}
	// The legacy writer is upgraded by uniqueWriterIdentity on update.
	up, err = sinks.Update(parent+"/sinks/legacy", &logging.LogSink{Destination: dest}).UpdateMask("destination").UniqueWriterIdentity(true).Do()
	if err != nil || up.WriterIdentity != writer {
		t.Fatalf("upgrade = %+v, %v", up, err)
	}
	// An invalid filter is a 400.
	_, err = sinks.Update(parent+"/sinks/fed", &logging.LogSink{Filter: `(unbalanced`}).UpdateMask("filter").Do()
	googleErr(t, err, 400, "")

	if _, err := sinks.Delete(parent + "/sinks/fed").Do(); err != nil {
		t.Fatal(err)
	}
	_, err = sinks.Get(parent + "/sinks/fed").Do()
	googleErr(t, err, 404, "")
	_, err = sinks.Delete(parent + "/sinks/fed").Do()
	googleErr(t, err, 404, "")
	_, err = sinks.Create(parent, &logging.LogSink{Name: "_Default", Destination: dest}).Do()
	googleErr(t, err, 409, "alreadyExists")
	_, err = sinks.Create(parent, &logging.LogSink{Name: "-bad", Destination: dest}).Do()
	googleErr(t, err, 400, "")
}

func TestSinksPersistAcrossRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	s, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WithState(func(st *State) error {
		return st.PutExt(sinksExt, sinkState{"demo-project": {"x": {Name: "x", Destination: "storage.googleapis.com/b"}}})
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := New(Options{StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	var ss sinkState
	s2.WithState(func(st *State) error { return st.GetExt(sinksExt, &ss) })
	if ss["demo-project"]["x"] == nil {
		t.Errorf("sink lost across restart: %v", ss)
	}
}
