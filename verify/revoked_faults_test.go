package verify

import (
	"context"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/internal/faultinject"
)

// The proof of revocation never says "Access revoked" about checks it
// could not make: with IAM and Resource Manager failing (503s past the
// retry budget), alice's SA — still enabled, still bound — gets "could not
// check" rows and a failed run (exit 3), not a pass.
func TestRevokedRowsUnreadableAreNotAPass(t *testing.T) {
	var inj *faultinject.Injector
	w := newWorldWrapped(t, emulator.Options{}, injector(&inj), "alice@acme.com")
	w.setup()
	inj.Add(faultinject.Fault{Path: `/iam/v1/|/cloudresourcemanager/|generateAccessToken`, Rate: 1, Status: 503})
	rep, err := RunRevoked(context.Background(), w.c, w.cfg, w.opts(), RevocationsFor(w.cfg, []string{"alice@acme.com"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Users) != 1 || rep.Users[0].OK || strings.HasPrefix(rep.Users[0].Verdict, "Access revoked") {
		t.Errorf("verdict %+v for checks that could not be made:\n%s", rep.Users, dump(rep))
	}
	if !rep.Failed() || rep.Summary.Unchecked == 0 {
		t.Errorf("summary %+v: want a failed run with could-not-check rows:\n%s", rep.Summary, dump(rep))
	}
}
