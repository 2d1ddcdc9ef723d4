package wizard

import (
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/internal/lazyregexp"
)

// fieldLabels name the configuration's fields as the wizard's screens do:
// the wizard speaks of its fields, not of YAML keys and flags.
var fieldLabels = []struct{ prefix, label string }{
	{"impersonation.users", "Users"},
	{"oauth.users", "Users"},
	{"impersonation.roles", "Data roles"},
	{"oauth.roles", "Data roles"},
	{"impersonation.identity_template", "Template"},
	{"impersonation.grant", "Token Creator"},
	{"impersonation.admin_service_account", "Admin SA"},
	{"verifier", "Verifier"},
	{"project", "Project"},
}

var (
	flagValue  = lazyregexp.New(`--template ("[^"]*")`)
	keyInParen = lazyregexp.New(` \([a-z_.]+\)`)
)

// problemText is a preflight problem in the wizard's terms.
func problemText(p config.Problem) string {
	label := p.Field
	for _, l := range fieldLabels {
		if strings.HasPrefix(p.Field, l.prefix) {
			label = l.label
			break
		}
	}
	var b strings.Builder
	b.WriteString(label)
	switch {
	case p.User != "":
		fmt.Fprintf(&b, " for %s", p.User)
	case p.Value != "":
		fmt.Fprintf(&b, " %q", p.Value)
	}
	b.WriteString(": " + p.Message)
	if fix := wizardFix(p); fix != "" {
		b.WriteString("; " + fix)
	}
	return b.String()
}

// wizardFix is a problem's fix without flags and YAML keys.
func wizardFix(p config.Problem) string {
	if p.Message == "no users" {
		return "type at least one email, or load a users file (ctrl+o)"
	}
	fix := flagValue.ReplaceAllString(p.Fix, "the template $1")
	fix = keyInParen.ReplaceAllString(fix, "")
	if strings.Contains(fix, "--") {
		return "" // a scripted-path remedy: the message says what is wrong
	}
	return fix
}

// patternBWarning is engine.PatternBWarning in the wizard's terms (its
// choices are A and B, not --grant values).
const patternBWarning = "Pattern B: the admin service account can impersonate EVERY service account in the project, not only the fedctl users'. Prefer A unless you need it."
