package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/fedctl/fedctl/engine/graph"
)

// Apply's dependency graph. Each pending change becomes a step that
// declares the facts it needs and the facts it provides; the graph
// executor (engine/graph) starts a step as soon as the steps providing
// its needs are done. A need that no step of the plan provides holds
// already: the plan found it live (the API is on, the account exists).
//
// To add a kind of step: build it in steps() with its changes, its run,
// the facts it provides, and what it needs (needs: must hold, a failure
// skips it; after: wait for the providers to end, whatever happened, and
// look at applyRun.holds at run time).

// fact is something a step needs to hold before it starts ("API X is
// enabled", "service account Y exists").
type fact string

// apiFact: the API is enabled.
func apiFact(service string) fact { return fact("api " + service) }

// saFact: the service account exists (created in this run, and visible
// enough to be bound: the steps that bind it wait out IAM's eventual
// consistency themselves).
func saFact(email string) fact { return fact("service account " + lower(email)) }

// saGoneFact: the service account is deleted.
func saGoneFact(email string) fact { return fact("service account deleted " + lower(email)) }

// policyFact: the policy's edit is written (teardown: fedctl's members are
// gone from it).
func policyFact(t PolicyTarget) fact { return fact("policy " + t.Address()) }

const (
	factPool         fact = "wif pool active"
	factProvider     fact = "wif provider active"
	factProviderGone fact = "wif provider deleted"
	factDataset      fact = "audit dataset exists"
	factSink         fact = "audit sink exists"
	factBundleRole   fact = "data-role bundle exists" // rolebundle.go
	factAdminKey     fact = "admin key written"
)

// APIs the steps call, beyond IAM: a project policy edit goes through
// Resource Manager, the sink's dataset through BigQuery, the sink through
// Logging.
const (
	iamAPI      = "iam.googleapis.com"
	crmAPI      = "cloudresourcemanager.googleapis.com"
	bigqueryAPI = "bigquery.googleapis.com"
)

// step is one unit of apply work: one or more changes done together.
type step struct {
	name    string
	changes []*Change
	run     func(ctx context.Context) error
	// needs must hold before the step starts; if a step providing one
	// fails (or is skipped), this step is skipped.
	needs []fact
	// after: the step waits until the steps providing these have ended,
	// successfully or not (the project policy binds the accounts that
	// were created and leaves out those that failed).
	after    []fact
	provides []fact
}

// applyRun is what the steps of one Apply share: which facts failed, the
// members a policy write omitted, and what the sink's steps learn.
type applyRun struct {
	sink sinkRun

	mu        sync.Mutex
	failed    map[fact]bool
	omittedBy map[*Change][]string
}

// fail records that the facts a failed or skipped step provides do not hold.
func (r *applyRun) fail(fs []fact) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, f := range fs {
		r.failed[f] = true
	}
}

// holds reports whether f holds: no step providing it failed. Meaningful
// once those steps have ended (declare them in after or needs).
func (r *applyRun) holds(f fact) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return !r.failed[f]
}

func (r *applyRun) setOmitted(c *Change, members []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.omittedBy == nil {
		r.omittedBy = map[*Change][]string{}
	}
	r.omittedBy[c] = members
}

func (r *applyRun) omitted(c *Change) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.omittedBy[c]
}

// graphNodes turns steps into graph nodes: a step needs every step that
// provides one of its facts. Node IDs are the step names (made unique).
func graphNodes(steps []step) ([]graph.Node, map[string]*step) {
	ids := make([]string, len(steps))
	byID := make(map[string]*step, len(steps))
	providers := map[fact][]string{}
	for i := range steps {
		id := steps[i].name
		for n := 2; byID[id] != nil; n++ {
			id = fmt.Sprintf("%s #%d", steps[i].name, n)
		}
		ids[i], byID[id] = id, &steps[i]
		for _, f := range steps[i].provides {
			providers[f] = append(providers[f], id)
		}
	}
	resolve := func(self string, fs []fact) []string {
		var out []string
		seen := map[string]bool{self: true}
		for _, f := range fs {
			for _, id := range providers[f] {
				if !seen[id] {
					seen[id] = true
					out = append(out, id)
				}
			}
		}
		return out
	}
	nodes := make([]graph.Node, len(steps))
	for i := range steps {
		nodes[i] = graph.Node{ID: ids[i], Needs: resolve(ids[i], steps[i].needs), After: resolve(ids[i], steps[i].after), Run: steps[i].run}
	}
	return nodes, byID
}

// memberFacts are what binding member needs to exist: its service account,
// or for a federated principal, the pool.
func memberFacts(member string) []fact {
	if email := memberEmail(member); email != "" && strings.HasPrefix(member, "serviceAccount:") {
		return []fact{saFact(email)}
	}
	if strings.Contains(member, "/workloadIdentityPools/") {
		return []fact{factPool}
	}
	return nil
}

// steps turns the plan's pending changes into steps with their needs. The
// order is the priority among steps ready at once: APIs (IAM first, which
// the accounts wait for), the wif pool and provider and the audit sink's
// chain (dataset → sink → WRITER grant), the accounts (admin first), the
// project policy, the accounts' policies, then the key and files.
//
// Setup:
//   - enable API X (one step each, so that an API nothing waits for —
//     iamcredentials, sts — overlaps the rest): provides api X.
//   - create/update pool: needs api iam; provides the pool.
//   - create/update provider: needs api iam, the pool.
//   - create SA: needs api iam; provides the SA.
//   - project policy: after every SA it binds (those that failed are left
//     out, and the outcome names them); needs the pool for a federated
//     member.
//   - an SA's policy: needs api iam, the SA, and every SA or pool it binds.
//   - admin key: needs api iam, the admin SA. Hoop policy file: the admin.
//   - dataset: api bigquery; sink: the dataset; WRITER: the sink.
//
// Teardown: each policy edit first; an SA's deletion needs every policy
// edit removing it as a member (or Google would leave deleted:… members),
// and the deletion of every account whose own policy names it;
// the provider's deletion needs the policy edits, the pool's the
// provider's; the sink's deletion needs nothing.
func (e *Engine) steps(p *Plan, run *applyRun) []step {
	d, live := p.desired, p.live
	byAddress := make(map[string]*Change, len(p.Changes))
	for _, c := range p.Changes {
		byAddress[c.Address] = c
	}
	created := map[string]bool{} // SA emails created in this run
	for _, sa := range d.ServiceAccounts {
		if c := byAddress[sa.Address]; c != nil && c.Action == ActionCreate {
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
	teardown := p.Operation == OpTeardown

	var apis, wifs, sinkChain, accounts, projectPolicy, saPolicies, rest []step
	var policyFacts []fact // every policy edit of the plan
	for _, c := range p.Changes {
		if c.Action == ActionNoop {
			continue
		}
		switch c.Kind {
		case KindAPI:
			svc := c.After.(*APIState).Service
			s := step{name: "enable " + c.Address, changes: []*Change{c}, provides: []fact{apiFact(svc)},
				run: func(ctx context.Context) error { return e.c.EnableServices(ctx, d.Project, []string{svc}) }}
			if svc == iamAPI {
				apis = append([]step{s}, apis...)
			} else {
				apis = append(apis, s)
			}
		case KindServiceAccount, KindUser:
			sa := sas[c.Address]
			if o := d.Offboard(c.Address); c.Offboard && o != nil {
				// Disabled at once (SPEC §7.2); deleted (--delete) once
				// the policy edits removing it are written.
				s := e.offboardStep(c, o)
				s.needs = []fact{apiFact(iamAPI)}
				if o.Delete {
					s.provides = []fact{saGoneFact(o.Email)}
				}
				accounts = append(accounts, s)
				continue
			}
			switch c.Action {
			case ActionDelete:
				s := e.deleteSAStep(c, sa)
				s.needs, s.provides = []fact{apiFact(iamAPI)}, []fact{saGoneFact(sa.Email)}
				accounts = append(accounts, s) // needs: once every policy is known
			case ActionUpdate:
				// Re-enabled and re-marked before anything binds it.
				s := e.updateSAStep(c, live, sa)
				s.needs, s.provides = []fact{apiFact(iamAPI)}, []fact{saFact(sa.Email)}
				accounts = append(accounts, s)
			default:
				s := e.createSAStep(c, d, sa)
				s.needs, s.provides = []fact{apiFact(iamAPI)}, []fact{saFact(sa.Email)}
				accounts = append(accounts, s)
			}
		case KindPolicy:
			t := targets[c.Address]
			fresh := t.Type == TargetServiceAccount && created[lower(t.Name)]
			if t.Type == TargetProject {
				fresh = len(created) > 0 // it binds accounts created moments ago
			}
			s := e.policyStep(c, d, t, live.Policies[t], teardown, fresh, run)
			s.provides = []fact{policyFact(t)}
			policyFacts = append(policyFacts, policyFact(t))
			if t.Type == TargetProject {
				s.needs = []fact{apiFact(crmAPI)}
			} else {
				s.needs = []fact{apiFact(iamAPI), saFact(t.Name)}
			}
			if !teardown {
				for _, m := range d.MembershipsOf(t) {
					for _, f := range memberFacts(m.Member) {
						if t.Type == TargetProject && f != factPool {
							s.after = append(s.after, f)
						} else {
							s.needs = append(s.needs, f)
						}
					}
				}
			}
			if t.Type == TargetProject && !teardown && d.Bundle != nil {
				s.needs = append(s.needs, factBundleRole) // it binds the bundle role
			}
			if t.Type == TargetProject {
				projectPolicy = append(projectPolicy, s)
			} else {
				saPolicies = append(saPolicies, s)
			}
		case KindAdminKey:
			s := e.keyStep(c, d, created[lower(d.Admin.Email)])
			s.needs, s.provides = []fact{apiFact(iamAPI), saFact(d.Admin.Email)}, []fact{factAdminKey}
			rest = append(rest, s)
		case KindWIFPool, KindWIFProvider:
			var s step
			switch {
			case c.Action == ActionDelete && c.Kind == KindWIFProvider:
				s = e.wifDeleteStep(c, d)
				s.provides = []fact{factProviderGone}
			case c.Action == ActionDelete:
				s = e.wifDeleteStep(c, d)
				s.needs = []fact{factProviderGone}
			case c.Kind == KindWIFPool:
				s = e.poolStep(c, d)
				s.provides = []fact{factPool}
			default:
				s = e.providerStep(c, d)
				s.needs, s.provides = []fact{factPool}, []fact{factProvider}
			}
			s.needs = append(s.needs, apiFact(iamAPI))
			wifs = append(wifs, s)
		case KindDataset:
			s := e.datasetStep(c, d.Sink, &run.sink)
			s.needs, s.provides = []fact{apiFact(bigqueryAPI)}, []fact{factDataset}
			sinkChain = append(sinkChain, s)
		case KindLoggingSink:
			s := e.sinkStep(c, d.Sink, &run.sink)
			if c.Action != ActionDelete {
				s.needs, s.provides = []fact{apiFact(LoggingAPI), factDataset}, []fact{factSink}
			}
			sinkChain = append(sinkChain, s)
		case KindDatasetAccess:
			s := e.accessStep(c, d.Sink, live, &run.sink)
			s.needs = []fact{apiFact(bigqueryAPI), factDataset, factSink}
			sinkChain = append(sinkChain, s)
		case KindCustomRole:
			s := e.bundleStep(c, d, d.Bundle.live)
			s.needs = []fact{apiFact(iamAPI)}
			if c.Action == ActionDelete {
				s.needs = append(s.needs, policyFact(ProjectTarget(d.Project)))
			} else {
				s.provides = []fact{factBundleRole}
			}
			rest = append(rest, s)
		case KindOrgPolicy:
			// setup --enforce-no-keys (SPEC §7.6): the project's own policy
			// on a boolean constraint; last, after any key setup makes.
			st := c.After.(*OrgPolicyState)
			// (A step starts when its needs are met, whatever its place:
			// it runs after the key step, however that ends.)
			rest = append(rest, step{name: "set " + c.Address, changes: []*Change{c}, after: []fact{factAdminKey},
				run: func(ctx context.Context) error {
					return e.c.SetBooleanPolicy(ctx, p.Project, st.Constraint, st.Enforced)
				}})
		case KindLocalFile:
			s := step{name: "write " + c.Address, changes: []*Change{c}, run: func(context.Context) error { return writeHoopPolicy(d) }}
			if d.Admin != nil {
				s.needs = []fact{saFact(d.Admin.Email)}
			}
			rest = append(rest, s)
		}
	}
	// Deletions wait for the policy edits that remove their members: an
	// account's, and the provider's for its principal set.
	targetsOf := map[string][]PolicyTarget{} // member → the policies naming it
	for _, t := range d.PolicyTargets() {
		for _, m := range d.MembershipsOf(t) {
			if ts := targetsOf[m.Member]; len(ts) == 0 || ts[len(ts)-1] != t {
				targetsOf[m.Member] = append(ts, t)
			}
		}
	}
	for _, r := range d.Removals {
		if !slices.Contains(targetsOf[r.Member], r.Target) {
			targetsOf[r.Member] = append(targetsOf[r.Member], r.Target)
		}
	}
	for i := range accounts {
		c := accounts[i].changes[0]
		if c.Action != ActionDelete {
			continue
		}
		var email string
		if o := d.Offboard(c.Address); c.Offboard && o != nil {
			if !o.Delete {
				continue // a disable needs no policy edit first
			}
			email = o.Email
		} else if sa := sas[c.Address]; sa != nil {
			email = sa.Email
		}
		// A policy naming it is edited first, or goes with its own
		// account (the admin, named on each user's account, goes last).
		for _, t := range targetsOf[ServiceAccountMember(email)] {
			accounts[i].needs = append(accounts[i].needs, policyFact(t))
			// (Not when the two name each other: no order helps then.)
			if t.Type == TargetServiceAccount && !slices.Contains(targetsOf[ServiceAccountMember(t.Name)], ServiceAccountTarget(email)) {
				accounts[i].needs = append(accounts[i].needs, saGoneFact(t.Name))
			}
		}
	}
	for i := range wifs {
		if wifs[i].changes[0].Action == ActionDelete {
			wifs[i].needs = append(wifs[i].needs, policyFacts...)
		}
	}
	return slices.Concat(apis, wifs, sinkChain, accounts, projectPolicy, saPolicies, rest)
}
