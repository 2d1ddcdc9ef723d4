package keys_test

import (
	"context"
	"testing"
	"time"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/keys"
)

// A Ctrl-C while a key is being deleted lets that deletion finish and
// starts no other: the keys after it are reported as not started and are
// still there.
func TestApplyStartsNothingAfterCancel(t *testing.T) {
	const n = 3
	_, c, _ := keyProject(t, emulator.Options{}, n)
	bg := context.Background()
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
