package emulator

import (
	"strings"
	"testing"

	su "google.golang.org/api/serviceusage/v1"
)

// DoneOnFirstPoll: the operation is pending when created and the first
// operations.get completes it (and only then is the service enabled).
func TestOperationDoneOnFirstPoll(t *testing.T) {
	e := cpNew(t, Options{OperationPolls: DoneOnFirstPoll})
	op, err := e.su.Services.Enable("projects/"+cpProject+"/services/iam.googleapis.com", &su.EnableServiceRequest{}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.Done {
		t.Fatal("operation done at creation, want pending until the first poll")
	}
	if s, _ := e.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); s.State != "DISABLED" {
		t.Fatalf("iam is %s before the first poll", s.State)
	}
	if op, err = e.su.Operations.Get(op.Name).Do(); err != nil {
		t.Fatal(err)
	}
	if !op.Done {
		t.Fatal("first poll: not done")
	}
	if s, _ := e.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); s.State != "ENABLED" {
		t.Fatalf("iam is %s after the operation completed", s.State)
	}
}

func TestRequestsAreRecorded(t *testing.T) {
	e := cpNew(t, Options{RecordRequests: true})
	if _, err := e.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.crm.Projects.GetIamPolicy(cpProject, nil).Do(); err != nil {
		t.Fatal(err)
	}
	reqs := e.ts.Requests()
	if len(reqs) != 2 {
		t.Fatalf("recorded %d requests, want 2: %+v", len(reqs), reqs)
	}
	first, second := reqs[0], reqs[1]
	if first.Route != "serviceusage.services.get" || first.Method != "GET" || !strings.HasSuffix(first.Path, "/services/iam.googleapis.com") {
		t.Errorf("first = %+v", first)
	}
	if second.Route != "cloudresourcemanager.projects.getIamPolicy" || second.Method != "POST" || second.Seq != first.Seq+1 {
		t.Errorf("second = %+v", second)
	}
	for _, r := range reqs {
		if r.Start.IsZero() || r.End.Before(r.Start) {
			t.Errorf("%s: start %v end %v", r.Route, r.Start, r.End)
		}
	}
	// One after the other: no overlap.
	if first.Overlaps(second) {
		t.Errorf("sequential requests overlap: %+v %+v", first, second)
	}
	e.ts.ResetRequests()
	if n := len(e.ts.Requests()); n != 0 {
		t.Errorf("%d requests after reset", n)
	}
	// Off by default.
	off := cpNew(t, Options{})
	off.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do()
	if n := len(off.ts.Requests()); n != 0 {
		t.Errorf("recorded %d requests without RecordRequests", n)
	}
}
