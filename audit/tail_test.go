package audit

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/emulator"
)

var (
	admin = sa("fedctl-admin")
	alice = sa("fedctl-alice")
	bob   = sa("fedctl-bob")
)

// scenario seeds: admin mints for alice and bob; each runs a query through
// the admin — alice's in the new payload style (insertion + change), bob's
// in the legacy style (insert + completed, failed) — plus unrelated entries.
func scenario(e *env) {
	t0 := base
	at := func(i int, d time.Duration) entryOpts { return entryOpts{insertID: id(i), time: t0.Add(d)} }
	o := func(i int, d time.Duration, p string, via ...string) entryOpts {
		x := at(i, d)
		x.principal, x.via = p, via
		return x
	}
	noise := func(i int, d time.Duration) map[string]any {
		return envelope(at(i, d), "activity", map[string]any{"type": "project"},
			map[string]any{"serviceName": "cloudresourcemanager.googleapis.com", "methodName": "SetIamPolicy"})
	}
	denied := map[string]any{"code": 7, "message": "Access Denied: Table demo-project:sales.secret"}
	e.seed(
		noise(1, 0),
		mintEntry(o(2, time.Minute, admin), alice),
		newStyleQuery(o(3, 2*time.Minute, alice, admin), "job_a", "SELECT 1", false, nil),
		newStyleQuery(o(4, 2*time.Minute+time.Second, alice, admin), "job_a", "SELECT 1", true, nil),
		noise(5, 3*time.Minute),
		mintEntry(o(6, 4*time.Minute, admin), bob),
		legacyQuery(o(7, 5*time.Minute, bob, admin), "job_b", "SELECT * FROM sales.secret", false, nil),
		legacyQuery(o(8, 5*time.Minute+time.Second, bob, admin), "job_b", "SELECT * FROM sales.secret", true, denied),
		// Alice queries again two hours later: her token has expired, so
		// this query cannot be paired with the 12:01 mint.
		newStyleQuery(o(9, 2*time.Hour, alice, admin), "job_c", "SELECT 2", true, nil),
	)
}

func TestReadPaginatesAndFilters(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	// Filler the server-side filter must drop, spread between the pages.
	var filler []map[string]any
	for i := range 300 {
		filler = append(filler, envelope(entryOpts{insertID: fmt.Sprintf("f%d", i), time: base.Add(3 * time.Hour)},
			"activity", map[string]any{"type": "project"}, map[string]any{"serviceName": "iam.googleapis.com", "methodName": "CreateServiceAccount"}))
	}
	e.seed(filler...)

	e.ts.ResetStats()
	all := e.collect(e.reader(2), Selection{Project: testProject})
	var ids []string
	for _, ev := range all {
		ids = append(ids, ev.InsertID)
	}
	if got, want := strings.Join(ids, ","), "ins000002,ins000003,ins000004,ins000006,ins000007,ins000008,ins000009"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
	if n := e.ts.Stats().ByRoute["logging.entries.list"]; n < 4 {
		t.Errorf("entries.list called %d times with page size 2, want ≥ 4 pages", n)
	}

	// --since is a server-side timestamp window.
	got := e.collect(e.reader(0), Selection{Project: testProject, Since: base.Add(4 * time.Minute)})
	if len(got) != 4 || got[0].InsertID != "ins000006" {
		t.Errorf("since 12:04: %d events, first %v", len(got), got)
	}
	// --user: bob's SA as mint target and as query principal.
	got = e.collect(e.reader(0), Selection{Project: testProject, Principals: []string{bob}})
	if len(got) != 3 || got[0].Kind != KindMint || got[0].Target != bob || got[1].Principal != bob {
		t.Errorf("user bob: %+v", got)
	}
	// Kinds: mints only.
	got = e.collect(e.reader(0), Selection{Project: testProject, Kinds: []Kind{KindMint}})
	if len(got) != 2 {
		t.Errorf("mints: %d, want 2", len(got))
	}
	// --admin-sa: everything here goes through the admin.
	got = e.collect(e.reader(0), Selection{Project: testProject, AdminSA: sa("someone-else")})
	if len(got) != 0 {
		t.Errorf("admin someone-else: %d events, want 0", len(got))
	}
}

func TestTailFoldsJobsCorrelatesAndLimits(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	var got []*Event
	err := Tail(e.ctx, e.reader(3), nil, TailOptions{Selection: Selection{Project: testProject}},
		func(ev *Event) error { got = append(got, ev); return nil })
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, ev := range got {
		s := fmt.Sprintf("%s %s %s", ev.Kind, ev.Principal, ev.Status())
		if ev.MintedBy != nil {
			s += " minted@" + ev.MintedBy.InsertID
		}
		lines = append(lines, s)
	}
	want := []string{
		"mint " + admin + " OK",
		"query " + alice + " OK minted@ins000002",
		"mint " + admin + " OK",
		"query " + bob + " ERROR minted@ins000006",
		"query " + alice + " OK", // 2h later: no live token
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("tail:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}

	// --limit N: the newest N events (as gcloud logging read --limit),
	// oldest first; mints are still read for correlation.
	limited := func(limit int, kinds ...Kind) []*Event {
		t.Helper()
		var got []*Event
		err := Tail(e.ctx, e.reader(2), nil, TailOptions{Selection: Selection{Project: testProject, Kinds: kinds}, Limit: limit},
			func(ev *Event) error { got = append(got, ev); return nil })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got = limited(1, KindQuery)
	if len(got) != 1 || got[0].JobID != "job_c" {
		t.Fatalf("queries limit 1: %+v, want the newest (job_c)", got)
	}
	got = limited(2, KindQuery)
	if len(got) != 2 || got[0].JobID != "job_b" || got[1].JobID != "job_c" || got[0].MintedBy == nil || got[0].MintedBy.InsertID != "ins000006" {
		t.Fatalf("queries limit 2: %+v, want job_b (paired with its mint) then job_c", got)
	}
	got = limited(3)
	if len(got) != 3 || got[0].Kind != KindMint || got[0].InsertID != "ins000006" || got[2].JobID != "job_c" {
		t.Fatalf("limit 3: %+v, want bob's mint, job_b, job_c", got)
	}
	if got = limited(100); len(got) != 5 {
		t.Fatalf("limit 100: %d events, want all 5", len(got))
	}
}

// --limit N reads from the newest entries back, not the whole window: with
// many older events, the newest N are found without paging through them.
func TestTailLimitReadsNewestFirst(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	var entries []map[string]any
	for i := range 50 {
		entries = append(entries, newStyleQuery(entryOpts{insertID: id(i), time: base.Add(time.Duration(i) * 2 * time.Hour), principal: alice, via: []string{admin}},
			fmt.Sprintf("job_%02d", i), "SELECT 1", true, nil))
	}
	e.seed(entries...)
	e.ts.ResetStats()
	var got []string
	err := Tail(e.ctx, e.reader(5), nil, TailOptions{Selection: Selection{Project: testProject}, Limit: 3},
		func(ev *Event) error { got = append(got, ev.JobID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := "job_47,job_48,job_49"; strings.Join(got, ",") != want {
		t.Errorf("limit 3 = %v, want %s", got, want)
	}
	// 2 pages of 5 newest-first, then the window from the 6th newest less
	// the token lifetime: 2 pages, not the 10 the whole trail takes.
	if n := e.ts.Stats().ByRoute["logging.entries.list"]; n > 4 {
		t.Errorf("entries.list called %d times, want ≤ 4", n)
	}
}

func TestLineWriter(t *testing.T) {
	ev := &Event{Time: base, Kind: KindQuery, Principal: alice, Via: []string{"operator@example.com", admin},
		Query: "SELECT a,\n  b FROM t WHERE x = 'a very long literal that will not fit'", Code: 7, Error: "Access Denied"}
	var buf bytes.Buffer
	(&LineWriter{W: &buf}).Write(ev)
	want := "2024-05-01T12:00:00Z  query  " + alice + "  via operator@example.com>" + admin +
		"  SELECT a, b FROM t WHERE x = 'a very long literal that will not fit'  ERROR Access Denied\n"
	if buf.String() != want {
		t.Errorf("text:\n%q\nwant\n%q", buf.String(), want)
	}
	buf.Reset()
	(&LineWriter{W: &buf, Width: 160}).Write(ev)
	line := strings.TrimSuffix(buf.String(), "\n")
	if n := len([]rune(line)); n > 160 || !strings.Contains(line, "via operator@example.com>fedctl-admin@demo-project.iam  ") || !strings.Contains(line, "…") || !strings.HasSuffix(line, "ERROR Access Denied") {
		t.Errorf("tty line (%d runes): %q", n, line)
	}
	buf.Reset()
	(&LineWriter{W: &buf, JSON: true, Width: 20}).Write(ev)
	if !strings.Contains(buf.String(), `"query":"SELECT a,\n  b FROM t WHERE x = 'a very long literal that will not fit'"`) ||
		strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("json line: %s", buf.String())
	}
	buf.Reset()
	(&LineWriter{W: &buf}).Write(&Event{Time: base, Kind: KindMint, Principal: "operator@example.com", Target: alice, Delegates: []string{admin}})
	if !strings.Contains(buf.String(), "token for "+alice+" via "+admin+"  OK") {
		t.Errorf("mint line: %q", buf.String())
	}
}

// TestFollow: entries arrive between polls — one of them late, with a
// timestamp before the newest already shown — and each is shown once.
func TestFollow(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	mk := func(i int, d time.Duration) map[string]any {
		return newStyleQuery(entryOpts{insertID: id(i), time: base.Add(d), principal: alice, via: []string{admin}},
			fmt.Sprintf("job_%d", i), "SELECT 1", true, nil)
	}
	e.seed(mk(1, 0), mk(2, time.Second))
	arrivals := [][]map[string]any{
		{mk(3, 10*time.Second)},
		{},
		{mk(4, 5*time.Second), mk(5, 20*time.Second)}, // 4 is late: older than 3
		{mk(6, 21*time.Second)},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polls := 0
	var slept []time.Duration
	f := &Follower{Interval: 3 * time.Second, Overlap: time.Minute,
		Sleep: func(ctx context.Context, d time.Duration) error {
			slept = append(slept, d)
			if polls == len(arrivals) {
				cancel()
				return ctx.Err()
			}
			e.seed(arrivals[polls]...)
			polls++
			return nil
		}}
	var got []string
	err := Tail(ctx, e.reader(2), f, TailOptions{Selection: Selection{Project: testProject, Since: base}, Follow: true},
		func(ev *Event) error { got = append(got, ev.InsertID); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := "ins000001,ins000002,ins000003,ins000004,ins000005,ins000006"; strings.Join(got, ",") != want {
		t.Errorf("follow = %v, want %s", got, want)
	}
	if len(slept) != 5 || slept[0] != 3*time.Second {
		t.Errorf("slept %v", slept)
	}
}

func TestFollowStopsAtLimit(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.seed(mintEntry(entryOpts{insertID: "a", time: base, principal: admin}, alice),
		mintEntry(entryOpts{insertID: "b", time: base.Add(time.Second), principal: admin}, bob))
	f := &Follower{Sleep: func(context.Context, time.Duration) error { t.Fatal("slept after the limit"); return nil }}
	n := 0
	err := Tail(e.ctx, e.reader(0), f, TailOptions{Selection: Selection{Project: testProject, Since: base}, Follow: true, Limit: 2},
		func(*Event) error { n++; return nil })
	if err != nil || n != 2 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
}
