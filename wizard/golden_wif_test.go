package wizard

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/fedctl/fedctl/config"
)

// wifCfg is a project switched to wif mode with nothing of the wif section
// answered yet, as the Mode screen leaves it.
func wifCfg() *config.Config {
	cfg := &config.Config{Project: "demo-project"}
	cfg.ApplyDefaults()
	switchMode(cfg, config.ModeWIF)
	return cfg
}

// gumloopCfg is wifCfg with the gumloop federation answered in full.
func gumloopCfg() *config.Config {
	cfg := wifCfg()
	cfg.WIF = config.WIF{Preset: "gumloop", Pool: config.Pool{ID: "gumloop-pool"},
		Provider: config.Provider{ID: "gumloop-oidc", IssuerURI: "https://api.gumloop.com",
			AttributeMapping:   map[string]string{"google.subject": "assertion.sub", "attribute.org": "assertion.gumloop_org_id"},
			AttributeCondition: "assertion.gumloop_org_id == 'ORG123'"},
		ServiceAccount: "bigquery-runner", PrincipalSet: "attribute.org/ORG123", Roles: cfg.WIF.Roles}
	return cfg
}

// gumloopProvider is the Provider screen with the gumloop preset picked and
// the org ID typed.
func gumloopProvider(t *testing.T, s *session, h int) *Model {
	t.Helper()
	m := sized(s, stepWIFProvider, gw, h)
	m.Init()
	m.Update(press("right"))
	m.Update(press("right")) // github → gitlab → gumloop
	m.Update(press("tab"))
	typeText(m, "ORG123")
	return m
}

func TestGoldenWIFProvider(t *testing.T) {
	s := testSession(wifCfg(), nil)
	m := gumloopProvider(t, s, 40)
	golden.RequireEqual(t, []byte(m.View()))
}

// A condition typed with '=' for '==': cel-go's error at its column, with
// the line and a caret.
func TestGoldenWIFProviderCELError(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Preset = "gumloop"
	cfg.WIF.Provider.AttributeCondition = "assertion.gumloop_org_id = 'ORG123'"
	s := testSession(cfg, nil)
	m := sized(s, stepWIFProvider, gw, 40)
	m.Init()
	golden.RequireEqual(t, []byte(m.View()))
}

// No condition, forced: the refusal becomes the scripted path's loud
// warning.
func TestGoldenWIFProviderForcedNoCondition(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.Provider.IssuerURI = "https://issuer.example.com"
	cfg.WIF.Pool.ID, cfg.WIF.Provider.ID = "demo-pool", "demo-oidc"
	s := testSession(cfg, nil)
	m := sized(s, stepWIFProvider, gw, 40)
	m.Init()
	sc := m.screens[stepWIFProvider].(*wifProviderScreen)
	sc.setFocus(wfForce)
	m.Update(press("space"))
	golden.RequireEqual(t, []byte(m.View()))
}

// The Access screen after the gumloop Provider screen: the preset's
// principal set offered, the member it makes, the target SA's email.
func TestGoldenWIFAccess(t *testing.T) {
	s := testSession(wifCfg(), nil)
	s.projectNumber = "123456789012"
	m := gumloopProvider(t, s, 40)
	m.Update(navOf(m.screens[stepWIFProvider].(*wifProviderScreen).submit()))
	if m.cur != stepWIFAccess {
		t.Fatalf("at %v, want Access (refused: %v)", m.cur, m.screens[stepWIFProvider].(*wifProviderScreen).refused)
	}
	m.Update(press("tab"))
	m.Update(press("tab"))
	m.Update(press("tab")) // Who, Value, Runs as → Target SA
	typeText(m, "bigquery-runner")
	golden.RequireEqual(t, []byte(m.View()))
}

// A wildcard principal set, forced: the loud warning.
func TestGoldenWIFAccessWildcard(t *testing.T) {
	cfg := wifCfg()
	cfg.WIF.PrincipalSet, cfg.WIF.ServiceAccount = "*", "bigquery-runner"
	s := testSession(cfg, nil)
	m := sized(s, stepWIFAccess, gw, 40)
	m.Init()
	m.Update(press("tab"))
	m.Update(press("tab")) // Who, Value → the force checkbox
	m.Update(press("space"))
	golden.RequireEqual(t, []byte(m.View()))
}

// The last screen of a wif run: the integration values above the table.
func TestGoldenWIFVerify(t *testing.T) {
	e := newEmu(t)
	cfg := gumloopCfg()
	s := testSession(cfg, e.backend)
	ctx := context.Background()
	s.plan = mustPlan(t, e, cfg)
	if res, err := e.backend.Apply(ctx, s.plan, nil); err != nil {
		t.Fatal(err, res)
	}
	rep, err := e.backend.Verify(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := sized(s, stepVerify, gw, 40)
	m.Init()
	m.Update(verifyMsg{seq: 1, report: rep})
	// The emulator gives service accounts random unique IDs.
	view := regexp.MustCompile(`\d{18,}`).ReplaceAllStringFunc(m.View(), func(s string) string {
		return strings.Repeat("N", len(s))
	})
	golden.RequireEqual(t, []byte(view))
}
