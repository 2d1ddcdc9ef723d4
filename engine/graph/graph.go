// Package graph runs interdependent tasks as a dependency graph, the way
// Terraform walks its graph: a node starts as soon as every node it needs
// has succeeded, with at most Options.Concurrency running at once; a
// failure skips only the nodes that depend on the failed one (directly or
// through other nodes), and the result says which were skipped and why; a
// cancelled context stops launching nodes, and those not started are
// reported as skipped.
//
// The package knows nothing of Google Cloud: the engine turns a plan's
// steps into Nodes (engine/apply.go).
package graph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Node is one task.
type Node struct {
	// ID names the node; IDs are unique within a graph.
	ID string
	// Needs are the IDs of the nodes that must succeed before this one
	// starts. When one of them fails (or is skipped), this node is skipped.
	Needs []string
	// After are the IDs of nodes that must have finished, successfully or
	// not, before this one starts: an ordering that does not depend on
	// their success (the node's Run may then look at what happened).
	After []string
	// Run does the work. nil makes a milestone: it is done as soon as its
	// needs are, without taking a concurrency slot.
	Run func(ctx context.Context) error
}

// Status is how a node ended.
type Status string

const (
	Done    Status = "done"
	Failed  Status = "failed"
	Skipped Status = "skipped" // never started
)

// Outcome is what happened to one node.
type Outcome struct {
	ID     string
	Status Status
	// Err is Run's error (Failed), or why the node was not started
	// (Skipped): a *SkipError, or the context's error.
	Err error
	// Cause is, for a node skipped because of a failure, the ID of the
	// failed node at the root of it ("" otherwise).
	Cause string
	// Start and End bound Run (zero for a node that never ran).
	Start, End time.Time
}

// SkipError says why a node was not started: a node it needs did not
// succeed.
type SkipError struct {
	// Need is the needed node that did not succeed; Cause the failed node
	// at the root (Need itself, or a node Need was waiting for).
	Need, Cause string
}

func (e *SkipError) Error() string {
	if e.Need == e.Cause {
		return fmt.Sprintf("not started: %s failed", e.Cause)
	}
	return fmt.Sprintf("not started: %s was not started because %s failed", e.Need, e.Cause)
}

// Event reports a node starting (Outcome nil) or ending.
type Event struct {
	ID      string
	Outcome *Outcome // nil when the node starts
}

// Options tune Run.
type Options struct {
	// Concurrency bounds the nodes running at once (≤ 0: unbounded).
	Concurrency int
	// OnEvent, when set, is called as each node starts and ends, from one
	// goroutine (calls never overlap). A node's end is reported before any
	// node that needs it or runs after it starts.
	OnEvent func(Event)
	// Now is the clock for Start and End (default time.Now).
	Now func() time.Time
}

// Result is what Run did, node by node, in the order the nodes were given.
type Result struct {
	Outcomes []Outcome
	index    map[string]int
	// first is the first failure, or the context's error.
	first error
}

// Outcome returns the outcome of node id.
func (r *Result) Outcome(id string) (Outcome, bool) {
	i, ok := r.index[id]
	if !ok {
		return Outcome{}, false
	}
	return r.Outcomes[i], true
}

// With returns the outcomes with status s, in node order.
func (r *Result) With(s Status) []Outcome {
	var out []Outcome
	for _, o := range r.Outcomes {
		if o.Status == s {
			out = append(out, o)
		}
	}
	return out
}

// Err is the first failure (wrapped with its node's ID), or the context's
// error when the run was cancelled before anything failed; nil when every
// node is done.
func (r *Result) Err() error { return r.first }

type edge struct {
	to   int
	hard bool // a Needs edge: failure propagates
}

type graph struct {
	index map[string]int
	out   [][]edge // dependents of each node
	deps  []int    // unfinished needs + afters of each node
}

func build(nodes []Node) (*graph, error) {
	g := &graph{index: make(map[string]int, len(nodes)), out: make([][]edge, len(nodes)), deps: make([]int, len(nodes))}
	for i, n := range nodes {
		if n.ID == "" {
			return nil, fmt.Errorf("graph: node %d has no ID", i)
		}
		if _, dup := g.index[n.ID]; dup {
			return nil, fmt.Errorf("graph: duplicate node %q", n.ID)
		}
		g.index[n.ID] = i
	}
	for i, n := range nodes {
		seen := map[int]bool{}
		add := func(ids []string, hard bool) error {
			for _, id := range ids {
				j, ok := g.index[id]
				if !ok {
					return fmt.Errorf("graph: %q needs unknown node %q", n.ID, id)
				}
				if j == i {
					return fmt.Errorf("graph: %q needs itself", n.ID)
				}
				if seen[j] {
					// A node both needed and after: the need wins.
					if hard {
						for k, e := range g.out[j] {
							if e.to == i {
								g.out[j][k].hard = true
							}
						}
					}
					continue
				}
				seen[j] = true
				g.out[j] = append(g.out[j], edge{to: i, hard: hard})
				g.deps[i]++
			}
			return nil
		}
		if err := add(n.Needs, true); err != nil {
			return nil, err
		}
		if err := add(n.After, false); err != nil {
			return nil, err
		}
	}
	if cyc := g.cycle(nodes); cyc != nil {
		return nil, fmt.Errorf("graph: cycle: %s", strings.Join(cyc, " → "))
	}
	return g, nil
}

// cycle returns the IDs along a cycle, or nil (Kahn's algorithm, then a
// walk among the nodes left over).
func (g *graph) cycle(nodes []Node) []string {
	deps := slices.Clone(g.deps)
	var queue []int
	for i, d := range deps {
		if d == 0 {
			queue = append(queue, i)
		}
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, e := range g.out[i] {
			if deps[e.to]--; deps[e.to] == 0 {
				queue = append(queue, e.to)
			}
		}
	}
	start := slices.IndexFunc(deps, func(d int) bool { return d > 0 })
	if start < 0 {
		return nil
	}
	// Every leftover node has a leftover predecessor: walk predecessors
	// until one repeats.
	pred := make([]int, len(nodes))
	for i := range pred {
		pred[i] = -1
	}
	for i, es := range g.out {
		if deps[i] == 0 {
			continue
		}
		for _, e := range es {
			if deps[e.to] > 0 {
				pred[e.to] = i
			}
		}
	}
	pos := map[int]int{}
	var path []int
	for i := start; ; i = pred[i] {
		if p, ok := pos[i]; ok {
			path = path[p:]
			break
		}
		pos[i] = len(path)
		path = append(path, i)
	}
	slices.Reverse(path)
	ids := make([]string, 0, len(path)+1)
	for _, i := range path {
		ids = append(ids, nodes[i].ID)
	}
	return append(ids, nodes[path[0]].ID)
}

type finished struct {
	i          int
	err        error
	start, end time.Time
}

// Run runs the nodes and reports each one's outcome. Its error is for a
// graph that cannot run (duplicate IDs, unknown needs, a cycle), returned
// before anything starts; failures of nodes are in the Result (Err).
//
// Among the nodes ready at once, those given first start first.
func Run(ctx context.Context, nodes []Node, opts Options) (*Result, error) {
	g, err := build(nodes)
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	limit := opts.Concurrency
	if limit <= 0 {
		limit = len(nodes) + 1
	}
	res := &Result{Outcomes: make([]Outcome, len(nodes)), index: g.index}
	final := make([]bool, len(nodes))
	doomed := make([]*SkipError, len(nodes)) // a need failed: skip when due
	emit := func(ev Event) {
		if opts.OnEvent != nil {
			opts.OnEvent(ev)
		}
	}

	ready := &readyQueue{}
	for i, d := range g.deps {
		if d == 0 {
			ready.push(i)
		}
	}
	// finish records a node's end and releases the nodes waiting on it; a
	// skipped node's end releases its own dependents the same way.
	var finish func(i int, o Outcome)
	finish = func(i int, o Outcome) {
		o.ID = nodes[i].ID
		res.Outcomes[i], final[i] = o, true
		switch {
		case o.Status == Failed && res.first == nil:
			res.first = fmt.Errorf("%s: %w", o.ID, o.Err)
		}
		emit(Event{ID: o.ID, Outcome: &res.Outcomes[i]})
		for _, e := range g.out[i] {
			if e.hard && o.Status != Done && doomed[e.to] == nil {
				cause := o.ID
				if o.Cause != "" {
					cause = o.Cause
				}
				if o.Status == Failed || o.Cause != "" {
					doomed[e.to] = &SkipError{Need: o.ID, Cause: cause}
				}
			}
			if g.deps[e.to]--; g.deps[e.to] > 0 {
				continue
			}
			if sk := doomed[e.to]; sk != nil {
				finish(e.to, Outcome{Status: Skipped, Err: sk, Cause: sk.Cause})
			} else if !final[e.to] {
				ready.push(e.to)
			}
		}
	}

	done := make(chan finished)
	running := 0
	for {
		for running < limit && ready.len() > 0 && ctx.Err() == nil {
			i := ready.pop()
			n := nodes[i]
			if n.Run == nil {
				t := now()
				finish(i, Outcome{Status: Done, Start: t, End: t})
				continue
			}
			running++
			emit(Event{ID: n.ID})
			go func() {
				start := now()
				err := n.Run(ctx)
				done <- finished{i: i, err: err, start: start, end: now()}
			}()
		}
		if running == 0 {
			break
		}
		f := <-done
		running--
		o := Outcome{Status: Done, Start: f.start, End: f.end}
		if f.err != nil {
			o.Status, o.Err = Failed, f.err
		}
		finish(f.i, o)
	}

	// Cancelled: what never started is skipped.
	for i := range nodes {
		if final[i] {
			continue
		}
		o := Outcome{ID: nodes[i].ID, Status: Skipped, Err: ctx.Err()}
		if sk := doomed[i]; sk != nil {
			o.Err, o.Cause = sk, sk.Cause
		}
		if o.Err == nil {
			o.Err = errors.New("not started") // unreachable for a valid graph
		}
		res.Outcomes[i], final[i] = o, true
		emit(Event{ID: o.ID, Outcome: &res.Outcomes[i]})
	}
	if res.first == nil && ctx.Err() != nil && len(res.With(Skipped)) > 0 {
		res.first = ctx.Err()
	}
	return res, nil
}

// readyQueue hands out ready nodes lowest index first (a binary heap).
type readyQueue struct{ h []int }

func (q *readyQueue) len() int { return len(q.h) }

func (q *readyQueue) push(i int) {
	q.h = append(q.h, i)
	for c := len(q.h) - 1; c > 0; {
		p := (c - 1) / 2
		if q.h[p] <= q.h[c] {
			break
		}
		q.h[p], q.h[c] = q.h[c], q.h[p]
		c = p
	}
}

func (q *readyQueue) pop() int {
	top := q.h[0]
	last := len(q.h) - 1
	q.h[0] = q.h[last]
	q.h = q.h[:last]
	for p := 0; ; {
		l, r, m := 2*p+1, 2*p+2, p
		if l < len(q.h) && q.h[l] < q.h[m] {
			m = l
		}
		if r < len(q.h) && q.h[r] < q.h[m] {
			m = r
		}
		if m == p {
			break
		}
		q.h[p], q.h[m] = q.h[m], q.h[p]
		p = m
	}
	return top
}
