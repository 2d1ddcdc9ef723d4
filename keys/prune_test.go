package keys

import (
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

var now = time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)

func day(n int) time.Time { return now.Add(-time.Duration(n) * 24 * time.Hour) }

func tp(t time.Time) *time.Time { return &t }

func key(sa, id string, created time.Time, lastUsed *time.Time) *Key {
	return &Key{ServiceAccount: sa, KeyID: id, Name: "projects/p/serviceAccounts/" + sa + "/keys/" + id, Created: created, LastUsed: lastUsed}
}

func actions(p *engine.Plan) map[string]engine.Action {
	out := map[string]engine.Action{}
	for _, c := range p.Changes {
		out[c.Before.(*engine.KeyState).KeyID] = c.Action
	}
	return out
}

func TestPlanPruneUnusedForNeedsTheLogToReachBack(t *testing.T) {
	inv := &Inventory{Project: "p", LogSince: day(10), Keys: []*Key{
		key("a@p.iam.gserviceaccount.com", "aaaaaaaaaaaa01", day(100), nil),         // no use seen, log reaches back 10 days only
		key("b@p.iam.gserviceaccount.com", "bbbbbbbbbbbb02", day(100), tp(day(40))), // last used 40 days ago
		key("c@p.iam.gserviceaccount.com", "cccccccccccc03", day(5), nil),           // new
	}}
	p := PlanPrune(inv, PruneOptions{Now: now, UnusedFor: 30 * 24 * time.Hour})
	got := actions(p)
	want := map[string]engine.Action{"aaaaaaaaaaaa01": engine.ActionNoop, "bbbbbbbbbbbb02": engine.ActionDelete, "cccccccccccc03": engine.ActionNoop}
	for id, a := range want {
		if got[id] != a {
			t.Errorf("%s: %s, want %s", id, got[id], a)
		}
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "reaches back only") {
		t.Errorf("warnings = %q", p.Warnings)
	}

	// With a log reaching back 60 days, the never-used old key goes too.
	inv.LogSince = day(60)
	if got := actions(PlanPrune(inv, PruneOptions{Now: now, UnusedFor: 30 * 24 * time.Hour})); got["aaaaaaaaaaaa01"] != engine.ActionDelete {
		t.Errorf("never used, log 60 days: %s", got["aaaaaaaaaaaa01"])
	}
	// An unreadable log prunes nothing by use.
	inv.AuditError = "403"
	if p := PlanPrune(inv, PruneOptions{Now: now, UnusedFor: 30 * 24 * time.Hour}); p.HasChanges() {
		t.Errorf("audit error still prunes: %v", actions(p))
	}
}

func TestPlanPruneKeepAdminSAAndDisable(t *testing.T) {
	gw := key("admin@p.iam.gserviceaccount.com", "dddddddddddd04", day(3), nil)
	gw.Gateway = true
	off := key("e@p.iam.gserviceaccount.com", "eeeeeeeeeeee05", day(3), nil)
	off.Disabled = true
	inv := &Inventory{Project: "p", LogSince: day(1), Keys: []*Key{
		key("a@p.iam.gserviceaccount.com", "aaaaaaaaaaaa01", day(100), nil),
		key("b@p.iam.gserviceaccount.com", "bbbbbbbbbbbb02", day(100), nil),
		gw, off,
	}}
	p := PlanPrune(inv, PruneOptions{Now: now, DisableOnly: true, Keep: []string{"aaaaaaaa", "ffffffff"}, AdminKeyID: "bbbbbbbbbbbb02", AdminKeyFile: "k.json"})
	got := actions(p)
	if got["aaaaaaaaaaaa01"] != engine.ActionNoop || got["bbbbbbbbbbbb02"] != engine.ActionNoop ||
		got["dddddddddddd04"] != engine.ActionUpdate || got["eeeeeeeeeeee05"] != engine.ActionNoop {
		t.Errorf("actions = %v", got)
	}
	w := strings.Join(p.Warnings, "\n")
	if !strings.Contains(w, "is a gateway's") || !strings.Contains(w, "--keep ffffffff matches no") {
		t.Errorf("warnings:\n%s", w)
	}
	p = PlanPrune(inv, PruneOptions{Now: now, ServiceAccounts: []string{"A@p.iam.gserviceaccount.com"}, OlderThan: 50 * 24 * time.Hour})
	if got := actions(p); len(got) != 1 || got["aaaaaaaaaaaa01"] != engine.ActionDelete {
		t.Errorf("--sa --older-than: %v", got)
	}
}

func TestIdentityKinds(t *testing.T) {
	for _, c := range []struct {
		sa   gcp.ServiceAccount
		want bool
	}{
		{gcp.ServiceAccount{Description: "BigQuery identity of alice@acme.com. fedctl:federation=prod;user=alice@acme.com;mode=impersonation"}, true},
		{gcp.ServiceAccount{Description: "fedctl:federation=prod;bogus=1"}, false},
		{gcp.ServiceAccount{Description: "BigQuery identity of alice@acme.com (fedctl, impersonation mode)."}, true},
		{gcp.ServiceAccount{DisplayName: "fedctl admin"}, true},
		{gcp.ServiceAccount{DisplayName: "ci runner", Description: "made by hand"}, false},
	} {
		if got := FedctlOwned(&c.sa); got != c.want {
			t.Errorf("FedctlOwned(%+v) = %v", c.sa, got)
		}
	}
	fed := &gcp.Policy{Bindings: []*gcp.Binding{{Role: "roles/iam.workloadIdentityUser",
		Members: []string{"principal://iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/p/subject/x"}}}}
	plain := &gcp.Policy{Bindings: []*gcp.Binding{{Role: "roles/iam.workloadIdentityUser", Members: []string{"serviceAccount:x@p.iam.gserviceaccount.com"}},
		{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"principalSet://iam.googleapis.com/x"}}}}
	if !Federated(fed) || Federated(plain) || Federated(nil) {
		t.Errorf("Federated: %v %v", Federated(fed), Federated(plain))
	}
}
