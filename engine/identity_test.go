package engine

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// Two setups in one project whose users share a local part render the same
// SA; the second setup is refused, before any write, naming the owner.
func TestSetupRefusesSAMadeForAnotherUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.setup(t, testConfig(t, "alice@acme.com"))

	e.srv.ResetStats()
	_, err := e.eng.PlanSetup(context.Background(), testConfig(t, "alice@example.com"))
	var oe *OwnershipError
	if !errors.As(err, &oe) || !strings.Contains(err.Error(), "for alice@acme.com, not alice@example.com") || !strings.Contains(oe.Fix(), "--template") {
		t.Fatalf("plan for alice@example.com: %v", err)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Errorf("refusal made %d writes", w)
	}
	// The same user again (any letter case) is no refusal.
	if p := e.plan(t, testConfig(t, "Alice@Acme.com")); len(p.Warnings) != 0 || p.HasChanges() {
		t.Errorf("plan for the SA's own user: warnings %q, counts %+v", p.Warnings, p.Counts())
	}
}
