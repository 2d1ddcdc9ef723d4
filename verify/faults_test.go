package verify

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/faultinject"
)

// Faults in front of the emulator, through the real clients: verify retries
// what Google fails transiently, and a check it still cannot make is
// "could not check" (exit 3), never a silent omission nor a config error.

func injector(inj **faultinject.Injector) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		*inj = faultinject.New(h, 1)
		return *inj
	}
}

const (
	poolGet    = `/workloadIdentityPools/[^/]+$`
	projectGet = `/cloudresourcemanager/v1/projects/demo-project$`
)

// #11: one 503 on workloadIdentityPools.get no longer fails the pool row.
func TestVerifyWIFSurvivesA503OnThePoolRead(t *testing.T) {
	var inj *faultinject.Injector
	w := wifWorldWrapped(t, false, injector(&inj))
	inj.Add(faultinject.Fault{Method: "GET", Path: poolGet, Nth: 1, Status: 503})
	rep := w.run(w.opts())
	wantRow(t, rep, CheckWIFPool, "demo-pool", Pass)
	wantRow(t, rep, CheckWIFProvider, "demo-oidc", Pass)
	if rep.Failed() || len(inj.Events()) != 1 {
		t.Errorf("failed=%v, faults %v:\n%s", rep.Failed(), inj.Events(), dump(rep))
	}
}

// #12.2: the project number unreadable (503s past the retry budget): every
// wif row that needs it is there, "could not check", and the run fails.
func TestVerifyWIFProjectUnreadableIsCouldNotCheck(t *testing.T) {
	var inj *faultinject.Injector
	w := wifWorldWrapped(t, false, injector(&inj))
	inj.Add(faultinject.Fault{Method: "GET", Path: projectGet, Rate: 1, Status: 503})
	rep := w.run(w.opts())
	for _, c := range []struct{ name, subject string }{
		{CheckWIFPool, "demo-pool"}, {CheckWIFProvider, "demo-oidc"}, {CheckWorkloadUser, w.cfg.WIF.TargetEmail(testProject)},
	} {
		wantRow(t, rep, c.name, c.subject, Unchecked, "cannot read the project number", "gave up after")
	}
	// The data roles of the target SA need no project number: checked.
	wantRow(t, rep, CheckDataRoles, "serviceAccount:"+w.cfg.WIF.TargetEmail(testProject), Pass)
	if !rep.Failed() || rep.Summary.Unchecked != 3 {
		t.Errorf("failed=%v summary %+v", rep.Failed(), rep.Summary)
	}
	if msg := rep.FailureMessage(); !strings.HasPrefix(msg, "could not check: pool active (demo-pool): cannot read the project number") {
		t.Errorf("failure message = %q", msg)
	}
}

// #12.3: a pool read that keeps failing is "could not check", not a failed
// pool, and the provider row is not hidden.
func TestVerifyWIFPoolUnreadableIsNotAFailure(t *testing.T) {
	var inj *faultinject.Injector
	w := wifWorldWrapped(t, false, injector(&inj))
	inj.Add(faultinject.Fault{Method: "GET", Path: poolGet, Rate: 1, Status: 503})
	rep := w.run(w.opts())
	wantRow(t, rep, CheckWIFPool, "demo-pool", Unchecked, "HTTP 503")
	wantRow(t, rep, CheckWIFProvider, "demo-oidc", Unchecked, "the pool could not be read")
	if rep.Summary.Fail != 0 || !rep.Failed() {
		t.Errorf("summary %+v: want no failure but a failed run", rep.Summary)
	}
}

// #12.3: a 503 on the admin's token request (--admin-key-file) is retried;
// one that persists is "could not check", never "the admin key was rejected".
func TestVerifyAdminKeyToken503(t *testing.T) {
	var inj *faultinject.Injector
	w := newWorldWrapped(t, emulator.Options{}, injector(&inj), "alice@acme.com")
	w.setup()
	o := w.opts("alice@acme.com")
	o.AdminKey, o.AdminKeyFile = w.adminKey(), "admin-key.json"

	inj.Add(faultinject.Fault{Method: "POST", Path: `/oauth2/token$`, Nth: 1, Status: 503})
	rep := w.run(o)
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
	if rep.Failed() || len(inj.Events()) != 1 {
		t.Fatalf("one 503 on the token request: faults %v\n%s", inj.Events(), dump(rep))
	}

	inj.Clear()
	inj.Add(faultinject.Fault{Method: "POST", Path: `/oauth2/token$`, Rate: 1, Status: 503})
	o.AdminKey = w.adminKey() // a fresh key: no cached token
	rep = w.run(o)
	m := wantRow(t, rep, CheckMint, "alice@acme.com", Unchecked, "token request failed")
	if strings.Contains(m.Seen, "rejected") || !rep.Failed() {
		t.Errorf("mint row %+v; failed=%v", m, rep.Failed())
	}
}

// A probe BigQuery keeps failing is "could not check", not a failed query.
func TestVerifyProbeUnavailableIsCouldNotCheck(t *testing.T) {
	var inj *faultinject.Injector
	w := newWorldWrapped(t, emulator.Options{}, injector(&inj), "alice@acme.com")
	w.setup()
	inj.Add(faultinject.Fault{Method: "POST", Path: `/queries$`, Nth: 1, Status: 503})
	rep := w.run(w.opts("alice@acme.com"))
	wantRow(t, rep, CheckProbe, "alice@acme.com", Pass)
	inj.Clear()
	inj.Add(faultinject.Fault{Path: `/bigquery/`, Rate: 1, Status: 503})
	o := w.opts("alice@acme.com")
	// BigQuery's own client retries 5xx until its context ends: the bound
	// is what ends it (small here, so that the test does not wait).
	o.ProbeTimeout = 50 * time.Millisecond
	rep = w.run(o)
	wantRow(t, rep, CheckProbe, "alice@acme.com", Unchecked, "cannot query")
	if rep.Summary.Fail != 0 || !rep.Failed() {
		t.Errorf("summary %+v:\n%s", rep.Summary, dump(rep))
	}
}
