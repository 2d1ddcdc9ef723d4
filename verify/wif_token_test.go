package verify

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

const wifAudience = "//iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc"

// wifWorld is a world set up by the engine in wif mode: the demo issuer,
// condition org in acme/beta, principal set attribute.org/acme.
func wifWorld(t *testing.T, direct bool) *world {
	t.Helper()
	return wifWorldWrapped(t, direct, nil)
}

// wifWorldWrapped is wifWorld behind wrap (a fault injector).
func wifWorldWrapped(t *testing.T, direct bool, wrap func(http.Handler) http.Handler) *world {
	t.Helper()
	w := newWorldWrapped(t, emulator.Options{OperationPolls: -1}, wrap)
	w.cfg = &config.Config{Project: testProject, Mode: config.ModeWIF, WIF: config.WIF{
		Pool: config.Pool{ID: "demo-pool"},
		Provider: config.Provider{ID: "demo-oidc", IssuerURI: emulator.DemoIssuerURI("demo"),
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"},
			AttributeCondition: "assertion.org in ['acme', 'beta']"},
		ServiceAccount: "bq-runner", PrincipalSet: "attribute.org/acme", Direct: direct,
	}}
	if direct {
		w.cfg.WIF.ServiceAccount = ""
	}
	w.cfg.ApplyDefaults()
	must(t, w.cfg.Validate())
	ctx := context.Background()
	e := engine.New(w.c, engine.Options{})
	p, err := e.PlanSetup(ctx, w.cfg)
	must(t, err)
	_, err = e.Apply(ctx, p)
	must(t, err)
	return w
}

func (w *world) subjectToken(org string) string {
	w.t.Helper()
	tok, err := w.srv.MintSubjectToken("demo", map[string]any{"sub": "workflow-1", "org": org, "aud": wifAudience})
	must(w.t, err)
	return tok
}

func TestWIFVerifyLiveChain(t *testing.T) {
	for _, direct := range []bool{false, true} {
		w := wifWorld(t, direct)
		o := w.opts()
		o.SubjectToken, o.SubjectTokenSource = w.subjectToken("acme"), "token.jwt"
		rep := w.run(o)
		wantRow(t, rep, CheckWIFCondition, "demo-oidc", Pass)
		wantRow(t, rep, CheckWIFTokenIssuer, "token.jwt", Pass, emulator.DemoIssuerURI("demo"))
		wantRow(t, rep, CheckWIFTokenAud, "token.jwt", Pass)
		wantRow(t, rep, CheckWIFMapping, "token.jwt", Pass, "attribute.org=acme", "google.subject=workflow-1")
		wantRow(t, rep, CheckWIFAdmits, "token.jwt", Pass)
		wantRow(t, rep, CheckWIFBinding, "token.jwt", Pass, "attribute.org/acme")
		wantRow(t, rep, CheckWIFSTS, "token.jwt", Pass)
		if !direct {
			wantRow(t, rep, CheckWIFImpersonate, "token.jwt", Pass, "bq-runner@")
		}
		wantRow(t, rep, CheckWIFProbe, "token.jwt", Pass)
		wantRow(t, rep, CheckWIFTokenExpiry, "token.jwt", Pass)
		wantRow(t, rep, CheckWIFTokenIssued, "token.jwt", Pass)
		if rep.Failed() {
			t.Errorf("direct=%v: report failed:\n%s", direct, dump(rep))
		}
		// Check names are stable keys: one row per (scope, name, subject).
		seen := map[string]bool{}
		for _, c := range rep.Checks {
			k := string(c.Scope) + "|" + c.Name + "|" + c.Subject
			if seen[k] {
				t.Errorf("direct=%v: two rows named %s for %s", direct, c.Name, c.Subject)
			}
			seen[k] = true
		}
	}
}

func TestWIFVerifyNamesTheFailingStage(t *testing.T) {
	w := wifWorld(t, false)

	// Admitted by the condition but outside the principal set: the local
	// binding row fails and nothing is exchanged.
	o := w.opts()
	o.SubjectToken, o.SubjectTokenSource = w.subjectToken("beta"), "beta.jwt"
	rep := w.run(o)
	wantRow(t, rep, CheckWIFAdmits, "beta.jwt", Pass)
	wantRow(t, rep, CheckWIFBinding, "beta.jwt", Fail, "does not name this identity")
	wantRow(t, rep, CheckWIFSTS, "beta.jwt", Skip)

	// Rejected by the condition, locally.
	o.SubjectToken, o.SubjectTokenSource = w.subjectToken("evil"), "evil.jwt"
	rep = w.run(o)
	wantRow(t, rep, CheckWIFAdmits, "evil.jwt", Fail, "returned false")

	// The provider disabled behind fedctl's back: local rows pass, STS
	// fails and says so.
	ctx := context.Background()
	name := "projects/123456789012/locations/global/workloadIdentityPools/demo-pool/providers/demo-oidc"
	cur, err := w.c.GetProvider(ctx, name)
	must(t, err)
	cur.Disabled = true
	must(t, w.c.UpdateProvider(ctx, name, cur, []string{gcp.MaskDisabled}))
	o.SubjectToken, o.SubjectTokenSource = w.subjectToken("acme"), "acme.jwt"
	rep = w.run(o)
	wantRow(t, rep, CheckWIFAdmits, "acme.jwt", Pass)
	wantRow(t, rep, CheckWIFSTS, "acme.jwt", Fail, "STS: invalid_target")
	cur.Disabled = false
	must(t, w.c.UpdateProvider(ctx, name, cur, []string{gcp.MaskDisabled}))

	// The workloadIdentityUser binding removed: STS passes, impersonation
	// fails and names itself.
	w.editSA("bq-runner@demo-project.iam.gserviceaccount.com", func(p *gcp.Policy) bool {
		return p.RemoveMember(engine.RoleWorkloadIdentityUser,
			"principalSet://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/demo-pool/attribute.org/acme")
	})
	rep = w.run(o)
	wantRow(t, rep, CheckWIFSTS, "acme.jwt", Pass)
	wantRow(t, rep, CheckWIFImpersonate, "acme.jwt", Fail, "iam.serviceAccounts.getAccessToken")
}

func TestWIFVerifyClaimsOnlyAndBadCondition(t *testing.T) {
	w := wifWorld(t, false)
	o := w.opts()
	o.Claims, o.SubjectTokenSource = map[string]any{"iss": "https://other.example", "sub": "s", "org": "acme", "aud": wifAudience}, "claims.json"
	rep := w.run(o)
	wantRow(t, rep, CheckWIFTokenIssuer, "claims.json", Fail, "https://other.example")
	wantRow(t, rep, CheckWIFTokenExpiry, "claims.json", Fail, "missing")
	wantRow(t, rep, CheckWIFAdmits, "claims.json", Pass)
	for _, c := range rep.Checks {
		if c.Name == CheckWIFSTS {
			t.Errorf("claims alone must not be exchanged: %+v", c)
		}
	}

	w.cfg.WIF.Provider.AttributeCondition = "attribute.repo == 'x'"
	rep = w.run(w.opts())
	wantRow(t, rep, CheckWIFCondition, "demo-oidc", Fail, "attribute.repo is not mapped")
}

// A token the condition refuses (another tenant's) is the federation
// working: the table says so and no row suggests widening trust (a
// --principal for the foreign subject, a new condition, a forced risk).
func TestWIFConditionRefusalSuggestsNothingWider(t *testing.T) {
	w := wifWorld(t, false)
	o := w.opts()
	o.SubjectToken, o.SubjectTokenSource = w.subjectToken("evil"), "evil.jwt"
	rep := w.run(o)
	wantRow(t, rep, CheckWIFAdmits, "evil.jwt", Fail, "returned false", "the federation is working")
	wantRow(t, rep, CheckWIFBinding, "evil.jwt", Skip, "refused by the condition")
	for _, c := range rep.Checks {
		for _, bad := range []string{"--principal", "--attribute-condition", "--allow-", "add-iam-policy-binding", "fedctl setup"} {
			if strings.Contains(c.Fix, bad) {
				t.Errorf("%s %s suggests widening trust: %s", c.Name, c.Subject, c.Fix)
			}
		}
	}
}
