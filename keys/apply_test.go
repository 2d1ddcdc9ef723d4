package keys_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/keys"
)

// A Ctrl-C while a key is being deleted lets that deletion finish and
// starts no other: the keys after it are reported as not started and are
// still there.
func TestApplyStartsNothingAfterCancel(t *testing.T) {
	const n = 3
	start := time.Now().Add(-24 * time.Hour)
	srv := emulator.NewTestServer(t, emulator.Options{})
	if err := srv.WithState(func(st *emulator.State) error {
		p := st.Projects["demo-project"]
		p.Services["iam.googleapis.com"] = true
		for i := range n {
			email := fmt.Sprintf("sa-%d@demo-project.iam.gserviceaccount.com", i)
			p.ServiceAccounts[email] = &emulator.ServiceAccount{Email: email, AccountID: fmt.Sprintf("sa-%d", i),
				UniqueID: fmt.Sprintf("1%020d", i), CreatedAt: start, Etag: "e", Policy: &emulator.Policy{},
				Keys: []*emulator.SAKey{{ID: fmt.Sprintf("%040x", i+1), KeyType: "USER_MANAGED", ValidAfter: start, ValidBefore: start.Add(time.Hour * 24 * 365)}}}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bg := context.Background()
	c, err := gcp.New(bg, gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	list := func() *keys.Inventory {
		inv, err := (&keys.Lister{Client: c, Reader: audit.NewReader(c)}).List(bg, "demo-project")
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	plan := keys.PlanPrune(list(), keys.PruneOptions{Now: time.Now()})
	if got := len(plan.Changes); got != n {
		t.Fatalf("%d changes, want %d", got, n)
	}
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	// Concurrency 1: the first deletion ends, and the user presses Ctrl-C
	// as it is reported.
	outcomes := keys.Apply(ctx, c, plan, 1, func(engine.Outcome) { cancel() })
	var applied, skipped int
	for _, o := range outcomes {
		switch o.Status {
		case engine.OutcomeApplied:
			applied++
		case engine.OutcomeSkipped:
			skipped++
		}
	}
	if applied != 1 || skipped != n-1 {
		t.Errorf("after Ctrl-C: %d applied, %d skipped; want 1 and %d (outcomes %+v)", applied, skipped, n-1, outcomes)
	}
	if left := len(list().Keys); left != n-1 {
		t.Errorf("%d keys left, want %d", left, n-1)
	}
}
