package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestServiceStates(t *testing.T) {
	enabled := map[string]bool{"iam.googleapis.com": true, "bigquery.googleapis.com": true}
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		svc := r.Path[strings.LastIndex(r.Path, "/")+1:]
		state := "DISABLED"
		if enabled[svc] {
			state = "ENABLED"
		}
		// Google names the project by number whatever the caller used.
		reply(w, 200, fmt.Sprintf(`{"name":"projects/123456789012/services/%s","parent":"projects/123456789012","state":%q}`, svc, state))
	})
	c, _ := newTestClient(t, f, nil)
	want := []string{"iam.googleapis.com", "sts.googleapis.com", "bigquery.googleapis.com", "iam.googleapis.com"}
	got, err := c.ServiceStates(context.Background(), "p", want)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || !got["iam.googleapis.com"] || got["sts.googleapis.com"] || !got["bigquery.googleapis.com"] {
		t.Errorf("states = %v", got)
	}
	if n := len(f.requests()); n != 3 {
		t.Errorf("%d requests, want one per distinct service", n)
	}
	for _, r := range f.requests() {
		if !strings.HasPrefix(r.Path, "/serviceusage/v1/projects/p/services/") || r.Method != "GET" {
			t.Errorf("unexpected request %s %s", r.Method, r.Path)
		}
	}
}

func TestServiceStatesError(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) { reply(w, 403, serviceDisabledBody) })
	c, _ := newTestClient(t, f, nil)
	_, err := c.ServiceStates(context.Background(), "p", []string{"iam.googleapis.com"})
	if !IsServiceDisabled(err) {
		t.Errorf("err = %v, want service disabled", err)
	}
}

// 21 services: a batchEnable of 20 whose operation is polled until done, and
// the remaining one through services.enable, answered with the synchronous
// no-op operation, which is not polled.
func TestEnableServicesChunksAndAwaitsOperations(t *testing.T) {
	var polls atomic.Int32
	var batchIDs []string
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		switch {
		case strings.HasSuffix(r.Path, "/services:batchEnable"):
			var req struct{ ServiceIds []string }
			_ = json.Unmarshal([]byte(r.Body), &req)
			batchIDs = req.ServiceIds
			reply(w, 200, `{"name":"operations/acf.p2-123-abc","metadata":{"@type":"type.googleapis.com/google.api.serviceusage.v1.OperationMetadata"}}`)
		case strings.HasSuffix(r.Path, ":enable"):
			reply(w, 200, `{"name":"operations/noop.DONE_OPERATION","done":true,
   "response":{"@type":"type.googleapis.com/google.api.serviceusage.v1.EnableServiceResponse",
               "service":{"name":"projects/123456789012/services/s24.googleapis.com","parent":"projects/123456789012","state":"ENABLED"}}}`)
		case r.Path == "/serviceusage/v1/operations/acf.p2-123-abc":
			if polls.Add(1) < 3 {
				reply(w, 200, `{"name":"operations/acf.p2-123-abc"}`)
				return
			}
			reply(w, 200, `{"name":"operations/acf.p2-123-abc","done":true,"response":{"@type":"type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse","services":[]}}`)
		default:
			reply(w, 404, htmlNotFoundBody)
		}
	})
	c, s := newTestClient(t, f, nil)
	var services []string
	for i := range 21 {
		services = append(services, fmt.Sprintf("s%d.googleapis.com", i))
	}
	services = append(services, "s0.googleapis.com") // duplicates are enabled once
	if err := c.EnableServices(context.Background(), "p", services); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"POST /serviceusage/v1/projects/p/services:batchEnable",
		"GET /serviceusage/v1/operations/acf.p2-123-abc",
		"GET /serviceusage/v1/operations/acf.p2-123-abc",
		"GET /serviceusage/v1/operations/acf.p2-123-abc",
		"POST /serviceusage/v1/projects/p/services/s20.googleapis.com:enable",
	}
	if got := f.paths(); !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
	if len(batchIDs) != 20 || batchIDs[0] != "s0.googleapis.com" || batchIDs[19] != "s19.googleapis.com" {
		t.Errorf("batchEnable ids = %v", batchIDs)
	}
	// Polls waited with growing backoff, through the injected sleep.
	if w := s.recorded(); len(w) != 3 || !(w[0] < w[1] && w[1] < w[2]) {
		t.Errorf("poll waits = %v, want 3 growing waits", w)
	}
}

func TestEnableServicesOperationError(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		if strings.HasSuffix(r.Path, ":enable") {
			reply(w, 200, `{"name":"operations/acf.p2-1","done":false}`)
			return
		}
		reply(w, 200, `{"name":"operations/acf.p2-1","done":true,"error":{"code":9,"message":"Billing must be enabled for activation of service bigquery.googleapis.com","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"UREQ_PROJECT_BILLING_NOT_FOUND","domain":"serviceusage.googleapis.com","metadata":{"service":"bigquery.googleapis.com"}}]}}`)
	})
	c, _ := newTestClient(t, f, nil)
	err := c.EnableServices(context.Background(), "p", []string{"bigquery.googleapis.com"})
	e := Classify(err)
	if e == nil || e.Kind != KindFailedPrecondition || e.Reason != "UREQ_PROJECT_BILLING_NOT_FOUND" || e.Service != "bigquery.googleapis.com" {
		t.Fatalf("err = %v (%+v), want a typed failed precondition", err, e)
	}
	if !strings.Contains(err.Error(), "Billing must be enabled") {
		t.Errorf("message = %q", err.Error())
	}
}

func TestEnableServicesBatchFailures(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, `{"name":"operations/acf.x","done":true,"response":{"@type":"type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse","failures":[{"serviceId":"b.googleapis.com","errorMessage":"not allowed"}]}}`)
	})
	c, _ := newTestClient(t, f, nil)
	err := c.EnableServices(context.Background(), "p", []string{"a.googleapis.com", "b.googleapis.com"})
	if err == nil || !strings.Contains(err.Error(), "b.googleapis.com: not allowed") {
		t.Errorf("err = %v, want the batch failure", err)
	}
	if len(f.requests()) != 1 {
		t.Errorf("a done operation was polled: %v", f.paths())
	}
}

// A fresh operation may 404 on its first reads (gcp-wire §10.3.9); an
// operation that never finishes ends in a typed timeout, without real waits.
func TestAwaitOperationNotFoundThenDoneAndTimeout(t *testing.T) {
	var polls atomic.Int32
	never := false
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		switch {
		case strings.HasSuffix(r.Path, ":enable"):
			reply(w, 200, `{"name":"operations/acf.p2-7"}`)
		case never:
			reply(w, 200, `{"name":"operations/acf.p2-7"}`)
		case polls.Add(1) == 1:
			reply(w, 404, `{"error":{"code":404,"message":"Operation not found","status":"NOT_FOUND"}}`)
		default:
			reply(w, 200, `{"name":"operations/acf.p2-7","done":true}`)
		}
	})
	c, s := newTestClient(t, f, nil)
	if err := c.EnableServices(context.Background(), "p", []string{"iam.googleapis.com"}); err != nil {
		t.Fatalf("404 then done: %v", err)
	}
	if polls.Load() != 2 {
		t.Errorf("polls = %d, want 2", polls.Load())
	}

	never = true
	err := c.EnableServices(context.Background(), "p", []string{"iam.googleapis.com"})
	if KindOf(err) != KindDeadlineExceeded {
		t.Fatalf("err = %v, want a deadline", err)
	}
	var total time.Duration
	for _, w := range s.recorded() {
		total += w
		if w > opPollMax {
			t.Errorf("poll wait %v exceeds %v", w, opPollMax)
		}
	}
	if total < opPollBudget {
		t.Errorf("gave up after waiting %v, want at least %v", total, opPollBudget)
	}
}
