package engine

import (
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// Two setups in one project whose users share a local part render the same
// SA; the second plan warns instead of silently merging their identities.
func TestPlanWarnsOnSAMadeForAnotherUser(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	e.setup(t, testConfig(t, "alice@acme.com"))

	warned := func(p *Plan) bool {
		for _, w := range p.Warnings {
			if strings.Contains(w, "created by fedctl for alice@acme.com, not alice@example.com") {
				return true
			}
		}
		return false
	}
	if p := e.plan(t, testConfig(t, "alice@example.com")); !warned(p) {
		t.Errorf("no warning for fedctl-alice made for alice@acme.com; warnings: %q", p.Warnings)
	}
	// The same user again (any letter case) is no warning.
	if p := e.plan(t, testConfig(t, "Alice@Acme.com")); len(p.Warnings) != 0 {
		t.Errorf("unexpected warnings for the SA's own user: %q", p.Warnings)
	}
}
