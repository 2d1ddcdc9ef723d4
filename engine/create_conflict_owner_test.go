package engine

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
)

// With the IAM API off the plan cannot list accounts and plans every SA as
// created; a 409 on create is adopted only when the SA is ours: one marked
// by another federation, or for another user, fails its step with the
// plan's ownership refusal, and nothing binds it.
func TestCreateConflictChecksOwnership(t *testing.T) {
	for _, tc := range []struct {
		name, fed, user, want string
	}{
		{"another federation", "team-b", "alice@acme.com", `belongs to federation "fedctl"`},
		{"another user", "fedctl", "alice@example.com", "for alice@acme.com, not alice@example.com"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, emulator.Options{})
			e.setup(t, testConfig(t, "alice@acme.com"))
			sa := "fedctl-alice@" + testProject + ".iam.gserviceaccount.com"
			before := policyMembers(e.saPolicy(t, sa))
			if err := e.srv.WithState(func(st *emulator.State) error {
				st.Projects[testProject].Services["iam.googleapis.com"] = false
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			cfg := testConfig(t, tc.user)
			cfg.Name = tc.fed
			cfg.Impersonation.AdminServiceAccount = "other-admin"
			ctx := context.Background()
			p, err := e.eng.PlanSetup(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			addr := `service_account.user["` + tc.user + `"]`
			if c := p.Change(addr); c == nil || c.Action != ActionCreate {
				t.Fatalf("with the IAM API off %s is planned as %+v", addr, c)
			}
			res, err := e.eng.Apply(ctx, p)
			if err == nil {
				t.Fatal("apply adopted the SA of someone else")
			}
			o, ok := res.Outcome(addr)
			if !ok || o.Status != OutcomeFailed || !strings.Contains(o.Error, tc.want) {
				t.Errorf("%s: %+v", addr, o)
			}
			var oe *OwnershipError
			if !errors.As(err, &oe) {
				t.Errorf("apply error is not the ownership refusal: %v", err)
			}
			if after := policyMembers(e.saPolicy(t, sa)); !slices.Equal(after, before) {
				t.Errorf("%s's policy changed: %q, was %q", sa, after, before)
			}
			if m, ok := ParseMark(e.sa(t, "fedctl-alice").Description); !ok || m.Federation != "fedctl" || m.User != "alice@acme.com" {
				t.Errorf("the SA's mark changed: %+v", m)
			}
		})
	}
}
