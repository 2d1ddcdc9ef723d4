package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/fedctl/fedctl/gcp"
)

// OutcomeStatus is what happened to one change.
type OutcomeStatus string

const (
	OutcomeApplied   OutcomeStatus = "applied"
	OutcomeUnchanged OutcomeStatus = "unchanged" // a no-op change
	OutcomeFailed    OutcomeStatus = "failed"
	OutcomeSkipped   OutcomeStatus = "skipped" // not started: an earlier step failed or the run was cancelled
)

// Outcome is the result of one change.
type Outcome struct {
	Address string        `json:"address"`
	Action  Action        `json:"action"`
	Status  OutcomeStatus `json:"status"`
	Error   string        `json:"error,omitempty"`
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

// step is one unit of apply work: one or more changes done together.
type step struct {
	name    string
	changes []*Change
	run     func(ctx context.Context) error
}

// Apply executes the plan, phase by phase in dependency order, the steps of
// a phase concurrently (at most Options.Concurrency in flight). A phase with
// a failed step ends the run after its other steps finish; a cancelled
// context stops launching steps. No-op changes make no request at all, so
// applying a plan without changes writes nothing.
func (e *Engine) Apply(ctx context.Context, p *Plan) (*Result, error) {
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

	var firstErr error
	run := &sinkRun{}
	defer func() { res.sinkWriter = run.writer }()
	for _, ph := range e.phases(p, run) {
		if firstErr != nil {
			break
		}
		if err := ctx.Err(); err != nil {
			firstErr = err
			break
		}
		firstErr = e.runPhase(ctx, ph, outcomes)
	}
	res.Elapsed = e.opts.Now().Sub(start)
	if firstErr != nil {
		return res, &ApplyError{Failed: res.Count(OutcomeFailed), Skipped: res.Count(OutcomeSkipped), Err: firstErr}
	}
	return res, nil
}

// runPhase runs the steps of one phase and returns the first failure.
func (e *Engine) runPhase(ctx context.Context, steps []step, outcomes map[*Change]*Outcome) error {
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, s := range steps {
		// Acquire before launching: a cancelled context stops new steps
		// here, and those not launched stay "skipped".
		if err := e.sem.Acquire(ctx, 1); err != nil {
			fail(err)
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer e.sem.Release(1)
			e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepStarted})
			t0 := e.opts.Now()
			err := s.run(ctx)
			elapsed := e.opts.Now().Sub(t0)
			mu.Lock()
			for _, c := range s.changes {
				o := outcomes[c]
				o.Elapsed = elapsed
				if err != nil {
					o.Status, o.Error = OutcomeFailed, err.Error()
				} else {
					o.Status = OutcomeApplied
				}
			}
			mu.Unlock()
			if err != nil {
				fail(fmt.Errorf("%s: %w", s.name, err))
				e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepFailed, Elapsed: elapsed, Err: err})
				return
			}
			e.emit(Event{Step: s.name, Addresses: addresses(s.changes), Status: StepFinished, Elapsed: elapsed})
		}()
	}
	wg.Wait()
	return firstErr
}

func addresses(cs []*Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Address
	}
	return out
}

// phases turns the plan's pending changes into ordered phases of steps.
//
// Setup: enable APIs (one call, LRO awaited) → create service accounts →
// every policy write (the project's — ONE write carrying all project
// members and audit logs — and each service account's) together with the
// admin key and the Hoop policy file.
//
// Teardown: remove members from the policies → delete the service accounts
// → soft-delete the wif provider, then its pool.
//
// wif setup: APIs → pool (create or undelete) → provider and target SA →
// policy writes.
//
// The audit sink (setup): its dataset is created with the policy writes
// (it depends on nothing of theirs); the sink after them; then WRITER on
// the dataset for the sink's writer identity, which exists only once the
// sink does (run carries it, and the created dataset, between the steps).
// Teardown deletes the sink with the policy writes.
func (e *Engine) phases(p *Plan, run *sinkRun) [][]step {
	d, live := p.desired, p.live
	created := map[string]bool{} // SA emails created in this run
	for _, sa := range d.ServiceAccounts {
		if c := p.Change(sa.Address); c != nil && c.Action == ActionCreate {
			created[lower(sa.Email)] = true
		}
	}
	sas := map[string]*ServiceAccountSpec{}
	for _, sa := range d.ServiceAccounts {
		sas[sa.Address] = sa
	}
	targets := map[string]PolicyTarget{}
	for _, t := range d.PolicyTargets() {
		targets[t.Address()] = t
	}
	var apis []*Change
	var pools, providers, creates, writes, deletes, wifDeletes, sinks, grants []step
	for _, c := range p.Changes {
		if c.Action == ActionNoop {
			continue
		}
		switch c.Kind {
		case KindAPI:
			apis = append(apis, c)
		case KindServiceAccount, KindUser:
			sa := sas[c.Address]
			switch o := d.Offboard(c.Address); {
			case c.Offboard && o != nil && o.Delete:
				// After the policy writes: Google rewrites the members
				// of a deleted SA as deleted:serviceAccount:….
				deletes = append(deletes, e.offboardStep(c, o))
			case c.Offboard && o != nil:
				// Disabled at once, with the first writes (SPEC §7.2).
				creates = append(creates, e.offboardStep(c, o))
			case c.Action == ActionDelete:
				deletes = append(deletes, e.deleteSAStep(c, sa))
			case c.Action == ActionUpdate:
				creates = append(creates, e.updateSAStep(c, live, sa))
			default:
				creates = append(creates, e.createSAStep(c, d.Project, sa))
			}
		case KindPolicy:
			t := targets[c.Address]
			fresh := t.Type == TargetServiceAccount && created[lower(t.Name)]
			if t.Type == TargetProject {
				fresh = len(created) > 0 // it binds accounts created moments ago
			}
			writes = append(writes, e.policyStep(c, d, t, live.Policies[t], p.Operation == OpTeardown, fresh))
		case KindAdminKey:
			writes = append(writes, e.keyStep(c, d, created[lower(d.Admin.Email)]))
		case KindWIFPool, KindWIFProvider:
			switch {
			case c.Action == ActionDelete:
				wifDeletes = append(wifDeletes, e.wifDeleteStep(c, d))
			case c.Kind == KindWIFPool:
				pools = append(pools, e.poolStep(c, d))
			default:
				providers = append(providers, e.providerStep(c, d))
			}
		case KindDataset:
			writes = append(writes, e.datasetStep(c, d.Sink, run))
		case KindLoggingSink:
			if c.Action == ActionDelete {
				writes = append(writes, e.sinkStep(c, d.Sink, run))
			} else {
				sinks = append(sinks, e.sinkStep(c, d.Sink, run))
			}
		case KindDatasetAccess:
			grants = append(grants, e.accessStep(c, d.Sink, live, run))
		case KindLocalFile:
			writes = append(writes, step{name: "write " + c.Address, changes: []*Change{c}, run: func(context.Context) error { return writeHoopPolicy(d) }})
		}
	}
	var out [][]step
	if len(apis) > 0 {
		names := make([]string, len(apis))
		for i, c := range apis {
			names[i] = c.After.(*APIState).Service
		}
		out = append(out, []step{{
			name:    fmt.Sprintf("enable %d API(s): %s", len(names), strings.Join(names, ", ")),
			changes: apis,
			run:     func(ctx context.Context) error { return e.c.EnableServices(ctx, d.Project, names) },
		}})
	}
	if p.Operation == OpTeardown {
		// The provider goes before its pool (wifDeletes is in that order).
		// Offboarded SAs are disabled first (creates holds only those here).
		out = appendNonEmpty(out, creates, writes, deletes)
		for _, s := range wifDeletes {
			out = append(out, []step{s})
		}
		return out
	}
	// The pool before its provider; the provider with the service accounts;
	// SAs of offboarded users are deleted (--delete) last.
	return appendNonEmpty(out, pools, append(providers, creates...), writes, sinks, grants, deletes)
}

func appendNonEmpty(out [][]step, phases ...[]step) [][]step {
	for _, ph := range phases {
		if len(ph) > 0 {
			out = append(out, ph)
		}
	}
	return out
}

func (e *Engine) createSAStep(c *Change, project string, sa *ServiceAccountSpec) step {
	return step{name: "create " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		_, err := e.c.CreateServiceAccount(ctx, project, sa.AccountID, sa.DisplayName, sa.Description)
		if gcp.IsAlreadyExists(err) {
			return nil // created by an interrupted run, or unlisted: adopt it
		}
		return err
	}}
}

func (e *Engine) deleteSAStep(c *Change, sa *ServiceAccountSpec) step {
	return step{name: "delete " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		err := e.c.DeleteServiceAccount(ctx, sa.Email)
		if gcp.IsNotFound(err) {
			return nil // already gone
		}
		return err
	}}
}

// policyStep writes one policy. The plan read the policy moments ago, so the
// edit is first written straight onto that read, guarded by its etag (a
// service account created in this run has the empty policy, etag "ACAB");
// when someone else wrote in between (409), the step falls back to a fresh
// read-modify-write, so nothing is lost and no request is wasted when
// nobody did.
func (e *Engine) policyStep(c *Change, d *Desired, t PolicyTarget, read *gcp.Policy, remove, fresh bool) step {
	edit := policyEdit(d, t, remove)
	if read == nil && t.Type == TargetServiceAccount {
		read = &gcp.Policy{Etag: emptyPolicyEtag}
	}
	verb := "update "
	return step{name: verb + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
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
// teardown, remove) each managed member in the unconditional binding of its
// role, and enable the missing Data Access log types. Nothing else changes.
func policyEdit(d *Desired, t PolicyTarget, remove bool) func(*gcp.Policy) (bool, error) {
	ms := d.MembershipsOf(t)
	if remove {
		ms = nil // teardown removes d.Removals only
	}
	rs := d.RemovalsOf(t)
	return func(p *gcp.Policy) (bool, error) {
		changed := false
		for _, m := range ms {
			changed = p.AddMember(m.Role, m.Member) || changed
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
