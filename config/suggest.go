package config

import "strings"

// suggestTemplate looks for a template close to t that renders a legal ID
// for every user, unique across users and distinct from reserved (the admin
// SA). Each candidate is actually rendered for all users; the first that
// works is returned, "" when none does (e.g. a '.' in a local part, or two
// users with the same local part, which no template over {user.email} can
// fix).
func suggestTemplate(t *tmpl, users []string, project string, reserved ...string) string {
	if !t.perUser() {
		return ""
	}
	for _, idPart := range candidateIDParts(t.idPart) {
		cand := &tmpl{raw: t.withIDPart(idPart), idPart: idPart, domain: t.domain, hasAt: t.hasAt}
		if rendersCleanly(cand, users, project, reserved) {
			return cand.raw
		}
	}
	return ""
}

// candidateIDParts varies the fixed text around {user.email}, closest to
// the original first: a longer prefix (for IDs that are too short), then
// shorter ones (too long), then a letter in front (IDs starting with a
// digit), each with and without the original suffix.
func candidateIDParts(idPart string) []string {
	prefix, suffix, _ := strings.Cut(idPart, PlaceholderUser)
	prefixes := []string{prefix, prefix + "user-"}
	if prefix != "" && isLower(rune(prefix[0])) {
		prefixes = append(prefixes, prefix[:1]+"-")
	}
	prefixes = append(prefixes, "u-", "user-", "")
	suffixes := []string{suffix}
	if suffix != "" {
		suffixes = append(suffixes, "")
	}
	seen := map[string]bool{idPart: true}
	var out []string
	for _, s := range suffixes {
		for _, p := range prefixes {
			c := p + PlaceholderUser + s
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

func rendersCleanly(t *tmpl, users []string, project string, reserved []string) bool {
	seen := map[string]bool{}
	for _, r := range reserved {
		seen[r] = true
	}
	for _, u := range users {
		id := t.accountID(u, project)
		if seen[id] || accountIDProblem(id) != "" {
			return false
		}
		seen[id] = true
	}
	return true
}
