package emulator

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	su "google.golang.org/api/serviceusage/v1"
)

func TestServiceUsageGetUsesProjectNumber(t *testing.T) {
	e := cpNew(t, Options{})
	for _, named := range []string{cpProject, cpNumber} {
		s, err := e.su.Services.Get("projects/" + named + "/services/iam.googleapis.com").Do()
		if err != nil {
			t.Fatal(err)
		}
		if s.Name != "projects/"+cpNumber+"/services/iam.googleapis.com" || s.Parent != "projects/"+cpNumber {
			t.Errorf("name/parent = %q %q, want the project number", s.Name, s.Parent)
		}
		if s.State != "DISABLED" || s.Config.Name != "iam.googleapis.com" || s.Config.Title != "Identity and Access Management (IAM) API" {
			t.Errorf("got %+v %+v", s, s.Config)
		}
	}
	s, err := e.su.Services.Get("projects/" + cpProject + "/services/bigquery.googleapis.com").Do()
	if err != nil || s.State != "ENABLED" {
		t.Fatalf("bigquery: %v %v", s, err)
	}
	_, err = e.su.Services.Get("projects/" + cpProject + "/services/nosuch.googleapis.com").Do()
	if r := cpAPIError(t, err, 403).Reason(); r != "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED" {
		t.Errorf("unknown service reason %q", r)
	}
	_, err = e.su.Services.Get("projects/nosuch-project/services/iam.googleapis.com").Do()
	cpGoogleErr(t, err, 403)
}

func TestServiceUsageListFiltersAndPages(t *testing.T) {
	e := cpNew(t, Options{})
	var enabled []string
	err := e.su.Services.List("projects/"+cpProject).Filter("state:ENABLED").Pages(e.ctx, func(r *su.ListServicesResponse) error {
		for _, s := range r.Services {
			enabled = append(enabled, strings.TrimPrefix(s.Name, "projects/"+cpNumber+"/services/"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(defaultEnabledServices)
	sort.Strings(want)
	if !slices.Equal(enabled, want) {
		t.Errorf("enabled = %v, want %v", enabled, want)
	}

	var all, disabled []string
	pages := 0
	err = e.su.Services.List("projects/"+cpProject).PageSize(7).Pages(e.ctx, func(r *su.ListServicesResponse) error {
		pages++
		if len(r.Services) > 7 {
			t.Errorf("page of %d > pageSize 7", len(r.Services))
		}
		for _, s := range r.Services {
			all = append(all, s.Config.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.su.Services.List("projects/"+cpProject).Filter("state:DISABLED").PageSize(200).Pages(e.ctx, func(r *su.ListServicesResponse) error {
		for _, s := range r.Services {
			if s.State != "DISABLED" {
				t.Errorf("%s in DISABLED list is %s", s.Name, s.State)
			}
			disabled = append(disabled, s.Config.Name)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !sort.StringsAreSorted(all) || len(slices.Compact(slices.Clone(all))) != len(all) {
		t.Errorf("list not sorted or has duplicates: %v", all)
	}
	if len(all) != len(enabled)+len(disabled) || pages != (len(all)+6)/7 {
		t.Errorf("all=%d enabled=%d disabled=%d pages=%d", len(all), len(enabled), len(disabled), pages)
	}
	if !slices.Contains(disabled, "iamcredentials.googleapis.com") {
		t.Error("iamcredentials should be listed as DISABLED")
	}

	_, err = e.su.Services.List("projects/" + cpProject).Filter("name:iam").Do()
	cpGoogleErr(t, err, 400)
}

func TestServiceUsageBatchEnableIsAnLRO(t *testing.T) {
	e := cpNew(t, Options{OperationPolls: 2})
	ids := []string{"iam.googleapis.com", "iamcredentials.googleapis.com", "sts.googleapis.com"}
	op, err := e.su.Services.BatchEnable("projects/"+cpProject, &su.BatchEnableServicesRequest{ServiceIds: ids}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(op.Name, "operations/acf.p2-"+cpNumber+"-") || op.Done {
		t.Fatalf("op = %+v, want a pending operations/acf.p2-NUMBER-… operation", op)
	}
	// Not enabled until the operation completes.
	if s, _ := e.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); s.State != "DISABLED" {
		t.Fatalf("iam is %s before the operation is done", s.State)
	}
	polls := 0
	for !op.Done {
		if polls++; polls > 5 {
			t.Fatal("operation never completed")
		}
		if op, err = e.su.Operations.Get(op.Name).Do(); err != nil {
			t.Fatal(err)
		}
	}
	if polls != 3 {
		t.Errorf("done after %d polls, want 3 (OperationPolls 2 pending + 1)", polls)
	}
	var resp su.BatchEnableServicesResponse
	if err := json.Unmarshal(op.Response, &resp); err != nil {
		t.Fatal(err)
	}
	if typeOf(json.RawMessage(op.Response)) != "type.googleapis.com/google.api.serviceusage.v1.BatchEnableServicesResponse" || len(resp.Services) != 3 {
		t.Errorf("response = %s", op.Response)
	}
	for _, id := range ids {
		s, err := e.su.Services.Get("projects/" + cpProject + "/services/" + id).Do()
		if err != nil || s.State != "ENABLED" {
			t.Errorf("%s: %v %v", id, s, err)
		}
	}
	// The iam API now answers.
	if _, err := e.iam.Projects.ServiceAccounts.List("projects/" + cpProject).Do(); err != nil {
		t.Errorf("iam after enable: %v", err)
	}
	// crm does not know serviceusage's operations.
	_, err = e.crm.Operations.Get(op.Name).Do()
	cpGoogleErr(t, err, 404)
}

func TestServiceUsageEnableNoopAndDisable(t *testing.T) {
	e := cpNew(t, Options{})
	op, err := e.su.Services.Enable("projects/"+cpProject+"/services/bigquery.googleapis.com", &su.EnableServiceRequest{}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if op.Name != "operations/noop.DONE_OPERATION" || !op.Done {
		t.Fatalf("enable of an enabled service = %+v, want the noop done operation", op)
	}
	var resp su.EnableServiceResponse
	if err := json.Unmarshal(op.Response, &resp); err != nil || resp.Service.State != "ENABLED" || typeOf(json.RawMessage(op.Response)) != suEnableResponse {
		t.Errorf("noop response %s (%v)", op.Response, err)
	}
	_, err = e.su.Operations.Get(op.Name).Do()
	cpGoogleErr(t, err, 404)

	op, err = e.su.Services.Disable("projects/"+cpProject+"/services/logging.googleapis.com", &su.DisableServiceRequest{}).Do()
	if err != nil || op.Done {
		t.Fatalf("disable: %+v %v", op, err)
	}
	for !op.Done {
		if op, err = e.su.Operations.Get(op.Name).Do(); err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := e.su.Services.Get("projects/" + cpProject + "/services/logging.googleapis.com").Do(); s.State != "DISABLED" {
		t.Errorf("logging is %s after disable", s.State)
	}

	// Single enable, completing at once with OperationPolls < 0.
	e2 := cpNew(t, Options{OperationPolls: -1})
	op, err = e2.su.Services.Enable("projects/"+cpNumber+"/services/iam.googleapis.com", &su.EnableServiceRequest{}).Do()
	if err != nil || !op.Done || !strings.HasPrefix(op.Name, "operations/acf.") {
		t.Fatalf("immediate enable: %+v %v", op, err)
	}
	if s, _ := e2.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); s.State != "ENABLED" {
		t.Errorf("iam is %s", s.State)
	}
}

func TestServiceUsageBatchEnableErrors(t *testing.T) {
	e := cpNew(t, Options{})
	var many []string
	for i := range 21 {
		many = append(many, fmt.Sprintf("svc%d.googleapis.com", i))
	}
	_, err := e.su.Services.BatchEnable("projects/"+cpProject, &su.BatchEnableServicesRequest{ServiceIds: many}).Do()
	cpGoogleErr(t, err, 400)

	_, err = e.su.Services.BatchEnable("projects/"+cpProject, &su.BatchEnableServicesRequest{
		ServiceIds: []string{"iam.googleapis.com", "nosuch.googleapis.com"}}).Do()
	ae := cpAPIError(t, err, 403)
	if ae.Reason() != "SERVICE_CONFIG_NOT_FOUND_OR_PERMISSION_DENIED" || ae.Metadata()["services"] != "nosuch.googleapis.com" {
		t.Errorf("reason %q metadata %v", ae.Reason(), ae.Metadata())
	}
	// Atomic: the valid id was not enabled either.
	if s, _ := e.su.Services.Get("projects/" + cpProject + "/services/iam.googleapis.com").Do(); s.State != "DISABLED" {
		t.Errorf("iam is %s after a failed batch", s.State)
	}
}
