package engine

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
)

const (
	wNumber   = "123456789012"
	wPoolName = "projects/" + wNumber + "/locations/global/workloadIdentityPools/demo-pool"
	wProvName = wPoolName + "/providers/demo-oidc"
	wMember   = "principalSet://iam.googleapis.com/" + wPoolName + "/attribute.org/acme"
)

// wifConfig is a validated wif config federating the emulator's demo
// issuer for org acme.
func wifConfig(t testing.TB, mutate func(*config.WIF)) *config.Config {
	t.Helper()
	cfg := &config.Config{Project: testProject, Mode: config.ModeWIF, WIF: config.WIF{
		Pool: config.Pool{ID: "demo-pool"},
		Provider: config.Provider{ID: "demo-oidc", IssuerURI: emulator.DemoIssuerURI("demo"),
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"},
			AttributeCondition: "assertion.org == 'acme'"},
		ServiceAccount: "bq-runner",
		PrincipalSet:   "attribute.org/acme",
	}}
	if mutate != nil {
		mutate(&cfg.WIF)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatalf("preflight: %v", err)
	}
	return cfg
}

func actions(p *Plan) map[string]Action {
	out := map[string]Action{}
	for _, c := range p.Changes {
		out[c.Address] = c.Action
	}
	return out
}

func TestWIFSetupConverges(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := wifConfig(t, nil)
	p, res := e.setup(t, cfg)
	got := actions(p)
	for addr, want := range map[string]Action{
		`api["sts.googleapis.com"]`:                                  ActionCreate,
		`workload_identity_pool["demo-pool"]`:                        ActionCreate,
		`workload_identity_pool_provider["demo-pool/demo-oidc"]`:     ActionCreate,
		"service_account.target":                                     ActionCreate,
		"iam_policy.project":                                         ActionUpdate,
		`iam_policy.service_account["` + saEmail("bq-runner") + `"]`: ActionUpdate,
	} {
		if got[addr] != want {
			t.Errorf("%s: %s, want %s (plan %v)", addr, got[addr], want, got)
		}
	}
	if res.Count(OutcomeFailed) != 0 {
		t.Fatalf("apply: %+v", res.Outcomes)
	}
	ctx := context.Background()
	prov, err := e.client.GetProvider(ctx, wProvName)
	if err != nil || prov.State != gcp.StateActive || prov.AttributeCondition != "assertion.org == 'acme'" {
		t.Fatalf("provider = %+v, %v", prov, err)
	}
	if !e.saPolicy(t, saEmail("bq-runner")).HasMember(RoleWorkloadIdentityUser, wMember) {
		t.Error("workloadIdentityUser for the principal set is missing")
	}
	pol := e.projectPolicy(t)
	for _, role := range []string{"roles/bigquery.jobUser", "roles/bigquery.dataViewer"} {
		if !pol.HasMember(role, "serviceAccount:"+saEmail("bq-runner")) {
			t.Errorf("%s missing on the target SA", role)
		}
	}
	if again := e.plan(t, cfg); again.HasChanges() {
		t.Errorf("second plan has changes: %v", actions(again))
	}
	s := NewSummary(res)
	if s.WIF == nil || s.WIF.ProjectNumber != wNumber || s.WIF.Provider != wProvName || s.WIF.ServiceAccount != saEmail("bq-runner") {
		t.Errorf("summary WIF = %+v", s.WIF)
	}
	var out bytes.Buffer
	RenderSummaryText(&out, s, iostreams.NewColorScheme(false))
	for _, want := range []string{"project number:  " + wNumber, "provider:        " + wProvName, "service account: " + saEmail("bq-runner")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary text lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWIFDriftDisabledAndSoftDeleted(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := wifConfig(t, nil)
	e.setup(t, cfg)
	ctx := context.Background()

	// Drift in the condition and a disabled provider: one update.
	cur, _ := e.client.GetProvider(ctx, wProvName)
	cur.AttributeCondition, cur.Disabled = "assertion.org == 'evil'", true
	if err := e.client.UpdateProvider(ctx, wProvName, cur, []string{gcp.MaskAttributeCondition, gcp.MaskDisabled}); err != nil {
		t.Fatal(err)
	}
	p := e.plan(t, cfg)
	c := p.Change(`workload_identity_pool_provider["demo-pool/demo-oidc"]`)
	if c.Action != ActionUpdate || !strings.Contains(c.Reason, "disabled: re-enabled") || !strings.Contains(c.Reason, "attributeCondition changed") {
		t.Fatalf("provider change = %+v", c)
	}
	var text bytes.Buffer
	RenderText(&text, p, iostreams.NewColorScheme(false))
	if !strings.Contains(text.String(), "attribute_condition: assertion.org == 'evil' → assertion.org == 'acme'") {
		t.Errorf("plan text does not show the drift:\n%s", text.String())
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if cur, _ = e.client.GetProvider(ctx, wProvName); cur.Disabled || cur.AttributeCondition != "assertion.org == 'acme'" {
		t.Errorf("after apply: %+v", cur)
	}

	// A soft-deleted pool is undeleted, not re-created (which would 409).
	if err := e.client.DeletePool(ctx, wPoolName); err != nil {
		t.Fatal(err)
	}
	p = e.plan(t, cfg)
	c = p.Change(`workload_identity_pool["demo-pool"]`)
	if c.Action != ActionUpdate || c.Before.(*PoolState).State != gcp.StateDeleted || c.After.(*PoolState).State != gcp.StateActive {
		t.Fatalf("pool change = %+v", c)
	}
	if _, err := e.eng.Apply(ctx, p); err != nil {
		t.Fatal(err)
	}
	if pool, _ := e.client.GetPool(ctx, wPoolName); pool.State != gcp.StateActive {
		t.Errorf("pool after apply: %+v", pool)
	}
}

func TestWIFTeardownSoftDeletesAndSetupRestores(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := wifConfig(t, nil)
	e.setup(t, cfg)
	p, _ := e.teardown(t, cfg)
	var order []string
	for _, c := range p.Changes {
		if c.Action == ActionDelete {
			order = append(order, c.Address)
		}
	}
	want := []string{"service_account.target", `workload_identity_pool_provider["demo-pool/demo-oidc"]`, `workload_identity_pool["demo-pool"]`}
	if strings.Join(order, " ") != strings.Join(want, " ") {
		t.Errorf("teardown deletes %v, want %v", order, want)
	}
	ctx := context.Background()
	pool, _ := e.client.GetPool(ctx, wPoolName)
	prov, _ := e.client.GetProvider(ctx, wProvName)
	if pool.State != gcp.StateDeleted || prov.State != gcp.StateDeleted {
		t.Errorf("after teardown: pool %s, provider %s", pool.State, prov.State)
	}
	if e.projectPolicy(t).HasMember("roles/bigquery.jobUser", "serviceAccount:"+saEmail("bq-runner")) {
		t.Error("data role left behind")
	}
	if again, _ := e.eng.PlanTeardown(ctx, cfg); again.HasChanges() {
		t.Errorf("second teardown has changes: %v", actions(again))
	}
	e.setup(t, cfg)
	pool, _ = e.client.GetPool(ctx, wPoolName)
	prov, _ = e.client.GetProvider(ctx, wProvName)
	if pool.State != gcp.StateActive || prov.State != gcp.StateActive {
		t.Errorf("after re-setup: pool %s, provider %s", pool.State, prov.State)
	}
}

func TestWIFDirect(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := wifConfig(t, func(w *config.WIF) { w.Direct, w.ServiceAccount = true, "" })
	p, _ := e.setup(t, cfg)
	if p.Change("service_account.target") != nil {
		t.Error("direct mode planned a target SA")
	}
	pol := e.projectPolicy(t)
	if !pol.HasMember("roles/bigquery.jobUser", wMember) || !pol.HasMember("roles/bigquery.dataViewer", wMember) {
		t.Errorf("direct data roles missing: %+v", pol.Bindings)
	}
	if s := NewSummary(&Result{Plan: p}); s.WIF.ServiceAccount != "" || s.WIF.Member != wMember {
		t.Errorf("summary = %+v", s.WIF)
	}
}

func TestPreflightWIF(t *testing.T) {
	var se *WIFSafetyError
	_, err := PreflightWIF(wifConfig(t, func(w *config.WIF) { w.Provider.AttributeCondition = "" }), WIFAllow{})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "--allow-unconditioned") {
		t.Errorf("no condition: %v", err)
	}
	warns, err := PreflightWIF(wifConfig(t, func(w *config.WIF) { w.Provider.AttributeCondition = "" }), WIFAllow{Unconditioned: true})
	if err != nil || len(warns) != 1 || warns[0] != UnconditionedWarning {
		t.Errorf("allowed no condition: %v %v", warns, err)
	}
	_, err = PreflightWIF(wifConfig(t, func(w *config.WIF) { w.PrincipalSet = "*" }), WIFAllow{})
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "--allow-wildcard") {
		t.Errorf("wildcard: %v", err)
	}
	_, err = PreflightWIF(wifConfig(t, func(w *config.WIF) { w.Provider.AttributeCondition = "assertion.org == acme" }), WIFAllow{})
	if err == nil || !strings.Contains(err.Error(), "column 18") || !strings.Contains(err.Error(), "undeclared reference to 'acme'") {
		t.Errorf("bad CEL: %v", err)
	}
	if warns, err := PreflightWIF(wifConfig(t, nil), WIFAllow{}); err != nil || len(warns) != 0 {
		t.Errorf("clean config: %v %v", warns, err)
	}
}
