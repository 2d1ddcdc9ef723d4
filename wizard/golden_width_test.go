package wizard

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/fedctl/fedctl/config"
)

// Narrow and wide terminals: every screen wraps instead of cutting
// (issue: at 60 columns Token Creator's "B" option, the plan's SA emails
// and the problems' fixes were cut; at 120 the wif plan's mapping line).
// Golden files at 60 and 120 columns, and no line wider than the terminal
// nor ending in the cut mark.

func requireNoCut(t *testing.T, view string, width int, inputs ...string) {
	t.Helper()
lines:
	for _, l := range strings.Split(view, "\n") {
		for _, in := range inputs { // a text field scrolls its own value
			if strings.Contains(l, in) {
				continue lines
			}
		}
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("line wider than %d (%d): %q", width, w, l)
		}
		if strings.HasSuffix(l, "…") && !strings.Contains(l, "more keys") && !strings.Contains(l, "•") {
			t.Errorf("line cut: %q", l)
		}
	}
}

func TestGoldenIdentities60(t *testing.T) {
	cfg := validCfg("alice.smith@acme.com", "bob@acme.com", "bob@other.org")
	cfg.Impersonation.Grant = config.GrantProject
	s := testSession(cfg, nil)
	m := sized(s, stepIdentities, 60, 70)
	m.Init()
	sc := m.screens[stepIdentities].(*identitiesScreen)
	sc.problems = sc.validate()
	view := m.View()
	requireNoCut(t, view, 60, "P/r…")
	for _, want := range []string{"B: on the whole project", "list the others under a different alias", "Prefer A unless you need it."} {
		if !strings.Contains(strings.Join(strings.Fields(view), " "), want) {
			t.Errorf("at 60 columns the screen lacks %q:\n%s", want, view)
		}
	}
	golden.RequireEqual(t, []byte(view))
}

func TestGoldenPlan60(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 60, 60)
	m.Init()
	m.Update(planMsg{seq: 1, plan: mustPlan(t, e, cfg)})
	view := m.View()
	requireNoCut(t, view, 60)
	if !strings.Contains(view, "fedctl-alice@demo-project.iam.gserviceaccount.com") && !strings.Contains(view, "fedctl-alice@demo-project.iam.") {
		t.Errorf("the SA email is cut:\n%s", view)
	}
	golden.RequireEqual(t, []byte(view))
}

func TestGoldenWIFPlan120(t *testing.T) {
	e := newEmu(t)
	cfg := wifCfg()
	cfg.WIF = config.WIF{Preset: "github", Pool: config.Pool{ID: "github-pool"},
		Provider: config.Provider{ID: "github-oidc", IssuerURI: "https://token.actions.githubusercontent.com",
			AttributeMapping: map[string]string{"google.subject": "assertion.sub", "attribute.repository": "assertion.repository",
				"attribute.repository_owner_id": "assertion.repository_owner_id", "attribute.ref": "assertion.ref", "attribute.workflow_ref": "assertion.job_workflow_ref"},
			AttributeCondition: "assertion.repository_owner_id == '1234567' && assertion.repository == 'acme/app'"},
		ServiceAccount: "gh-runner", PrincipalSet: "attribute.repository/acme/app", Roles: cfg.WIF.Roles}
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, 120, 80)
	m.Init()
	m.Update(planMsg{seq: 1, plan: mustPlan(t, e, cfg)})
	view := m.View()
	requireNoCut(t, view, 120)
	if !strings.Contains(view, "job_workflow_ref") {
		t.Errorf("the mapping is cut:\n%s", view)
	}
	golden.RequireEqual(t, []byte(view))
}
