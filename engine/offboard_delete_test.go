package engine

import (
	"context"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/faultinject"
)

// teardown --user --delete confirms the deletion as teardown does: a 404
// from an account IAM still lists (it has not caught up) is not "already
// deleted", so the account is not reported gone while it exists.
func TestOffboardDeleteConfirmsA404(t *testing.T) {
	e, inj := newFaultEnv(t, emulator.Options{})
	cfg := testConfig(t, "alice@acme.com", "bob@acme.com")
	e.setup(t, cfg)
	ctx := context.Background()
	p, err := e.eng.PlanOffboard(ctx, cfg, OffboardOptions{Users: []string{"bob@acme.com"}, Delete: true})
	if err != nil {
		t.Fatal(err)
	}
	inj.Add(faultinject.Fault{Method: "DELETE", Path: `/serviceAccounts/fedctl-bob@`, Nth: 1, Status: 404})
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if len(inj.Events()) != 1 {
		t.Fatalf("the 404 was not injected: %v", inj.Events())
	}
	if sa, err := e.client.GetServiceAccount(ctx, saEmail("fedctl-bob")); err == nil {
		t.Errorf("bob's SA reported deleted but still exists: %+v", sa)
	}
}
