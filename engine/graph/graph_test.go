package graph

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// recorder runs nodes and records the order in which they started.
type recorder struct {
	mu      sync.Mutex
	started []string
}

func (r *recorder) run(id string, err error) func(context.Context) error {
	return func(context.Context) error {
		r.mu.Lock()
		r.started = append(r.started, id)
		r.mu.Unlock()
		return err
	}
}

func (r *recorder) index(id string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, s := range r.started {
		if s == id {
			return i
		}
	}
	return -1
}

func statuses(res *Result) string {
	var b []string
	for _, o := range res.Outcomes {
		b = append(b, o.ID+"="+string(o.Status))
	}
	return strings.Join(b, " ")
}

func TestNeedsRunFirst(t *testing.T) {
	r := &recorder{}
	nodes := []Node{
		{ID: "policy", Needs: []string{"sa", "api"}, Run: r.run("policy", nil)},
		{ID: "sa", Needs: []string{"api"}, Run: r.run("sa", nil)},
		{ID: "api", Run: r.run("api", nil)},
	}
	res, err := Run(context.Background(), nodes, Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err() != nil || len(res.With(Done)) != 3 {
		t.Fatalf("%s: %v", statuses(res), res.Err())
	}
	if !(r.index("api") < r.index("sa") && r.index("sa") < r.index("policy")) {
		t.Errorf("started in order %v", r.started)
	}
	o, _ := res.Outcome("sa")
	if o.Start.IsZero() || o.End.Before(o.Start) {
		t.Errorf("sa times = %v..%v", o.Start, o.End)
	}
}

// A node starts as soon as its own needs are done, not when a slower
// sibling it does not need is: "b" (needs a1) runs while a2 is blocked.
func TestNodeStartsWhenItsNeedsAreDone(t *testing.T) {
	release := make(chan struct{})
	bRan := make(chan struct{})
	nodes := []Node{
		{ID: "a1", Run: func(context.Context) error { return nil }},
		{ID: "a2", Run: func(ctx context.Context) error {
			select {
			case <-release:
				return nil
			case <-time.After(10 * time.Second): // a guard: b never ran meanwhile
				return errors.New("b did not start while a2 was running")
			}
		}},
		{ID: "b", Needs: []string{"a1"}, Run: func(context.Context) error {
			close(bRan)
			return nil
		}},
		{ID: "c", Needs: []string{"a2", "b"}, Run: func(context.Context) error { return nil }},
	}
	go func() {
		<-bRan // b ran while a2 was still running: let a2 finish
		close(release)
	}()
	res, err := Run(context.Background(), nodes, Options{Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err() != nil {
		t.Fatal(statuses(res), res.Err())
	}
}

func TestFailureSkipsOnlyDependents(t *testing.T) {
	boom := errors.New("boom")
	r := &recorder{}
	nodes := []Node{
		{ID: "api", Run: r.run("api", nil)},
		{ID: "sa1", Needs: []string{"api"}, Run: r.run("sa1", nil)},
		{ID: "sa2", Needs: []string{"api"}, Run: r.run("sa2", boom)},
		{ID: "pol1", Needs: []string{"sa1"}, Run: r.run("pol1", nil)},
		{ID: "pol2", Needs: []string{"sa2"}, Run: r.run("pol2", nil)},
		{ID: "key2", Needs: []string{"pol2"}, Run: r.run("key2", nil)},
		// After, not Needs: runs once sa2 has ended, whatever happened.
		{ID: "project", After: []string{"sa1", "sa2"}, Run: r.run("project", nil)},
	}
	res, err := Run(context.Background(), nodes, Options{Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := "api=done sa1=done sa2=failed pol1=done pol2=skipped key2=skipped project=done"
	if got := statuses(res); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !errors.Is(res.Err(), boom) || !strings.Contains(res.Err().Error(), "sa2") {
		t.Errorf("Err = %v", res.Err())
	}
	pol2, _ := res.Outcome("pol2")
	var sk *SkipError
	if !errors.As(pol2.Err, &sk) || sk.Need != "sa2" || sk.Cause != "sa2" || pol2.Cause != "sa2" {
		t.Errorf("pol2: %+v", pol2)
	}
	key2, _ := res.Outcome("key2")
	if !errors.As(key2.Err, &sk) || sk.Need != "pol2" || sk.Cause != "sa2" {
		t.Errorf("key2: %+v", key2)
	}
	if msg := key2.Err.Error(); msg != "not started: pol2 was not started because sa2 failed" {
		t.Errorf("key2 message %q", msg)
	}
	if r.index("pol2") >= 0 || r.index("key2") >= 0 {
		t.Errorf("skipped nodes ran: %v", r.started)
	}
}

func TestConcurrencyBound(t *testing.T) {
	var cur, peak atomic.Int32
	var nodes []Node
	gate := make(chan struct{})
	var once sync.Once
	for i := range 20 {
		nodes = append(nodes, Node{ID: fmt.Sprint(i), Run: func(context.Context) error {
			n := cur.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			if n == 3 {
				once.Do(func() { close(gate) }) // the bound is reached: let everyone go
			}
			<-gate
			cur.Add(-1)
			return nil
		}})
	}
	res, err := Run(context.Background(), nodes, Options{Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Err() != nil {
		t.Fatal(res.Err())
	}
	if peak.Load() != 3 {
		t.Errorf("peak concurrency %d, want 3", peak.Load())
	}
}

func TestCancelStopsLaunching(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &recorder{}
	nodes := []Node{
		{ID: "first", Run: func(ctx context.Context) error {
			cancel()
			return nil
		}},
		{ID: "second", Needs: []string{"first"}, Run: r.run("second", nil)},
		{ID: "third", Needs: []string{"second"}, Run: r.run("third", nil)},
	}
	res, err := Run(ctx, nodes, Options{Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := statuses(res), "first=done second=skipped third=skipped"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	if len(r.started) != 0 {
		t.Errorf("started after cancel: %v", r.started)
	}
	o, _ := res.Outcome("second")
	if !errors.Is(o.Err, context.Canceled) || o.Cause != "" {
		t.Errorf("second: %+v", o)
	}
	if !errors.Is(res.Err(), context.Canceled) {
		t.Errorf("Err = %v", res.Err())
	}
}

func TestMilestonesTakeNoSlot(t *testing.T) {
	r := &recorder{}
	nodes := []Node{
		{ID: "api", Run: r.run("api", nil)},
		{ID: "apis-ready", Needs: []string{"api"}}, // milestone
		{ID: "sa", Needs: []string{"apis-ready"}, Run: r.run("sa", nil)},
	}
	var events []string
	res, err := Run(context.Background(), nodes, Options{Concurrency: 1, OnEvent: func(ev Event) {
		if ev.Outcome == nil {
			events = append(events, "start "+ev.ID)
		} else {
			events = append(events, "end "+ev.ID+" "+string(ev.Outcome.Status))
		}
	}})
	if err != nil || res.Err() != nil {
		t.Fatal(err, res.Err())
	}
	want := "start api|end api done|end apis-ready done|start sa|end sa done"
	if got := strings.Join(events, "|"); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
}

// A node that ran after a failed node (After) still runs; nodes that need
// it are unaffected by the earlier failure.
func TestAfterDoesNotPropagateFailure(t *testing.T) {
	nodes := []Node{
		{ID: "a", Run: func(context.Context) error { return errors.New("x") }},
		{ID: "b", After: []string{"a"}, Run: func(context.Context) error { return nil }},
		{ID: "c", Needs: []string{"b"}, Run: func(context.Context) error { return nil }},
	}
	res, _ := Run(context.Background(), nodes, Options{})
	if got, want := statuses(res), "a=failed b=done c=done"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestInvalidGraphs(t *testing.T) {
	noop := func(context.Context) error { return nil }
	for name, nodes := range map[string][]Node{
		"duplicate": {{ID: "a", Run: noop}, {ID: "a", Run: noop}},
		"unknown":   {{ID: "a", Needs: []string{"b"}, Run: noop}},
		"self":      {{ID: "a", Needs: []string{"a"}, Run: noop}},
		"cycle":     {{ID: "a", Needs: []string{"c"}}, {ID: "b", Needs: []string{"a"}}, {ID: "c", After: []string{"b"}}, {ID: "d"}},
		"empty id":  {{Run: noop}},
	} {
		ran := false
		for i := range nodes {
			nodes[i].Run = func(context.Context) error { ran = true; return nil }
		}
		_, err := Run(context.Background(), nodes, Options{})
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if ran {
			t.Errorf("%s: a node ran", name)
		}
		if name == "cycle" && err != nil && !strings.Contains(err.Error(), "a → b → c → a") && !strings.Contains(err.Error(), "b → c → a → b") && !strings.Contains(err.Error(), "c → a → b → c") {
			t.Errorf("cycle error %q does not name the cycle", err)
		}
	}
}

// Ready nodes start in the order given: with one slot, the order is the
// declaration order among nodes whose needs are met.
func TestReadyOrderIsDeclarationOrder(t *testing.T) {
	r := &recorder{}
	var nodes []Node
	for _, id := range []string{"x", "y", "z"} {
		nodes = append(nodes, Node{ID: id, Run: r.run(id, nil)})
	}
	nodes = append([]Node{{ID: "w", Needs: []string{"z"}, Run: r.run("w", nil)}}, nodes...)
	if _, err := Run(context.Background(), nodes, Options{Concurrency: 1}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.started, ""); got != "xyzw" {
		t.Errorf("order %s, want xyzw", got)
	}
}
