package wif

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"maps"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
)

// Preset is a known OIDC issuer's provider settings: issuer, mapping, and
// templates for the condition that pins the tenant and for the principal
// set. Placeholders are {name}; their values come from Apply's values or
// from a principal set attribute.NAME/VALUE naming the same parameter.
type Preset struct {
	Name      string
	Title     string
	IssuerURI string // "" for the generic oidc preset: --issuer-uri is required
	Mapping   map[string]string
	// ConditionTemplate pins the tenant (multi-tenant issuers let anyone
	// mint a token; without this any of their customers could federate).
	ConditionTemplate string
	// PrincipalSetTemplate is who may impersonate the target SA.
	PrincipalSetTemplate string
	Params               []PresetParam
	// Note is shown in docs and the wizard.
	Note string
}

// PresetParam is one placeholder of a preset's templates.
type PresetParam struct {
	Name    string // placeholder, also the attribute it maps (attribute.NAME)
	Claim   string // the token claim it pins
	Example string
	Help    string
}

var presets = []*Preset{
	{
		Name: "github", Title: "GitHub Actions", IssuerURI: GitHubIssuerURI,
		Mapping: map[string]string{
			"google.subject":                "assertion.sub",
			"attribute.repository":          "assertion.repository",
			"attribute.repository_owner_id": "assertion.repository_owner_id",
			"attribute.repository_owner":    "assertion.repository_owner",
		},
		ConditionTemplate:    "assertion.repository_owner_id == '{repository_owner_id}' && assertion.repository == '{repository}'",
		PrincipalSetTemplate: "attribute.repository/{repository}",
		Params: []PresetParam{
			{Name: "repository_owner_id", Claim: "repository_owner_id", Example: "1234567",
				Help: "the numeric ID of the owning user or organization (immutable, unlike its name): gh api users/OWNER --jq .id"},
			{Name: "repository", Claim: "repository", Example: "acme/app", Help: "OWNER/REPO"},
		},
		Note: "Google refuses a provider for GitHub's shared issuer without a condition. Pin the owner by ID: a deleted organization's name can be re-registered by someone else.",
	},
	{
		Name: "gitlab", Title: "GitLab CI (gitlab.com)", IssuerURI: "https://gitlab.com",
		Mapping: map[string]string{
			"google.subject":         "assertion.sub",
			"attribute.namespace_id": "assertion.namespace_id",
			"attribute.project_path": "assertion.project_path",
		},
		ConditionTemplate:    "assertion.namespace_id == '{namespace_id}' && assertion.project_path == '{project_path}'",
		PrincipalSetTemplate: "attribute.project_path/{project_path}",
		Params: []PresetParam{
			{Name: "namespace_id", Claim: "namespace_id", Example: "4242", Help: "the numeric ID of the group or user namespace"},
			{Name: "project_path", Claim: "project_path", Example: "acme/app", Help: "GROUP/PROJECT"},
		},
		Note: "For self-managed GitLab use the oidc preset with your instance URL as the issuer.",
	},
	{
		Name: "gumloop", Title: "Gumloop", IssuerURI: "https://api.gumloop.com",
		Mapping: map[string]string{
			"google.subject": "assertion.sub",
			"attribute.org":  "assertion.gumloop_org_id",
		},
		ConditionTemplate:    "assertion.gumloop_org_id == '{org}'",
		PrincipalSetTemplate: "attribute.org/{org}",
		Params: []PresetParam{
			{Name: "org", Claim: "gumloop_org_id", Example: "ORG123", Help: "your Gumloop organization ID (Gumloop's BigQuery WIF settings show it)"},
		},
		Note: "Gumloop signs one token per organization; the condition admits only yours.",
	},
	{
		Name: "oidc", Title: "Any OIDC issuer",
		Mapping: map[string]string{
			"google.subject":   "assertion.sub",
			"attribute.tenant": "assertion.{claim}",
		},
		ConditionTemplate:    "assertion.{claim} == '{tenant}'",
		PrincipalSetTemplate: "attribute.tenant/{tenant}",
		Params: []PresetParam{
			{Name: "claim", Claim: "", Example: "org_id", Help: "the claim that names your tenant in the issuer's tokens"},
			{Name: "tenant", Claim: "", Example: "acme", Help: "your tenant's value of that claim"},
		},
		Note: "Set --issuer-uri to the issuer's iss claim; add --jwks-file when its keys are not published at ISSUER/.well-known/openid-configuration.",
	},
}

// Presets lists the presets in display order.
func Presets() []*Preset { return slices.Clone(presets) }

// PresetNames lists the preset names (flag help, completion).
func PresetNames() []string {
	names := make([]string, len(presets))
	for i, p := range presets {
		names[i] = p.Name
	}
	return names
}

// LookupPreset finds a preset by name.
func LookupPreset(name string) (*Preset, error) {
	for _, p := range presets {
		if p.Name == strings.ToLower(strings.TrimSpace(name)) {
			return p, nil
		}
	}
	return nil, fmt.Errorf("unknown preset %q (want one of %s)", name, strings.Join(PresetNames(), ", "))
}

var placeholderRE = lazyregexp.New(`\{([a-z_]+)\}`)

// MissingParamsError lists the preset parameters Apply could not fill.
type MissingParamsError struct {
	Preset string
	Params []PresetParam
}

func (e *MissingParamsError) Error() string {
	var parts []string
	for _, p := range e.Params {
		parts = append(parts, fmt.Sprintf("%s (%s, e.g. %s)", p.Name, p.Help, p.Example))
	}
	return fmt.Sprintf("preset %s needs %s: pass --attribute-condition, or --principal-set attribute.%s/VALUE",
		e.Preset, strings.Join(parts, "; "), e.Params[0].Name)
}

// Apply fills the empty fields of w from the preset: issuer, mapping,
// condition, principal set, pool and provider IDs, and Preset. Fields
// already set win (flags and the file override a preset). Placeholder
// values come from values, then from w.PrincipalSet when it is
// attribute.NAME/VALUE for a parameter NAME. When the condition is empty
// and a parameter is unknown, Apply fills what it can and returns a
// *MissingParamsError.
func (p *Preset) Apply(w *config.WIF, values map[string]string) error {
	vals := maps.Clone(values)
	if vals == nil {
		vals = map[string]string{}
	}
	if rel, ok := strings.CutPrefix(w.PrincipalSet, "attribute."); ok {
		if name, v, ok := strings.Cut(rel, "/"); ok && vals[name] == "" {
			vals[name] = v
		}
	}
	w.Preset = p.Name
	if w.Pool.ID == "" {
		w.Pool.ID = p.Name + "-pool"
	}
	if w.Pool.DisplayName == "" {
		w.Pool.DisplayName = truncate(p.Title, 32)
	}
	if w.Provider.ID == "" {
		w.Provider.ID = p.Name + "-oidc"
	}
	if w.Provider.IssuerURI == "" {
		w.Provider.IssuerURI = p.IssuerURI
	}
	var missing []PresetParam
	fill := func(tmpl string) (string, bool) {
		ok := true
		out := placeholderRE.ReplaceAllStringFunc(tmpl, func(m string) string {
			name := m[1 : len(m)-1]
			if v := vals[name]; v != "" {
				return v
			}
			ok = false
			for _, pp := range p.Params {
				if pp.Name == name && !slices.ContainsFunc(missing, func(x PresetParam) bool { return x.Name == name }) {
					missing = append(missing, pp)
				}
			}
			return m
		})
		return out, ok
	}
	if len(w.Provider.AttributeMapping) == 0 || isDefaultMapping(w.Provider.AttributeMapping) {
		m := map[string]string{}
		for k, tmpl := range p.Mapping {
			if v, ok := fill(tmpl); ok {
				m[k] = v
			}
		}
		w.Provider.AttributeMapping = m
	}
	if w.Provider.AttributeCondition == "" {
		if c, ok := fill(p.ConditionTemplate); ok {
			w.Provider.AttributeCondition = c
		}
	}
	if w.PrincipalSet == "" && w.Principal == "" {
		if ps, ok := fill(p.PrincipalSetTemplate); ok {
			w.PrincipalSet = ps
		}
	}
	if len(missing) > 0 && w.Provider.AttributeCondition == "" {
		return &MissingParamsError{Preset: p.Name, Params: missing}
	}
	return nil
}

// isDefaultMapping: config.ApplyDefaults may already have put the bare
// google.subject mapping in; a preset's richer mapping replaces it.
func isDefaultMapping(m map[string]string) bool {
	return maps.Equal(m, config.DefaultAttributeMapping())
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
