package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/fedctl/fedctl/engine/graph"
	"github.com/fedctl/fedctl/gcp"
)

// OutcomeStatus is what happened to one change.
type OutcomeStatus string

const (
	OutcomeApplied   OutcomeStatus = "applied"
	OutcomeUnchanged OutcomeStatus = "unchanged" // a no-op change
	OutcomeFailed    OutcomeStatus = "failed"
	OutcomeSkipped   OutcomeStatus = "skipped" // not started: a step it needs failed (Cause), or the run was cancelled
)

// Outcome is the result of one change.
type Outcome struct {
	Address string        `json:"address"`
	Action  Action        `json:"action"`
	Status  OutcomeStatus `json:"status"`
	Error   string        `json:"error,omitempty"`
	// Cause is, for a skipped change, the address of the failed change
	// that kept it from starting ("" when the run was cancelled).
	Cause string `json:"cause,omitempty"`
	// Omitted are the members a policy write left out because the step
	// that creates their service account failed; a later run adds them.
	Omitted []string      `json:"omitted_members,omitempty"`
	Elapsed time.Duration `json:"elapsed_ns,omitempty"`
}

// Result is what Apply did, change by change, in plan order.
type Result struct {
	Plan     *Plan
	Outcomes []Outcome
	Elapsed  time.Duration

	// sinkWriter is the audit sink's writer identity learnt while applying.
	sinkWriter string
}

// Outcome returns the outcome of the change at address.
func (r *Result) Outcome(address string) (Outcome, bool) {
	for _, o := range r.Outcomes {
		if o.Address == address {
			return o, true
		}
	}
	return Outcome{}, false
}

// Count returns how many changes ended with status s.
func (r *Result) Count(s OutcomeStatus) int {
	n := 0
	for _, o := range r.Outcomes {
		if o.Status == s {
			n++
		}
	}
	return n
}

// ApplyError is returned by Apply when a step failed or the run was
// cancelled; the Result says what was done.
type ApplyError struct {
	Failed, Skipped int
	// Err is the first failure (or the context's error).
	Err error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("apply incomplete (%d failed, %d not started): %v", e.Failed, e.Skipped, e.Err)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply executes the plan as a dependency graph (steps.go says what each
// step needs): a step starts as soon as the steps providing what it needs
// are done, with at most Options.Concurrency steps running; a failed step
// skips only the steps that need it, and their outcomes name it; a
// cancelled context stops launching steps. No-op changes make no request at
// all, so applying a plan without changes writes nothing.
func (e *Engine) Apply(ctx context.Context, p *Plan) (*Result, error) {
	if err := p.PreflightErr(); err != nil {
		return &Result{Plan: p}, err // Google would refuse it: write nothing
	}
	start := e.opts.Now()
	res := &Result{Plan: p}
	outcomes := map[*Change]*Outcome{}
	for _, c := range p.Changes {
		res.Outcomes = append(res.Outcomes, Outcome{Address: c.Address, Action: c.Action, Status: OutcomeUnchanged})
	}
	for i, c := range p.Changes {
		outcomes[c] = &res.Outcomes[i]
		if c.Action != ActionNoop {
			res.Outcomes[i].Status = OutcomeSkipped
		}
	}

	run := &applyRun{failed: map[fact]bool{}}
	steps := e.steps(p, run)
	gr, err := e.walk(ctx, steps, run, outcomes)
	res.sinkWriter = run.sink.writer
	res.Elapsed = e.opts.Now().Sub(start)
	if err != nil {
		return res, err // a malformed graph: a bug, nothing was started
	}
	if err := gr.Err(); err != nil {
		if ctx.Err() != nil {
			err = res.markInterrupted(ctx, p.Operation)
		}
		return res, &ApplyError{Failed: res.Count(OutcomeFailed), Skipped: res.Count(OutcomeSkipped), Err: err}
	}
	return res, nil
}

// walk runs the steps on the graph executor and records their outcomes.
func (e *Engine) walk(ctx context.Context, steps []step, run *applyRun, outcomes map[*Change]*Outcome) (*graph.Result, error) {
	nodes, byID := graphNodes(steps)
	return graph.Run(ctx, nodes, graph.Options{
		Concurrency: e.opts.Concurrency,
		Now:         e.opts.Now,
		OnEvent: func(ev graph.Event) {
			s := byID[ev.ID]
			if ev.Outcome == nil {
				e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepStarted})
				return
			}
			o := ev.Outcome
			elapsed := o.End.Sub(o.Start)
			for _, c := range s.changes {
				out := outcomes[c]
				out.Elapsed = elapsed
				switch o.Status {
				case graph.Done:
					out.Status = OutcomeApplied
				case graph.Failed:
					out.Status, out.Error = OutcomeFailed, o.Err.Error()
				case graph.Skipped:
					out.Status, out.Elapsed = OutcomeSkipped, 0
					if o.Err != nil {
						out.Error = o.Err.Error()
					}
					if cs := byID[o.Cause]; cs != nil && len(cs.changes) > 0 {
						out.Cause = cs.changes[0].Address
					}
				}
				if om := run.omitted(c); len(om) > 0 {
					out.Omitted = om
				}
			}
			switch o.Status {
			case graph.Done:
				e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepFinished, Elapsed: elapsed})
			case graph.Failed:
				e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepFailed, Elapsed: elapsed, Err: o.Err})
			}
			if o.Status != graph.Done {
				run.fail(s.provides)
			}
		},
	})
}

func addresses(cs []*Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Address
	}
	return out
}

func (e *Engine) createSAStep(c *Change, d *Desired, sa *ServiceAccountSpec) step {
	return step{name: "create " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		_, err := e.c.CreateServiceAccount(ctx, d.Project, sa.AccountID, sa.DisplayName, sa.Description)
		if !gcp.IsAlreadyExists(err) {
			return err
		}
		// Created by an interrupted run, or unlisted (the plan could not
		// list accounts: the IAM API was off): adopt it only when the
		// plan would have, never another federation's or user's SA.
		l, gerr := e.c.GetServiceAccount(ctx, sa.Email)
		if gerr != nil {
			return fmt.Errorf("%s already exists and could not be read to check who owns it: %w", sa.Email, gerr)
		}
		if o, m, why := ownerOf(d.Name, l, sa); o == Foreign {
			var owners []string
			if m.Federation != d.Name {
				owners = []string{m.Federation}
			}
			return &OwnershipError{Problems: []string{why}, FixText: ownershipFix(d, owners)}
		}
		return nil
	}}
}

func (e *Engine) deleteSAStep(c *Change, sa *ServiceAccountSpec) step {
	return step{name: "delete " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		return e.deleteServiceAccount(ctx, sa.Email)
	}}
}

// policyStep writes one policy. The plan read the policy moments ago, so the
// edit is first written straight onto that read, guarded by its etag (a
// service account created in this run has the empty policy, etag "ACAB");
// when someone else wrote in between (409), the step falls back to a fresh
// read-modify-write, so nothing is lost and no request is wasted when
// nobody did. Members whose service account failed to be created in this
// run are left out (the project policy runs after those steps, whatever
// their outcome) and recorded in the outcome; the next run adds them.
func (e *Engine) policyStep(c *Change, d *Desired, t PolicyTarget, read *gcp.Policy, remove, fresh bool, run *applyRun) step {
	if read == nil && t.Type == TargetServiceAccount {
		read = &gcp.Policy{Etag: emptyPolicyEtag}
	}
	verb := "update "
	return step{name: verb + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		var ms, omitted []Membership
		for _, m := range d.MembershipsOf(t) {
			if remove {
				continue // teardown removes d.Removals only
			}
			if !slices.ContainsFunc(memberFacts(m.Member), func(f fact) bool { return !run.holds(f) }) {
				ms = append(ms, m)
			} else {
				omitted = append(omitted, m)
			}
		}
		if len(omitted) > 0 {
			var members []string
			for _, m := range omitted {
				if !slices.Contains(members, m.Member) {
					members = append(members, m.Member)
				}
			}
			run.setOmitted(c, members)
		}
		edit := policyEdit(d, t, ms, remove)
		var r gcp.PolicyResource
		if t.Type == TargetProject {
			r = e.c.ProjectPolicy(t.Name)
		} else {
			r = e.c.ServiceAccountPolicy(t.Name)
		}
		if read != nil {
			work := read.Clone()
			if changed, _ := edit(work); !changed {
				return nil
			}
			err := e.waitVisible(ctx, fresh, func() error {
				_, err := r.Set(ctx, work)
				return err
			})
			if !isConflict(err) {
				return err
			}
		}
		return e.waitVisible(ctx, fresh, func() error {
			_, _, err := e.c.ModifyPolicy(ctx, r, edit)
			return err
		})
	}}
}

// emptyPolicyEtag is the etag of a policy that was never written.
const emptyPolicyEtag = "ACAB"

// policyEdit is the edit of target's policy, derived from whatever policy it
// is given (it may run again on a fresh read after a conflict): add (or, for
// teardown, remove) each of the memberships ms in the unconditional binding
// of its role, remove the removals (offboarding, teardown: d.Removals), and
// enable the missing Data Access log types. Nothing else changes.
func policyEdit(d *Desired, t PolicyTarget, ms []Membership, remove bool) func(*gcp.Policy) (bool, error) {
	rs := d.RemovalsOf(t)
	return func(p *gcp.Policy) (bool, error) {
		changed := false
		for _, m := range ms {
			if remove {
				changed = p.RemoveMember(m.Role, m.Member) || changed
			} else {
				changed = p.AddMember(m.Role, m.Member) || changed
			}
		}
		for _, r := range rs {
			changed = len(applyRemoval(p, r)) > 0 || changed
		}
		if !remove && t.Type == TargetProject {
			for _, a := range d.AuditLogs {
				for _, lt := range a.LogTypes {
					if !p.AuditLogsEnabled(a.Service, lt) {
						changed = p.EnableAuditLogs(a.Service, lt) || changed
					}
				}
			}
		}
		return changed, nil
	}
}

// keyStep creates a key for the admin SA and writes it to the key file. The
// file is reserved (created exclusively, 0600) first: a key is never minted
// that cannot be stored, and an existing file is never overwritten.
func (e *Engine) keyStep(c *Change, d *Desired, fresh bool) step {
	path := d.AdminKeyFile
	return step{name: "create " + c.Address + " → " + path, changes: []*Change{c}, run: func(ctx context.Context) (err error) {
		f, err := reserveKeyFile(path)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil && cerr != nil {
				err = cerr
			}
			if err != nil {
				os.Remove(path)
			}
		}()
		var key []byte
		err = e.waitVisible(ctx, fresh, func() (err error) {
			key, err = e.c.CreateKey(ctx, d.Admin.Email)
			return err
		})
		if err != nil {
			return err
		}
		if _, err := f.Write(key); err != nil {
			return errors.New("writing the key file failed") // never echo key material
		}
		return nil
	}}
}
