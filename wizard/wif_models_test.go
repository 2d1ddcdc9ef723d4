package wizard

import (
	"maps"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/wif"
)

// The wif screens' validation, on the models directly.

func providerScreen(t *testing.T, cfg *config.Config) (*session, *Model, *wifProviderScreen) {
	t.Helper()
	s := testSession(cfg, nil)
	m := sized(s, stepWIFProvider, 100, 40)
	m.Init()
	return s, m, m.screens[stepWIFProvider].(*wifProviderScreen)
}

func TestWIFPresetFillsMappingAndCondition(t *testing.T) {
	s, m, sc := providerScreen(t, wifCfg())
	m.Update(press("right"))
	m.Update(press("right")) // gumloop
	if sc.current().Name != "gumloop" {
		t.Fatalf("preset = %s", sc.current().Name)
	}
	// Without the org the condition cannot be pinned: it stays empty and
	// Enter is refused.
	if !sc.noCondition() || len(sc.missing) != 1 || sc.missing[0].Name != "org" {
		t.Fatalf("condition %q, missing %v", sc.condition.Value(), sc.missing)
	}
	if navOf(sc.submit()) != nil {
		t.Fatal("a provider without a condition was accepted")
	}
	m.Update(press("tab"))
	typeText(m, "ORG123")
	if got := sc.condition.Value(); got != "assertion.gumloop_org_id == 'ORG123'" {
		t.Errorf("condition = %q", got)
	}
	// An issuer the admin edits wins over the preset; the fields still
	// following the preset move with it.
	sc.issuer.SetValue("https://gumloop.example.com")
	m.Update(press("backspace"))
	typeText(m, "4")
	if got := sc.condition.Value(); got != "assertion.gumloop_org_id == 'ORG124'" {
		t.Errorf("condition did not follow the org: %q", got)
	}
	if msg, ok := navOf(sc.submit()).(goMsg); !ok || msg.to != stepWIFAccess {
		t.Fatalf("submit = %v, refused %v", msg, sc.refused)
	}
	w := s.cfg.WIF
	wantMap := map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.gumloop_org_id"}
	if !maps.Equal(w.Provider.AttributeMapping, wantMap) || w.Provider.IssuerURI != "https://gumloop.example.com" ||
		w.Pool.ID != "gumloop-pool" || w.Provider.ID != "gumloop-oidc" || w.Preset != "gumloop" || s.allow.Unconditioned {
		t.Errorf("wif = %+v allow %+v", w, s.allow)
	}
	if s.presetPrincipalSet != "attribute.org/ORG124" {
		t.Errorf("principal set offered = %q", s.presetPrincipalSet)
	}
}

func TestWIFConditionLiveCELErrorAtColumn(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Preset = "gumloop"
	_, m, sc := providerScreen(t, cfg)
	sc.setFocus(wfCondition)
	sc.condition.SetValue("")
	typeText(m, "assertion.gumloop_org_id = 'x'")
	var first *wif.Problem
	for i, p := range sc.cel {
		if p.Field == wif.FieldCondition && p.Severity == wif.Error {
			first = &sc.cel[i]
			break
		}
	}
	if first == nil || first.Line != 1 || first.Column != 26 {
		t.Fatalf("live CEL problems = %+v, want an error at line 1, column 26", sc.cel)
	}
	view := sc.view()
	if !strings.Contains(view, "line 1, column 26") || !strings.Contains(view, strings.Repeat(" ", 25)+"^") {
		t.Errorf("the error is not shown at its column:\n%s", view)
	}
	if navOf(sc.submit()) != nil || len(sc.refused) == 0 {
		t.Fatal("an invalid condition was accepted")
	}
	// Fixed as it is typed: the error goes, the verdict says so.
	sc.condition.SetValue("assertion.gumloop_org_id == 'x")
	typeText(m, "'")
	if len(wif.Errors(sc.cel)) != 0 || !strings.Contains(sc.view(), "compiles") {
		t.Errorf("the fixed condition still fails: %+v", sc.cel)
	}
}

func TestWIFMappingLinesAreChecked(t *testing.T) {
	_, _, sc := providerScreen(t, wifCfg())
	sc.mapping.SetValue("google.subject=assertion.sub\nattribute.org assertion.org\nattribute.x=assertion.x +")
	sc.revalidate()
	if len(sc.mapErrs) != 1 || !strings.Contains(sc.mapErrs[0], "line 2") {
		t.Errorf("mapping line problems = %v", sc.mapErrs)
	}
	var located bool
	for _, p := range sc.cel {
		located = located || (p.Field == wif.FieldMapping && p.Key == "attribute.x" && p.Line == 1)
	}
	if !located {
		t.Errorf("the broken mapping expression is not located: %+v", sc.cel)
	}
}

func TestWIFMissingConditionRefusedThenForced(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Provider.IssuerURI = "https://issuer.example.com"
	cfg.WIF.Pool.ID, cfg.WIF.Provider.ID = "demo-pool", "demo-oidc"
	s, m, sc := providerScreen(t, cfg)
	if sc.current() != nil {
		t.Fatalf("a configuration with an issuer and no preset picked %s", sc.current().Name)
	}
	if navOf(sc.submit()) != nil || !strings.Contains(strings.Join(sc.refused, "\n"), "no attribute condition") {
		t.Fatalf("missing condition: refused %v", sc.refused)
	}
	sc.setFocus(wfForce)
	m.Update(press("space"))
	if !strings.Contains(sc.view(), "WARNING: "+engine.UnconditionedWarning[:40]) {
		t.Error("forcing shows no loud warning")
	}
	if msg, ok := navOf(sc.submit()).(goMsg); !ok || msg.to != stepWIFAccess || !s.allow.Unconditioned {
		t.Fatalf("forced: %v allow %+v refused %v", msg, s.allow, sc.refused)
	}

	// The Access screen runs engine.PreflightWIF with what was forced;
	// without the force the same answers are refused there too.
	m.Update(goMsg{to: stepWIFAccess})
	ac := m.screens[stepWIFAccess].(*wifAccessScreen)
	ac.set.SetValue("attribute.sub/x")
	s.cfg.WIF.Provider.AttributeMapping["attribute.sub"] = "assertion.sub"
	ac.sa.SetValue("bq-runner")
	s.allow.Unconditioned = false
	if navOf(ac.submit()) != nil || !strings.Contains(strings.Join(ac.refused, "\n"), "--allow-unconditioned") {
		t.Fatalf("PreflightWIF did not refuse: %v", ac.refused)
	}
	s.allow.Unconditioned = true
	if msg, ok := navOf(ac.submit()).(goMsg); !ok || msg.to != stepAudit {
		t.Fatalf("forced access = %v, refused %v", msg, ac.refused)
	}
	// The plan screen's guard agrees (no API call: there is no backend).
	p := m.screens[stepPlan].(*planScreen)
	s.allow.Unconditioned = false
	if p.enter(); p.err == nil || !strings.Contains(p.view(), "refused before any API call") {
		t.Errorf("plan screen planned a refused federation: %v", p.err)
	}
}

func TestWIFWildcardRefusedUnlessForced(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Pool.ID, cfg.WIF.Provider.ID = "demo-pool", "demo-oidc"
	cfg.WIF.Provider.IssuerURI = "https://issuer.example.com"
	cfg.WIF.Provider.AttributeCondition = "assertion.org == 'acme'"
	cfg.WIF.Provider.AttributeMapping = map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"}
	cfg.WIF.PrincipalSet, cfg.WIF.ServiceAccount = "*", "bq-runner"
	s := testSession(cfg, nil)
	m := sized(s, stepWIFAccess, 100, 40)
	m.Init()
	sc := m.screens[stepWIFAccess].(*wifAccessScreen)
	if navOf(sc.submit()) != nil || !strings.Contains(strings.Join(sc.refused, "\n"), "whole pool") {
		t.Fatalf("wildcard accepted: %v", sc.refused)
	}
	if s.allow.Wildcard {
		t.Fatal("refusing set the force")
	}
	sc.setFocus(waForce)
	m.Update(press("space"))
	if !strings.Contains(sc.view(), "WARNING: The principal set is the WHOLE pool") {
		t.Error("forcing shows no loud warning")
	}
	if msg, ok := navOf(sc.submit()).(goMsg); !ok || msg.to != stepAudit || !s.allow.Wildcard {
		t.Fatalf("forced wildcard = %v allow %+v refused %v", msg, s.allow, sc.refused)
	}
	// A scoped set needs no force, and an unmapped attribute is the
	// config validator's problem.
	sc.set.SetValue("attribute.repo/x")
	if navOf(sc.submit()) != nil || !strings.Contains(strings.Join(sc.refused, "\n"), "does not map") {
		t.Errorf("unmapped attribute accepted: %v", sc.refused)
	}
	sc.set.SetValue("attribute.org/acme")
	if navOf(sc.submit()) == nil || s.allow.Wildcard || s.cfg.WIF.PrincipalSet != "attribute.org/acme" {
		t.Errorf("scoped set: refused %v allow %+v", sc.refused, s.allow)
	}
}

func TestWIFDirectNeedsNoTargetSA(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Pool.ID, cfg.WIF.Provider.ID = "demo-pool", "demo-oidc"
	cfg.WIF.Provider.IssuerURI = "https://issuer.example.com"
	cfg.WIF.Provider.AttributeCondition = "assertion.org == 'acme'"
	cfg.WIF.Provider.AttributeMapping = map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.org"}
	cfg.WIF.PrincipalSet = "attribute.org/acme"
	s := testSession(cfg, nil)
	m := sized(s, stepWIFAccess, 100, 40)
	m.Init()
	sc := m.screens[stepWIFAccess].(*wifAccessScreen)
	if navOf(sc.submit()) != nil || !strings.Contains(strings.Join(sc.refused, "\n"), "no target service account") {
		t.Fatalf("no SA and not direct: refused %v", sc.refused)
	}
	sc.setFocus(waDirect)
	m.Update(press("space"))
	if navOf(sc.submit()) == nil || !s.cfg.WIF.Direct || s.cfg.WIF.ServiceAccount != "" {
		t.Fatalf("direct: refused %v, wif %+v", sc.refused, s.cfg.WIF)
	}
}

// --preset gumloop --principal-set attribute.org/ORG9: the org is known,
// so the condition is pinned from the start.
func TestWIFPrincipalSetNamesPresetValue(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Preset, cfg.WIF.PrincipalSet = "gumloop", "attribute.org/ORG9"
	_, _, sc := providerScreen(t, cfg)
	if got := sc.condition.Value(); got != "assertion.gumloop_org_id == 'ORG9'" {
		t.Errorf("condition = %q", got)
	}
}
