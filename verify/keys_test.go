package verify

import (
	"context"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
)

// A user-managed key on a per-user SA is a warning with the prune command
// (SPEC §7.6: a fallback key undoes the lifecycle); none is a pass.
func TestKeyOnAnIdentityWarns(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com", "bob@acme.com")
	w.setup()
	rep := w.run(w.opts("alice@acme.com", "bob@acme.com"))
	wantRow(t, rep, CheckIdentityKeys, testProject, Pass, "no user-managed keys on the 2 identity SA(s)")

	alice := w.sa("alice@acme.com")
	if _, err := w.c.CreateKey(context.Background(), alice); err != nil {
		t.Fatal(err)
	}
	rep = w.run(w.opts("alice@acme.com", "bob@acme.com"))
	c := wantRow(t, rep, CheckIdentityKeys, testProject, Warn, "1 user-managed key(s) on 1 identity SA(s)", alice, fallbackKey)
	if want := "fedctl keys prune --project " + testProject + " --sa " + alice; c.Fix != want {
		t.Errorf("fix = %q, want %q", c.Fix, want)
	}
	if rep.Failed() {
		t.Errorf("a key is a warning, not a failure:\n%s", dump(rep))
	}

	// The admin's keys: the same prune command.
	if _, err := w.c.CreateKey(context.Background(), w.admin()); err != nil {
		t.Fatal(err)
	}
	rep = w.run(w.opts("alice@acme.com"))
	c = wantRow(t, rep, CheckAdminKeys, w.admin(), Warn, "1 user-managed key(s)")
	if want := "fedctl keys prune --project " + testProject + " --sa " + w.admin(); c.Fix != want {
		t.Errorf("admin keys fix = %q, want %q", c.Fix, want)
	}
}

// The key-creation org policy's state is a row.
func TestKeyCreationPolicyRow(t *testing.T) {
	w := newWorld(t, emulator.Options{}, "alice@acme.com")
	w.setup()
	rep := w.run(w.opts("alice@acme.com"))
	wantRow(t, rep, CheckKeyPolicy, gcp.ConstraintDisableKeyCreation, Pass, "not enforced: new keys can be made")
	if err := w.c.SetBooleanPolicy(context.Background(), testProject, gcp.ConstraintDisableKeyCreation, true); err != nil {
		t.Fatal(err)
	}
	rep = w.run(w.opts("alice@acme.com"))
	wantRow(t, rep, CheckKeyPolicy, gcp.ConstraintDisableKeyCreation, Pass, "enforced: no new keys")
}
