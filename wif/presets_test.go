package wif

import (
	"errors"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/config"
)

// exampleValues fills every parameter of a preset with its example.
func exampleValues(p *Preset) map[string]string {
	v := map[string]string{}
	for _, pp := range p.Params {
		v[pp.Name] = pp.Example
	}
	return v
}

func TestEveryPresetPassesItsOwnChecks(t *testing.T) {
	for _, p := range Presets() {
		t.Run(p.Name, func(t *testing.T) {
			var w config.WIF
			if err := p.Apply(&w, exampleValues(p)); err != nil {
				t.Fatal(err)
			}
			if p.IssuerURI != "" && w.Provider.IssuerURI != p.IssuerURI {
				t.Errorf("issuer = %q", w.Provider.IssuerURI)
			}
			_, ps := Check(w.Provider.AttributeMapping, w.Provider.AttributeCondition)
			if len(ps) != 0 {
				t.Errorf("problems:\n%s", problemsText(ps))
			}
			if strings.Contains(w.Provider.AttributeCondition+w.PrincipalSet, "{") {
				t.Errorf("unfilled placeholder: %q %q", w.Provider.AttributeCondition, w.PrincipalSet)
			}
			if w.Wildcard() || w.MissingCondition() {
				t.Errorf("preset left a wildcard or no condition: %+v", w)
			}
			// The principal set names a mapped attribute, so it can match.
			name, _, _ := strings.Cut(w.PrincipalSet, "/")
			if _, ok := w.Provider.AttributeMapping[name]; !ok {
				t.Errorf("principal set %q uses an unmapped attribute", w.PrincipalSet)
			}
		})
	}
}

func TestGitHubPresetAdmitsOnlyTheTenant(t *testing.T) {
	p, _ := LookupPreset("GitHub")
	var w config.WIF
	if err := p.Apply(&w, map[string]string{"repository_owner_id": "42", "repository": "acme/app"}); err != nil {
		t.Fatal(err)
	}
	want := "assertion.repository_owner_id == '42' && assertion.repository == 'acme/app'"
	if w.Provider.AttributeCondition != want || w.PrincipalSet != "attribute.repository/acme/app" {
		t.Fatalf("condition %q, principal set %q", w.Provider.AttributeCondition, w.PrincipalSet)
	}
	c := mustCompile(t, w.Provider.AttributeMapping, w.Provider.AttributeCondition)
	r := c.Evaluate(githubClaims)
	if !r.Admitted {
		t.Fatalf("own repo rejected: %s", r.Reason)
	}
	if m := MatchingMembers([]string{w.Member("7")}, "7", w.Pool.ID, r.Attributes); len(m) != 1 {
		t.Errorf("the preset's principal set does not match its own tenant: %s", w.Member("7"))
	}
	squatter := map[string]any{"sub": "repo:acme/app:ref:refs/heads/main", "repository": "acme/app", "repository_owner_id": "999"}
	if c.Evaluate(squatter).Admitted {
		t.Error("a re-registered owner with another ID was admitted")
	}
}

func TestPresetTakesValuesFromThePrincipalSet(t *testing.T) {
	p, _ := LookupPreset("gumloop")
	w := config.WIF{PrincipalSet: "attribute.org/ORG123"}
	if err := p.Apply(&w, nil); err != nil {
		t.Fatal(err)
	}
	if w.Provider.AttributeCondition != "assertion.gumloop_org_id == 'ORG123'" || w.Provider.IssuerURI != "https://api.gumloop.com" {
		t.Errorf("got %+v", w.Provider)
	}
	if w.Pool.ID != "gumloop-pool" || w.Provider.ID != "gumloop-oidc" || w.Preset != "gumloop" {
		t.Errorf("ids: %q %q %q", w.Pool.ID, w.Provider.ID, w.Preset)
	}
}

func TestPresetMissingParams(t *testing.T) {
	p, _ := LookupPreset("github")
	var w config.WIF
	err := p.Apply(&w, map[string]string{"repository": "acme/app"})
	var mp *MissingParamsError
	if !errors.As(err, &mp) || len(mp.Params) != 1 || mp.Params[0].Name != "repository_owner_id" {
		t.Fatalf("err = %v, want repository_owner_id missing", err)
	}
	if w.Provider.AttributeCondition != "" {
		t.Errorf("a half-filled condition was set: %q", w.Provider.AttributeCondition)
	}
	if !strings.Contains(err.Error(), "--attribute-condition") {
		t.Errorf("error does not name the flag: %v", err)
	}
	// An explicit condition satisfies the preset.
	w = config.WIF{Provider: config.Provider{AttributeCondition: "assertion.repository == 'acme/app'"}}
	if err := p.Apply(&w, nil); err != nil {
		t.Errorf("explicit condition: %v", err)
	}
}

func TestPresetKeepsExplicitFields(t *testing.T) {
	p, _ := LookupPreset("gitlab")
	w := config.WIF{Pool: config.Pool{ID: "mine"}, Provider: config.Provider{IssuerURI: "https://gitlab.acme.com",
		AttributeMapping: map[string]string{"google.subject": "assertion.sub", "attribute.project_path": "assertion.project_path"}}}
	if err := p.Apply(&w, exampleValues(p)); err != nil {
		t.Fatal(err)
	}
	if w.Pool.ID != "mine" || w.Provider.IssuerURI != "https://gitlab.acme.com" || len(w.Provider.AttributeMapping) != 2 {
		t.Errorf("explicit fields overwritten: %+v", w)
	}
	// The bare default mapping is replaced by the preset's.
	w = config.WIF{Provider: config.Provider{AttributeMapping: config.DefaultAttributeMapping()}}
	p.Apply(&w, exampleValues(p))
	if len(w.Provider.AttributeMapping) != 3 {
		t.Errorf("default mapping kept: %v", w.Provider.AttributeMapping)
	}
	if _, err := LookupPreset("okta"); err == nil || !strings.Contains(err.Error(), "github, gitlab, gumloop, oidc") {
		t.Errorf("unknown preset: %v", err)
	}
}
