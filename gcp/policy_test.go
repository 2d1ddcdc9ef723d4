package gcp

import (
	"reflect"
	"slices"
	"testing"

	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
)

func samplePolicy() *Policy {
	return &Policy{
		Version: 3,
		Etag:    "BwWWja0YfJA=",
		Bindings: []*Binding{
			{Role: "roles/viewer", Members: []string{"user:a@example.com"}},
			{Role: "roles/viewer", Members: []string{"user:b@example.com"}, Condition: &Condition{
				Title: "expirable access", Description: "until 2030", Expression: "request.time < timestamp('2030-01-01T00:00:00Z')", Location: "f.cel:1"}},
		},
		AuditConfigs: []*AuditConfig{
			{Service: AllServices, AuditLogConfigs: []*AuditLogConfig{{LogType: "DATA_READ", ExemptedMembers: []string{"user:jose@example.com"}}}},
		},
	}
}

func TestPolicyConversionsAreLossless(t *testing.T) {
	p := samplePolicy()
	if got := policyFromCRM(p.toCRM()); !reflect.DeepEqual(got, p) {
		t.Errorf("crm round trip:\n got %+v\nwant %+v", got, p)
	}
	if got := policyFromIAM(p.toIAM()); !reflect.DeepEqual(got, p) {
		t.Errorf("iam round trip:\n got %+v\nwant %+v", got, p)
	}
	// An empty Expr on the wire is no condition.
	crm := &cloudresourcemanager.Policy{Bindings: []*cloudresourcemanager.Binding{{Role: "r", Members: []string{"m"}, Condition: &cloudresourcemanager.Expr{}}}}
	if policyFromCRM(crm).Bindings[0].Condition != nil {
		t.Error("empty crm Expr became a condition")
	}
	if policyFromIAM(&iam.Policy{Bindings: []*iam.Binding{{Role: "r", Condition: &iam.Expr{}}}}).Bindings[0].Condition != nil {
		t.Error("empty iam Expr became a condition")
	}
	if got := policyFromCRM(nil); got == nil || len(got.Bindings) != 0 {
		t.Errorf("nil policy = %+v", got)
	}
}

func TestCloneIsDeep(t *testing.T) {
	p := samplePolicy()
	c := p.Clone()
	c.Bindings[0].Members[0] = "changed"
	c.Bindings[1].Condition.Title = "changed"
	c.AuditConfigs[0].AuditLogConfigs[0].ExemptedMembers[0] = "changed"
	if !reflect.DeepEqual(p, samplePolicy()) {
		t.Error("editing the clone changed the original")
	}
}

func TestAddRemoveHasMemberTouchOnlyTheUnconditionalBinding(t *testing.T) {
	p := samplePolicy()
	// b is only in the conditional viewer binding.
	if p.HasMember("roles/viewer", "user:b@example.com") {
		t.Error("HasMember saw a conditional grant")
	}
	if !p.AddMember("roles/viewer", "user:b@example.com") {
		t.Error("AddMember reported no change")
	}
	if p.AddMember("roles/viewer", "user:b@example.com") {
		t.Error("adding twice reported a change")
	}
	if got := p.Bindings[0].Members; !slices.Equal(got, []string{"user:a@example.com", "user:b@example.com"}) {
		t.Errorf("unconditional members = %v", got)
	}
	if got := p.Bindings[1].Members; !slices.Equal(got, []string{"user:b@example.com"}) || p.Bindings[1].Condition == nil {
		t.Errorf("conditional binding changed: %+v", p.Bindings[1])
	}

	// New role: a new unconditional binding.
	if !p.AddMember("roles/bigquery.jobUser", "user:c@example.com") || len(p.Bindings) != 3 || p.Bindings[2].Condition != nil {
		t.Errorf("bindings after adding a new role: %+v", p.Bindings)
	}

	// Removing b leaves the conditional binding alone; removing a then
	// empties and drops the unconditional one.
	if !p.RemoveMember("roles/viewer", "user:b@example.com") || p.RemoveMember("roles/viewer", "user:b@example.com") {
		t.Error("RemoveMember change reports wrong")
	}
	if !p.RemoveMember("roles/viewer", "user:a@example.com") {
		t.Error("removing a reported no change")
	}
	var roles []string
	for _, b := range p.Bindings {
		roles = append(roles, b.Role)
	}
	if !slices.Equal(roles, []string{"roles/viewer", "roles/bigquery.jobUser"}) || p.Bindings[0].Condition == nil {
		t.Errorf("bindings = %+v, want the conditional viewer binding and jobUser", p.Bindings)
	}
	if p.RemoveMember("roles/nope", "user:a@example.com") {
		t.Error("removing from a missing role reported a change")
	}
}

func TestEnableAuditLogs(t *testing.T) {
	p := samplePolicy()
	p.AuditConfigs = append(p.AuditConfigs, &AuditConfig{Service: "iam.googleapis.com",
		AuditLogConfigs: []*AuditLogConfig{{LogType: "ADMIN_READ", ExemptedMembers: []string{"user:x@example.com"}}}})

	if !p.EnableAuditLogs("iam.googleapis.com", "ADMIN_READ", "DATA_READ", "DATA_READ") {
		t.Error("EnableAuditLogs reported no change")
	}
	iamCfg := p.AuditConfigs[1]
	if len(iamCfg.AuditLogConfigs) != 2 || iamCfg.AuditLogConfigs[1].LogType != "DATA_READ" ||
		!slices.Equal(iamCfg.AuditLogConfigs[0].ExemptedMembers, []string{"user:x@example.com"}) {
		t.Errorf("iam audit config = %+v", iamCfg.AuditLogConfigs)
	}
	if p.EnableAuditLogs("iam.googleapis.com", "ADMIN_READ", "DATA_READ") {
		t.Error("enabling again reported a change")
	}
	if !p.EnableAuditLogs("bigquery.googleapis.com", "DATA_READ") || len(p.AuditConfigs) != 3 {
		t.Errorf("new service config not added: %+v", p.AuditConfigs)
	}
	if !reflect.DeepEqual(p.AuditConfigs[0], samplePolicy().AuditConfigs[0]) {
		t.Error("allServices entry changed")
	}

	if !p.AuditLogsEnabled("iamcredentials.googleapis.com", "DATA_READ") {
		t.Error("allServices DATA_READ should cover every service")
	}
	if p.AuditLogsEnabled("iamcredentials.googleapis.com", "ADMIN_READ") {
		t.Error("ADMIN_READ is on for iam only")
	}
	if !p.AuditLogsEnabled("iam.googleapis.com", "ADMIN_READ") {
		t.Error("iam ADMIN_READ should be on")
	}
}
