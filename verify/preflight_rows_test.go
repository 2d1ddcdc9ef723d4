package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
)

// dataViewer only: the query_permission row fails, and the probe's 403 is
// classified at once with that cause — no propagation wait. Measured with
// the real sleeper: the whole run stays under 2 s of wall time.
func TestDataViewerOnlyClassifiedAtOnce(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.cfg.SetRoles([]string{"roles/bigquery.dataViewer"})
	w.setup()
	var progress []string
	o := Options{Users: []string{"alice@acme.com"}, Wait: 2 * time.Minute,
		Progress: func(f string, a ...any) { progress = append(progress, fmt.Sprintf(f, a...)) }}
	start := time.Now()
	rep := w.run(o)
	elapsed := time.Since(start)
	t.Logf("dataViewer-only verify: %s wall time", elapsed)
	if elapsed >= 2*time.Second {
		t.Errorf("verify took %s; the cause was known, nothing should wait", elapsed)
	}
	q := wantRow(t, rep, CheckQueryPermission, testProject, Fail, "no data role grants bigquery.jobs.create")
	p := wantRow(t, rep, CheckProbe, "alice@acme.com", Fail, "no data role grants bigquery.jobs.create")
	if p.Fix != q.Fix || !strings.Contains(p.Fix, "roles/bigquery.jobUser") || strings.Contains(p.Seen, "not yet propagated") {
		t.Errorf("probe = %+v", p)
	}
	if len(progress) != 0 {
		t.Errorf("progress while nothing waits: %v", progress)
	}
}

// Valid roles: the row passes, silently for the probe.
func TestQueryPermissionRowPasses(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	rep := w.run(w.opts("alice@acme.com"))
	wantRow(t, rep, CheckQueryPermission, testProject, Pass, "roles/bigquery.user grants bigquery.jobs.create")
	wantRow(t, rep, CheckProbe, "alice@acme.com", Pass)
	wantRow(t, rep, CheckPolicySize, testProject, Pass, "of 1500 principals")
	for _, c := range rep.Checks {
		if c.Name == CheckPrivilegedRoles {
			t.Errorf("privileged row on default roles: %+v", c)
		}
	}
}

// Waiting shares one budget across identities and reports progress.
func TestPropagationWaitIsOneBudget(t *testing.T) {
	w := newWorld(t, emulator.Options{PropagationDelay: 10 * time.Minute}, "alice@acme.com", "bob@acme.com")
	w.setup()
	w.clock.Advance(11 * time.Minute) // Token Creator in effect
	for _, u := range []string{"alice@acme.com", "bob@acme.com"} {
		sa := w.sa(u)
		w.revokeDataRoles(sa)
		w.grantDataRoles(sa) // granted again just now: 10 minutes to propagate
	}
	var mu sync.Mutex
	var progress []string
	var slept time.Duration
	o := Options{Users: []string{"alice@acme.com", "bob@acme.com"}, Wait: 40 * time.Second, Concurrency: 1, Now: w.clock.Now,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			slept += d
			mu.Unlock()
			w.clock.Advance(d)
			return nil
		},
		Progress: func(f string, a ...any) {
			mu.Lock()
			progress = append(progress, fmt.Sprintf(f, a...))
			mu.Unlock()
		}}
	rep := w.run(o)
	wantRow(t, rep, CheckProbe, "alice@acme.com", Fail, "not yet propagated")
	wantRow(t, rep, CheckProbe, "bob@acme.com", Fail, "not yet propagated")
	if slept != 40*time.Second {
		t.Errorf("slept %s in all, want the one 40s budget", slept)
	}
	if !containsLine(progress, "waiting for IAM propagation: 40s of 40s") || len(progress) < 3 || !strings.HasPrefix(progress[0], "waiting for IAM propagation: ") {
		t.Errorf("progress = %v", progress)
	}
}

func containsLine(lines []string, s string) bool {
	for _, l := range lines {
		if l == s {
			return true
		}
	}
	return false
}

func (w *world) orgPolicy(constraint string, rules ...emulator.OrgPolicyRule) {
	w.t.Helper()
	must(w.t, w.srv.WithState(func(st *emulator.State) error {
		return emulator.SetOrgPolicy(st, testProject, constraint, rules, w.clock.Now())
	}))
}

// The org policies a federation relies on are project rows: the wif
// issuer (fails when not allowed), the key constraint with a key file.
func TestOrgPolicyRows(t *testing.T) {
	w := wifWorld(t, false)
	rep := w.run(w.opts())
	wantRow(t, rep, CheckOrgPolicy, testProject, Pass, "pool providers policy allows the issuer")
	w.orgPolicy(emulator.ConstraintWIFPoolProviders, emulator.OrgPolicyRule{AllowedValues: []string{"https://gitlab.com"}})
	rep = w.run(w.opts())
	wantRow(t, rep, CheckOrgPolicy, testProject, Fail, "does not allow the issuer")

	w = newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	o := w.opts("alice@acme.com")
	o.AdminKey, o.AdminKeyFile = w.adminKey(), "admin-key.json"
	on := true
	w.orgPolicy(emulator.ConstraintDisableKeyCreation, emulator.OrgPolicyRule{Enforce: &on})
	rep = w.run(o)
	wantRow(t, rep, CheckOrgPolicy, testProject, Warn, "constraints/iam.disableServiceAccountKeyCreation enforced", "no new key")
	wantRow(t, rep, CheckMint, "alice@acme.com", Pass)
}
