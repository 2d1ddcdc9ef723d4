//go:build soak

package soak

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/faultinject"
)

var (
	cycles  = flag.Int("cycles", 10, "setup → plan → teardown cycles per mode")
	rate    = flag.Float64("rate", 0.3, "fraction of requests answered 503")
	resets  = flag.Float64("resets", 0, "fraction of requests whose connection is dropped after they were applied")
	seed    = flag.Uint64("seed", 1, "fault seed")
	limits  = flag.Float64("throttle", 0, "fraction of requests answered 429 with Retry-After: 1")
	writer  = flag.Duration("writer", 0, "a concurrent writer edits the project policy this often (0: none)")
	window  = flag.Float64("notfound", 0, "fraction of service-account policy reads and deletes answered 404 (IAM's visibility window)")
	users   = flag.Int("users", 3, "users per federation")
	visible = flag.Duration("visibility", 2*time.Second, "emulator: how long a new service account answers 404")
)

const project = "demo-project"

// tally is one mode's figures.
type tally struct {
	mode                                           string
	runs                                           int
	setupFail, planFail, teardownFail              int
	falseSuccess, foreignLost, leftovers, requests int
	faults                                         int
	causes                                         map[string]int
}

func (t *tally) fail(step string, err error) {
	t.causes[step+": "+cause(err)]++
}

// cause is an error's class, for counting: its kind and status.
func cause(err error) string {
	var ie *engine.InterruptedError
	if errors.As(err, &ie) {
		return "interrupted"
	}
	e := gcp.Classify(err)
	s := e.Kind.String()
	if e.Code > 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.Code)
	}
	if e.Retried != "" {
		s += " after the retry budget"
	}
	return s
}

// clock is a fake clock the retry waits advance, so that the emulator's
// visibility delay passes without anyone sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return ctx.Err()
}

func userList(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("user%d@acme.com", i+1))
	}
	return out
}

func configs(t *testing.T) map[string]*config.Config {
	imp := &config.Config{Project: project}
	imp.SetUsers(userList(*users))
	wif := &config.Config{Project: project, Mode: config.ModeWIF, WIF: config.WIF{
		Pool: config.Pool{ID: "demo-pool"},
		Provider: config.Provider{ID: "demo-oidc", IssuerURI: emulator.DemoIssuerURI("demo"),
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"},
			AttributeCondition: "assertion.org == 'acme'"},
		ServiceAccount: "bq-runner", PrincipalSet: "attribute.org/acme",
	}}
	sink := &config.Config{Project: project}
	sink.SetUsers(userList(*users))
	sink.Audit.Sink = config.Sink{Name: config.DefaultSinkName, Dataset: "audit_logs", Location: "US"}
	out := map[string]*config.Config{"impersonation": imp, "wif": wif, "audit sink": sink}
	for name, c := range out {
		c.ApplyDefaults()
		if err := c.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	return out
}

// foreign are grants and audit configs fedctl did not make: they must all
// survive every cycle.
var foreign = []struct{ role, member string }{
	{"roles/viewer", "user:auditor@example.com"},
	{"roles/bigquery.dataViewer", "group:analysts@example.com"},
	{"roles/iam.serviceAccountTokenCreator", "user:someone-else@example.com"},
}

func seedForeign(ctx context.Context, c *gcp.Client) error {
	_, _, err := c.ModifyPolicy(ctx, c.ProjectPolicy(project), func(p *gcp.Policy) (bool, error) {
		for _, f := range foreign {
			p.AddMember(f.role, f.member)
		}
		p.Bindings = append(p.Bindings, &gcp.Binding{Role: "roles/bigquery.jobUser", Members: []string{"user:night@example.com"},
			Condition: &gcp.Condition{Title: "nights", Expression: `request.time.getHours("UTC") < 6`}})
		p.EnableAuditLogs("storage.googleapis.com", "DATA_READ")
		return true, nil
	})
	return err
}

func foreignLost(ctx context.Context, c *gcp.Client) (int, error) {
	p, err := c.ProjectPolicy(project).Get(ctx)
	if err != nil {
		return 0, err
	}
	lost := 0
	for _, f := range foreign {
		if !p.HasMember(f.role, f.member) {
			lost++
		}
	}
	cond := false
	for _, b := range p.Bindings {
		if b.Condition != nil && b.Condition.Title == "nights" && len(b.Members) == 1 && b.Members[0] == "user:night@example.com" {
			cond = true
		}
	}
	if !cond {
		lost++
	}
	if !p.AuditLogsEnabled("storage.googleapis.com", "DATA_READ") {
		lost++
	}
	return lost, nil
}

func TestSoak(t *testing.T) {
	cfgs := configs(t)
	var out []*tally
	for _, mode := range []string{"impersonation", "wif", "audit sink"} {
		out = append(out, soakMode(t, mode, cfgs[mode]))
	}
	report(out)
	for _, r := range out {
		if r.falseSuccess+r.foreignLost+r.leftovers+r.setupFail+r.teardownFail > 0 {
			t.Errorf("%s: %d false successes, %d foreign bindings lost, %d leftovers, %d setup and %d teardown failures",
				r.mode, r.falseSuccess, r.foreignLost, r.leftovers, r.setupFail, r.teardownFail)
		}
	}
}

func soakMode(t *testing.T, mode string, cfg *config.Config) *tally {
	clk := &clock{now: time.Now().UTC().Truncate(time.Second)}
	var inj *faultinject.Injector
	srv := emulator.NewTestServerWrapped(t, emulator.Options{Now: clk.Now, VisibilityDelay: *visible},
		func(h http.Handler) http.Handler {
			inj = faultinject.New(h, *seed)
			return inj
		})
	ctx := context.Background()
	retry := gcp.RetryPolicy{Sleep: clk.sleep}
	c, err := gcp.New(ctx, gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token, Retry: retry})
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(c, engine.Options{Consistency: gcp.RetryPolicy{Sleep: clk.sleep}})
	if err := seedForeign(ctx, c); err != nil {
		t.Fatal(err)
	}
	faultsOn := func() {
		if *rate > 0 {
			inj.Add(faultinject.Fault{Rate: *rate, Status: http.StatusServiceUnavailable})
		}
		if *resets > 0 {
			inj.Add(faultinject.Fault{Rate: *resets, Reset: true, AfterApply: true})
		}
		if *limits > 0 {
			inj.Add(faultinject.Fault{Rate: *limits, Status: http.StatusTooManyRequests, RetryAfter: "1"})
		}
		if *window > 0 {
			inj.Add(faultinject.Fault{Method: "POST", Path: `/serviceAccounts/[^/]+:getIamPolicy$`, Rate: *window, Status: http.StatusNotFound})
			inj.Add(faultinject.Fault{Method: "DELETE", Path: `/v1/projects/[^/]+/serviceAccounts/[^/:]+$`, Rate: *window, Status: http.StatusNotFound})
		}
	}
	r := &tally{mode: mode, causes: map[string]int{}}
	before := inj.Requests()
	if *writer > 0 {
		stop := concurrentWriter(t, srv)
		defer stop()
	}
	for range *cycles {
		r.runs++
		// setup
		faultsOn()
		err := apply(ctx, eng, cfg, eng.PlanSetup)
		inj.Clear()
		if err != nil {
			r.setupFail++
			r.fail("setup", err)
		} else if p, perr := eng.PlanSetup(ctx, cfg); perr != nil || p.HasChanges() {
			r.falseSuccess++ // setup said done, but it is not
		}
		r.addForeign(ctx, c, t)
		// plan (read-only) under faults: must succeed and be empty
		faultsOn()
		p, err := eng.PlanSetup(ctx, cfg)
		inj.Clear()
		switch {
		case err != nil:
			r.planFail++
			r.fail("plan", err)
		case p.HasChanges() && r.setupFail == 0:
			r.falseSuccess++
		}
		// teardown
		faultsOn()
		err = apply(ctx, eng, cfg, eng.PlanTeardown)
		inj.Clear()
		if err != nil {
			r.teardownFail++
			r.fail("teardown", err)
		}
		left, lerr := eng.PlanTeardown(ctx, cfg)
		if lerr != nil {
			t.Fatalf("%s: reading leftovers: %v", mode, lerr)
		}
		n := left.Counts().Destroy + left.Counts().Change
		r.leftovers += n
		if err == nil && n > 0 {
			r.falseSuccess++
		}
		if n > 0 { // clean up so that the next cycle starts afresh
			if err := apply(ctx, eng, cfg, eng.PlanTeardown); err != nil {
				t.Fatalf("%s: cleaning up: %v", mode, err)
			}
		}
		r.addForeign(ctx, c, t)
		clk.sleep(ctx, time.Hour) // the next cycle's accounts are new again
	}
	r.requests = inj.Requests() - before
	r.faults = len(inj.Events())
	return r
}

// concurrentWriter is another admin editing the project policy every
// -writer (its own member, on and off): fedctl's writes meet stale etags.
func concurrentWriter(t *testing.T, srv *emulator.TestServer) (stop func()) {
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token, Retry: gcp.RetryPolicy{Attempts: 1}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(*writer)
		defer tick.Stop()
		for on := true; ; on = !on {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			_, _, _ = c.ModifyPolicy(ctx, c.ProjectPolicy(project), func(p *gcp.Policy) (bool, error) {
				if on {
					return p.AddMember("roles/browser", "user:busy-admin@example.com"), nil
				}
				return p.RemoveMember("roles/browser", "user:busy-admin@example.com"), nil
			})
		}
	}()
	return func() { cancel(); <-done }
}

func (r *tally) addForeign(ctx context.Context, c *gcp.Client, t *testing.T) {
	n, err := foreignLost(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	r.foreignLost += n
}

func apply(ctx context.Context, eng *engine.Engine, cfg *config.Config, plan func(context.Context, *config.Config) (*engine.Plan, error)) error {
	p, err := plan(ctx, cfg)
	if err != nil {
		return err
	}
	_, err = eng.Apply(ctx, p)
	return err
}

func report(rs []*tally) {
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "fault soak: %d cycles per mode, %d users, seed %d; faults: %.0f%% 503s, %.0f%% 429s, %.0f%% resets after apply, %.0f%% SA policy/delete 404s, concurrent writer every %s\n",
		*cycles, *users, *seed, *rate*100, *limits*100, *resets*100, *window*100, *writer)
	fmt.Fprintln(w, "mode\truns\tsetup fail\tplan fail\tteardown fail\tfalse successes\tforeign lost\tleftovers\trequests\tfaults")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\n", r.mode, r.runs, r.setupFail, r.planFail, r.teardownFail,
			r.falseSuccess, r.foreignLost, r.leftovers, r.requests, r.faults)
	}
	w.Flush()
	for _, r := range rs {
		var ks []string
		for k := range r.causes {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			fmt.Printf("  %s: %s ×%d\n", r.mode, k, r.causes[k])
		}
	}
}
