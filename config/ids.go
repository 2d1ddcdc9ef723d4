package config

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Syntax rules for the names fedctl sends to Google. Each check returns ""
// when the value is fine, else a reason phrased to follow the value or
// "which" ("is 2 characters long (…); starts with '1' (…)"). Fixes are added by the caller, which
// knows the context (flag, key, users).

// accountIDProblem checks a service account ID: 6–30 characters of
// [a-z0-9-], starting with a letter, ending with a letter or digit
// (iam v1 CreateServiceAccountRequest.accountId).
func accountIDProblem(id string) string {
	var why []string
	if n := utf8.RuneCountInString(id); n < 6 || n > 30 {
		why = append(why, fmt.Sprintf("is %s long (service account IDs are 6–30)", characters(n)))
	}
	if bad := illegalRunes(id, isIDRune); bad != "" {
		why = append(why, fmt.Sprintf("contains %s (service account IDs allow only a-z, 0-9 and '-')", bad))
	}
	// An uppercase letter is already named as not allowed: "starts with
	// 'A' (it must start with a letter)" would contradict itself.
	if first, _ := utf8.DecodeRuneInString(id); id != "" && !isLower(first) && !isUpper(first) {
		why = append(why, fmt.Sprintf("starts with %s (it must start with a lowercase letter)", runeName(first)))
	}
	if last, _ := utf8.DecodeLastRuneInString(id); id != "" && !isLowerOrDigit(last) && !isUpper(last) {
		why = append(why, fmt.Sprintf("ends with %s (it must end with a letter or digit)", runeName(last)))
	}
	return strings.Join(why, "; ")
}

// ValidAccountID reports whether id is a legal service account ID.
func ValidAccountID(id string) bool { return accountIDProblem(id) == "" }

func isLower(r rune) bool { return r >= 'a' && r <= 'z' }
func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

// runeName shows a character in a message: quoted, and named when
// quoting would not show it.
func runeName(r rune) string {
	switch {
	case r == ' ':
		return "a space"
	case r == utf8.RuneError:
		return "an invalid character"
	case !unicode.IsPrint(r):
		return fmt.Sprintf("%U", r)
	}
	return fmt.Sprintf("'%c'", r)
}

// characters is "1 character" or "7 characters".
func characters(n int) string {
	if n == 1 {
		return "1 character"
	}
	return fmt.Sprintf("%d characters", n)
}
func isLowerOrDigit(r rune) bool { return isLower(r) || (r >= '0' && r <= '9') }
func isIDRune(r rune) bool       { return isLowerOrDigit(r) || r == '-' }

// illegalRunes lists, quoted and in first-seen order, the distinct runes of
// s that ok rejects ("'.' and '_'").
func illegalRunes(s string, ok func(rune) bool) string {
	var bad []string
	for _, r := range s {
		q := fmt.Sprintf("'%c'", r)
		if !ok(r) && !slices.Contains(bad, q) {
			bad = append(bad, q)
		}
	}
	switch len(bad) {
	case 0:
		return ""
	case 1:
		return bad[0]
	}
	return strings.Join(bad[:len(bad)-1], ", ") + " and " + bad[len(bad)-1]
}

var (
	projectIDRE = lazyregexp.New(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	hostnameRE  = lazyregexp.New(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	digitsRE    = lazyregexp.New(`^[0-9]+$`)
)

// projectIDProblem checks a project ID: 6–30 characters, lowercase letters,
// digits and hyphens, starting with a letter and not ending with a hyphen;
// legacy domain-scoped IDs (example.com:my-proj) are accepted.
func projectIDProblem(p string) string {
	if domain, id, scoped := strings.Cut(p, ":"); scoped {
		if !hostnameRE.MatchString(domain) {
			return fmt.Sprintf("has domain prefix %q, which is not a domain name", domain)
		}
		if why := projectIDProblem(id); why != "" {
			return "after the domain: " + why
		}
		return ""
	}
	switch {
	case digitsRE.MatchString(p):
		return "is a project number; fedctl needs the project ID (service account emails are built from it)"
	case p != strings.ToLower(p):
		return "has uppercase letters; project IDs are lowercase"
	case projectIDRE.MatchString(p):
		return ""
	}
	var why []string
	if n := len(p); n < 6 || n > 30 {
		why = append(why, fmt.Sprintf("is %s long; project IDs are 6–30", characters(n)))
	}
	if bad := illegalRunes(p, isIDRune); bad != "" {
		why = append(why, fmt.Sprintf("contains %s (only a-z, 0-9 and '-')", bad))
	}
	if p != "" && !isLower(rune(p[0])) {
		why = append(why, "must start with a letter")
	}
	if strings.HasSuffix(p, "-") {
		why = append(why, "must not end with '-'")
	}
	return strings.Join(why, "; ")
}

// ServiceAccountDomain is the domain of a project's service account emails:
// PROJECT.iam.gserviceaccount.com, or for a domain-scoped project
// example.com:proj, proj.example.com.iam.gserviceaccount.com.
func ServiceAccountDomain(project string) string {
	return saProject(project) + ".iam.gserviceaccount.com"
}

// ServiceAccountEmail is the email of account ID id in project.
func ServiceAccountEmail(id, project string) string {
	return id + "@" + ServiceAccountDomain(project)
}

// saProject is the project as it appears in a service account domain.
func saProject(project string) string {
	if domain, id, scoped := strings.Cut(project, ":"); scoped {
		return id + "." + domain
	}
	return project
}

var (
	dotAtomRE = lazyregexp.New("^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
	quotedRE  = lazyregexp.New(`^"(?:[^"\\\r\n]|\\.)+"$`)
)

// emailProblem checks an email address (a user's Google account) and
// returns the reason and a fix.
func emailProblem(s string) (why, fix string) {
	if s == "" {
		return "is empty", "remove the empty entry"
	}
	for _, prefix := range []string{"user:", "group:", "serviceAccount:"} {
		if strings.HasPrefix(s, prefix) {
			return "is an IAM member, not an email", fmt.Sprintf("drop the %q prefix: %s", prefix, strings.TrimPrefix(s, prefix))
		}
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return "contains whitespace", "remove the spaces (one email per entry)"
	}
	at := strings.LastIndex(s, "@")
	if at < 0 {
		return "has no '@'", "write the full address, e.g. " + s + "@example.com"
	}
	local, domain := s[:at], s[at+1:]
	switch {
	case local == "":
		return "has nothing before the '@'", "write the full address, e.g. name" + s
	case domain == "":
		return "has nothing after the '@'", "add the domain, e.g. " + s + "example.com"
	case len(local) > 64:
		return fmt.Sprintf("has a %d-character local part (at most 64)", len(local)), "check the address"
	case !dotAtomRE.MatchString(local) && !quotedRE.MatchString(local):
		return fmt.Sprintf("has an invalid part before the '@' (%q)", local), "check the address"
	case !hostnameRE.MatchString(strings.ToLower(domain)):
		return fmt.Sprintf("has an invalid domain %q", domain), "check the domain, e.g. acme.com"
	}
	return "", ""
}

// ValidEmail reports whether s is a syntactically valid email address.
func ValidEmail(s string) bool { why, _ := emailProblem(s); return why == "" }

var (
	predefinedRoleRE = lazyregexp.New(`^roles/[A-Za-z][A-Za-z0-9_.]*[A-Za-z0-9]$`)
	customRoleIDRE   = lazyregexp.New(`^[A-Za-z0-9_.]{3,64}$`)
	bareRoleRE       = lazyregexp.New(`^[a-z][A-Za-z0-9]*\.[A-Za-z][A-Za-z0-9_.]*$`)
)

// roleProblem checks an IAM role name: roles/x.y (predefined),
// projects/P/roles/X or organizations/N/roles/X (custom).
func roleProblem(r string) (why, fix string) {
	const forms = "roles/SERVICE.ROLE, projects/PROJECT/roles/ID or organizations/NUMBER/roles/ID"
	switch {
	case predefinedRoleRE.MatchString(r):
		return "", ""
	case strings.HasPrefix(r, "projects/"):
		parts := strings.Split(r, "/")
		if len(parts) == 4 && parts[2] == "roles" && projectIDProblem(parts[1]) == "" && customRoleIDRE.MatchString(parts[3]) {
			return "", ""
		}
	case strings.HasPrefix(r, "organizations/"):
		parts := strings.Split(r, "/")
		if len(parts) == 4 && parts[2] == "roles" && digitsRE.MatchString(parts[1]) && customRoleIDRE.MatchString(parts[3]) {
			return "", ""
		}
	case bareRoleRE.MatchString(r):
		return "is missing the roles/ prefix", "write roles/" + r
	case strings.HasPrefix(r, "role/"):
		return "starts with role/", "write roles/" + strings.TrimPrefix(r, "role/")
	}
	return "is not an IAM role name", "use one of " + forms
}

// memberProblem checks an IAM member that must be able to call Google
// (the verifier).
func memberProblem(m string) (why, fix string) {
	kind, rest, ok := strings.Cut(m, ":")
	if strings.HasPrefix(m, "principal://") || strings.HasPrefix(m, "principalSet://") {
		return "", ""
	}
	if !ok {
		if ValidEmail(m) {
			return "has no member type", "write user:" + m + " (or serviceAccount:/group:)"
		}
		return "is not an IAM member", "use user:EMAIL, serviceAccount:EMAIL or group:EMAIL"
	}
	switch kind {
	case "user", "serviceAccount", "group":
		if why, fix := emailProblem(rest); why != "" {
			return "has an email that " + why, fix
		}
		return "", ""
	}
	return fmt.Sprintf("has member type %q, which cannot verify", kind), "use user:EMAIL, serviceAccount:EMAIL or group:EMAIL"
}

// poolIDProblem checks a workload identity pool or provider ID: 4–32
// characters of [a-z0-9-]; the prefix gcp- is reserved by Google
// (iam v1 workloadIdentityPoolId / workloadIdentityPoolProviderId).
func poolIDProblem(id string) string {
	var why []string
	if n := len(id); n < 4 || n > 32 {
		why = append(why, fmt.Sprintf("is %s long (IDs are 4–32)", characters(n)))
	}
	if bad := illegalRunes(id, isIDRune); bad != "" {
		why = append(why, fmt.Sprintf("contains %s (only a-z, 0-9 and '-')", bad))
	}
	if strings.HasPrefix(id, "gcp-") {
		why = append(why, "starts with gcp- (reserved by Google)")
	}
	return strings.Join(why, "; ")
}
