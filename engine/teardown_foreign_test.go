package engine

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// A teardown under another federation's name, over a wif federation whose
// pool and target SA are marked by "github", removes nothing of github's:
// the plan says the target SA is left alone with its bindings, and so it
// is — its principal set binding included.
func TestTeardownLeavesForeignWIFBindings(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	gh := wifConfig(t, nil)
	gh.Name = "github"
	e.setup(t, gh)
	target := saEmail("bq-runner")
	before := policyMembers(e.saPolicy(t, target))
	if len(before) == 0 {
		t.Fatal("github's setup bound nothing on the target SA")
	}

	other := wifConfig(t, nil)
	other.Name = "other"
	p, _ := e.teardown(t, other)
	if got := pendingAddresses(p); len(got) != 0 {
		t.Errorf("other's teardown plans changes to github's resources: %q", got)
	}
	if after := policyMembers(e.saPolicy(t, target)); len(after) != len(before) {
		t.Errorf("github's target SA policy after other's teardown: %q, want %q", after, before)
	}
	if p := e.plan(t, gh); p.HasChanges() {
		t.Errorf("github needs changes after other's teardown: %q", pendingAddresses(p))
	}
}

// The same when the target SA is adopted (it existed before fedctl): the
// principal set names github's pool, so it is github's binding.
func TestTeardownLeavesForeignPoolsPrincipals(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.preexistingSA(t, "bq-runner", "made by hand", "")
	gh := wifConfig(t, nil)
	gh.Name = "github"
	e.setup(t, gh)
	target := saEmail("bq-runner")
	before := policyMembers(e.saPolicy(t, target))

	other := wifConfig(t, nil)
	other.Name = "other"
	p, _ := e.teardown(t, other)
	if after := policyMembers(e.saPolicy(t, target)); !slices.Equal(after, before) || len(after) == 0 {
		t.Errorf("target SA policy after other's teardown: %q, want %q", after, before)
	}
	if !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, `belongs to federation "github"`) }) {
		t.Errorf("no warning about github's pool: %q", p.Warnings)
	}
}

// Two federations of different modes under the default name (`fedctl
// setup`, then `fedctl setup --mode wif`): tearing one down leaves the
// other's accounts. The marks say which mode made them; without that check
// the wif teardown deleted the impersonation admin (the gateway's), and the
// impersonation teardown the wif target SA.
func TestTeardownOfOneModeLeavesTheOthersAccounts(t *testing.T) {
	for _, first := range []string{"wif", "impersonation"} {
		t.Run("teardown "+first, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			imp, w := testConfig(t, "alice@acme.com"), wifConfig(t, nil)
			e.setup(t, imp)
			e.setup(t, w)
			gone, kept, keptIDs := w, imp, []string{"fedctl-admin", "fedctl-alice"}
			if first == "impersonation" {
				gone, kept, keptIDs = imp, w, []string{"bq-runner"}
			}
			e.teardown(t, gone)
			for _, id := range keptIDs {
				sa, err := e.client.GetServiceAccount(context.Background(), saEmail(id))
				if err != nil {
					t.Errorf("%s after the %s teardown: %v", id, first, err)
				} else if sa.Disabled {
					t.Errorf("%s disabled by the %s teardown", id, first)
				}
			}
			if p := e.plan(t, kept); p.HasChanges() {
				t.Errorf("the other federation needs changes after the %s teardown: %q", first, pendingAddresses(p))
			}
		})
	}
}
