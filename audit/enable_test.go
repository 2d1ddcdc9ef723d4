package audit

import (
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

func TestEnableKeepsOtherConfigsAndIsIdempotent(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	r := e.c.ProjectPolicy(testProject)
	// Existing audit configuration: another service, and a BigQuery entry
	// with an exemption.
	_, _, err := e.c.ModifyPolicy(e.ctx, r, func(p *gcp.Policy) (bool, error) {
		p.AuditConfigs = append(p.AuditConfigs,
			&gcp.AuditConfig{Service: "storage.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{{LogType: "DATA_READ", ExemptedMembers: []string{"user:robot@acme.com"}}}},
			&gcp.AuditConfig{Service: "bigquery.googleapis.com", AuditLogConfigs: []*gcp.AuditLogConfig{{LogType: "DATA_READ", ExemptedMembers: []string{"user:bulk@acme.com"}}}})
		return true, nil
	})
	if err != nil {
		t.Fatal(err)
	}

	plan, err := PlanEnable(e.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 5 { // iam ×3, bigquery ADMIN_READ + DATA_WRITE
		t.Errorf("changes = %+v", plan.Changes)
	}
	diff := AuditConfigDiff(plan.Before, plan.After)
	for _, want := range []string{
		"+ - service: iam.googleapis.com\n+     ADMIN_READ\n+     DATA_READ\n+     DATA_WRITE\n",
		"  - service: bigquery.googleapis.com\n+     ADMIN_READ\n      DATA_READ (exempted: user:bulk@acme.com)\n+     DATA_WRITE\n",
		"  - service: storage.googleapis.com\n      DATA_READ (exempted: user:robot@acme.com)\n",
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks\n%s\nin\n%s", want, diff)
		}
	}

	wrote, err := ApplyEnable(e.ctx, e.c, r)
	if err != nil || !wrote {
		t.Fatalf("apply: wrote %v, %v", wrote, err)
	}
	p, err := r.Get(e.ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, svc := range AuditServices {
		for _, lt := range AuditLogTypes {
			if !p.AuditLogsEnabled(svc, lt) {
				t.Errorf("%s %s still off", svc, lt)
			}
		}
	}
	var storage, bq *gcp.AuditConfig
	for _, ac := range p.AuditConfigs {
		switch ac.Service {
		case "storage.googleapis.com":
			storage = ac
		case "bigquery.googleapis.com":
			bq = ac
		}
	}
	if storage == nil || len(storage.AuditLogConfigs) != 1 || storage.AuditLogConfigs[0].ExemptedMembers[0] != "user:robot@acme.com" {
		t.Errorf("storage config lost: %+v", storage)
	}
	if bq == nil || bq.AuditLogConfigs[0].LogType != "DATA_READ" || bq.AuditLogConfigs[0].ExemptedMembers[0] != "user:bulk@acme.com" {
		t.Errorf("bigquery exemption lost: %+v", bq)
	}
	if !p.HasMember("roles/owner", "user:operator@example.com") {
		t.Error("bindings lost")
	}

	// Already enabled: no change planned, no write.
	e.ts.ResetStats()
	plan, err = PlanEnable(e.ctx, r)
	if err != nil || len(plan.Changes) != 0 {
		t.Fatalf("second plan: %+v, %v", plan, err)
	}
	if wrote, err = ApplyEnable(e.ctx, e.c, r); err != nil || wrote {
		t.Fatalf("second apply wrote %v, %v", wrote, err)
	}
	if w := e.ts.Stats().Writes; w != 0 {
		t.Errorf("idempotent enable made %d writes", w)
	}
}

func TestEnableCoveredByAllServices(t *testing.T) {
	p := &gcp.Policy{AuditConfigs: []*gcp.AuditConfig{{Service: gcp.AllServices, AuditLogConfigs: []*gcp.AuditLogConfig{
		{LogType: "ADMIN_READ"}, {LogType: "DATA_READ"}, {LogType: "DATA_WRITE"}}}}}
	if m := MissingAuditLogs(p); len(m) != 0 {
		t.Errorf("allServices covers everything, missing = %v", m)
	}
	if changed, _ := EnableAuditLogs(p); changed || len(p.AuditConfigs) != 1 {
		t.Errorf("changed = %v, configs = %d", changed, len(p.AuditConfigs))
	}
}
