package config

import (
	"encoding/json"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"net/url"
	"strings"
)

var (
	attributeKeyRE = lazyregexp.New(`^attribute\.[a-z0-9_]+$`)
	googleKeys     = []string{"google.subject", "google.groups", "google.display_name", "google.profile_photo", "google.posix_username"}
)

// wif checks the Workload Identity Federation section. Wildcard principal
// sets and missing attribute conditions are NOT problems here: they are
// legal, but the engine refuses them unless forced (WIF.Wildcard,
// WIF.MissingCondition).
func (v *validator) wif() {
	w := v.c.WIF
	v.poolID("wif.pool.id", w.Pool.ID, "gumloop-pool")
	if n := len([]rune(w.Pool.DisplayName)); n > 32 {
		v.add("wif.pool.display_name", w.Pool.DisplayName, fmt.Sprintf("is %d characters long (at most 32)", n), "shorten it")
	}
	v.poolID("wif.provider.id", w.Provider.ID, "gumloop-oidc")
	v.issuer(w.Provider.IssuerURI)
	v.mapping(w.Provider.AttributeMapping)
	if n := len(w.Provider.AttributeCondition); n > 4096 {
		v.add("wif.provider.attribute_condition", "", fmt.Sprintf("is %d characters long (at most 4096)", n), "simplify the CEL expression")
	}
	if n := len(w.Provider.AllowedAudiences); n > 10 {
		v.add("wif.provider.allowed_audiences", "", fmt.Sprintf("lists %d audiences (at most 10)", n), "keep the audiences your tokens actually carry")
	}
	for i, a := range w.Provider.AllowedAudiences {
		if strings.TrimSpace(a) == "" {
			v.add(fmt.Sprintf("wif.provider.allowed_audiences[%d]", i), a, "is empty", "remove the empty entry")
		}
	}
	if j := w.Provider.JWKSJSON; j != "" {
		var jwks struct {
			Keys []json.RawMessage `json:"keys"`
		}
		if err := json.Unmarshal([]byte(j), &jwks); err != nil || len(jwks.Keys) == 0 {
			v.add("wif.provider.jwks_json", "", "is not a JWKS document ({\"keys\": [...]})", "paste the issuer's JWKS (its public keys) as JSON")
		}
	}
	if !w.Direct {
		if w.ServiceAccount == "" {
			v.add("wif.service_account", "", "no target service account", "pass --target-sa ID (e.g. bigquery-runner), or set direct: true to grant the roles to the federated identities themselves")
		} else {
			v.accountID("wif.service_account", w.ServiceAccount, "bigquery-runner")
		}
	}
	v.principals(w)
	v.roles("wif.roles", w.Roles)
}

func (v *validator) poolID(field, id, example string) {
	if id == "" {
		v.add(field, "", "is missing", fmt.Sprintf("set it (%s), e.g. %s", flagFor[field], example))
		return
	}
	if why := poolIDProblem(id); why != "" {
		v.add(field, id, why, "use 4–32 of a-z, 0-9 and '-', e.g. "+example)
	}
}

func (v *validator) issuer(raw string) {
	const field = "wif.provider.issuer_uri"
	if raw == "" {
		v.add(field, "", "is missing", "set the OIDC issuer (--issuer-uri), e.g. https://token.actions.githubusercontent.com")
		return
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "":
		v.add(field, raw, "is not a URL", "use the issuer's https:// URL (the iss claim of its tokens)")
	case u.Scheme != "https":
		v.add(field, raw, "is not https", "Google only accepts https issuers: https://"+u.Host+u.Path)
	case u.RawQuery != "" || u.Fragment != "":
		v.add(field, raw, "has a query or fragment", "use the bare issuer URL: https://"+u.Host+u.Path)
	}
}

// An empty mapping never reaches here: Validate judges the defaults
// (google.subject=assertion.sub).
func (v *validator) mapping(m map[string]string) {
	const field = "wif.provider.attribute_mapping"
	if _, ok := m["google.subject"]; !ok {
		v.add(field, "", "does not map google.subject (OIDC providers must)", "add google.subject=assertion.sub")
	}
	custom := 0
	for _, k := range sortedKeys(m) {
		switch {
		case attributeKeyRE.MatchString(k):
			custom++
		case strings.HasPrefix(k, "google."):
			if !contains(googleKeys, k) {
				v.add(field+"."+k, k, "is not a google.* attribute", "use one of "+strings.Join(googleKeys, ", ")+", or attribute.NAME")
			}
		default:
			v.add(field+"."+k, k, "is not an attribute name (google.* or attribute.NAME with a-z, 0-9, '_')",
				"write attribute."+strings.ToLower(strings.TrimPrefix(k, "attribute.")))
		}
		if strings.TrimSpace(m[k]) == "" {
			v.add(field+"."+k, "", "maps to an empty expression", "map it to a claim, e.g. assertion.sub")
		}
	}
	if custom > 50 {
		v.add(field, "", fmt.Sprintf("has %d custom attributes (at most 50)", custom), "drop the attributes no condition or principal set uses")
	}
}

// principals checks who may use the target SA: exactly one of
// principal_set and principal, in a form that names a mapped attribute.
func (v *validator) principals(w WIF) {
	switch {
	case w.PrincipalSet == "" && w.Principal == "":
		v.add("wif.principal_set", "", "nobody may use the federation", "set --principal-set attribute.NAME/VALUE (e.g. attribute.org/ORG123), or principal: subject/SUB")
		return
	case w.PrincipalSet != "" && w.Principal != "":
		v.add("wif.principal", w.Principal, "is set together with principal_set", "keep one: principal_set for a group of identities, principal for one subject")
		return
	}
	if w.Principal != "" {
		rel, pool := relativeToPool(w.Principal, "principal:")
		v.memberPool("wif.principal", w.Principal, pool)
		if sub, ok := strings.CutPrefix(rel, "subject/"); !ok || sub == "" {
			v.add("wif.principal", w.Principal, "is not subject/SUBJECT", "write subject/ followed by the token's mapped google.subject, e.g. subject/repo:acme/app:ref:refs/heads/main")
		}
		return
	}
	rel, pool := relativeToPool(w.PrincipalSet, "principalSet:")
	v.memberPool("wif.principal_set", w.PrincipalSet, pool)
	const forms = "use attribute.NAME/VALUE (e.g. attribute.org/ORG123), group/GROUP, or * for the whole pool"
	switch {
	case rel == "*":
		// Legal; the engine refuses it without --allow-wildcard.
	case strings.HasPrefix(rel, "attribute."):
		name, value, ok := strings.Cut(strings.TrimPrefix(rel, "attribute."), "/")
		if !ok || value == "" || !attributeKeyRE.MatchString("attribute."+name) {
			v.add("wif.principal_set", w.PrincipalSet, "is not attribute.NAME/VALUE", forms)
		} else if _, mapped := w.Provider.AttributeMapping["attribute."+name]; !mapped {
			v.add("wif.principal_set", w.PrincipalSet, fmt.Sprintf("uses attribute.%s, which the provider does not map", name),
				fmt.Sprintf("add attribute.%s=assertion.CLAIM to the attribute mapping (--attribute-mapping)", name))
		}
	case strings.HasPrefix(rel, "group/"):
		if strings.TrimPrefix(rel, "group/") == "" {
			v.add("wif.principal_set", w.PrincipalSet, "names no group", forms)
		} else if _, mapped := w.Provider.AttributeMapping["google.groups"]; !mapped {
			v.add("wif.principal_set", w.PrincipalSet, "uses groups, but the provider does not map google.groups", "add google.groups=assertion.groups to the attribute mapping (--attribute-mapping)")
		}
	default:
		v.add("wif.principal_set", w.PrincipalSet, "is not a principal set", forms)
	}
}

// memberPool checks that a full principal(Set):// URI names the configured
// pool (pool is "" for a value relative to the pool).
func (v *validator) memberPool(field, value, pool string) {
	if pool != "" && pool != v.c.WIF.Pool.ID {
		v.add(field, value, fmt.Sprintf("names pool %q, but the configured pool is %q", pool, v.c.WIF.Pool.ID), "write it relative to the pool, e.g. attribute.org/ORG123")
	}
}
