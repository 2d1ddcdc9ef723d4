package config

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"strings"
)

// Identity template placeholders (SPEC §2).
const (
	// PlaceholderUser is the local part of the user's email (before the
	// last '@'), lowercased.
	PlaceholderUser = "{user.email}"
	// PlaceholderProject is the project ID.
	PlaceholderProject = "{project}"
)

// Identity is one user's rendered service account.
type Identity struct {
	User      string // the user's email, lowercased
	AccountID string // e.g. fedctl-alice
	Email     string // e.g. fedctl-alice@my-proj.iam.gserviceaccount.com
}

// RenderError is a template that cannot render a legal service account for
// a user (or at all, when User is "").
type RenderError struct {
	Template  string
	User      string // "" for a problem with the template itself
	AccountID string // the rendered (illegal) ID, when one was rendered
	Reason    string
	Fix       string
}

func (e *RenderError) Error() string {
	var msg string
	switch {
	case e.User == "":
		msg = fmt.Sprintf("identity template %q %s", e.Template, e.Reason)
	case e.AccountID != "":
		msg = fmt.Sprintf("identity template renders %q for %s, which %s", e.AccountID, e.User, e.Reason)
	default:
		msg = fmt.Sprintf("identity template cannot render %s: %s", e.User, e.Reason)
	}
	if e.Fix != "" {
		msg += ": " + e.Fix
	}
	return msg
}

// RenderIdentity renders template for a user's email in project and
// returns the service account email and account ID.
//
// {user.email} is the local part of the email (everything before the LAST
// '@'), lowercased: Google account emails are case-insensitive and SA IDs
// are lowercase, so Alice@acme.com and alice@acme.com are the same user and
// get the same SA. Nothing else is sanitised: a local part with '.', '_' or
// '+' renders an illegal ID, which is an error (SPEC §2), never silently
// rewritten into a different name. A template may omit the "@domain" part
// ("fedctl-{user.email}"); the project's SA domain is then implied.
//
// On an illegal rendering the error is a *RenderError and the rendered
// email and ID are still returned, so callers can show them.
func RenderIdentity(template, email, project string) (saEmail, accountID string, err error) {
	t, err := parseTemplate(template)
	if err != nil {
		return "", "", err
	}
	id, err := t.render(email, project)
	return id.Email, id.AccountID, err
}

// tmpl is a parsed identity template.
type tmpl struct {
	raw    string
	idPart string // before the last '@' (the whole template when no '@')
	domain string // after the last '@'; "" when the template has none
	hasAt  bool
}

var placeholderRE = lazyregexp.New(`\{[^{}]*\}`)

func parseTemplate(raw string) (*tmpl, error) {
	fail := func(reason, fix string) error {
		return &RenderError{Template: raw, Reason: reason, Fix: fix}
	}
	if strings.TrimSpace(raw) == "" {
		return nil, fail("is empty", "use "+DefaultIdentityTemplate)
	}
	for _, ph := range placeholderRE.FindAllString(raw, -1) {
		if ph != PlaceholderUser && ph != PlaceholderProject {
			fix := "the known placeholders are {user.email} (the email's local part) and {project}"
			if s := closest(ph, []string{PlaceholderUser, PlaceholderProject}); s != "" {
				fix = fmt.Sprintf("did you mean %s? (%s)", s, fix)
			}
			return nil, fail(fmt.Sprintf("has unknown placeholder %s", ph), fix)
		}
	}
	if rest := placeholderRE.ReplaceAllString(raw, ""); strings.ContainsAny(rest, "{}") {
		return nil, fail("has an unmatched '{' or '}'", "write placeholders as {user.email} and {project}")
	}
	t := &tmpl{raw: raw, idPart: raw}
	if at := strings.LastIndex(raw, "@"); at >= 0 {
		t.idPart, t.domain, t.hasAt = raw[:at], raw[at+1:], true
		if strings.Contains(t.domain, PlaceholderUser) {
			return nil, fail("uses {user.email} after the '@'", "the part after '@' must be {project}.iam.gserviceaccount.com")
		}
	}
	return t, nil
}

// perUser reports whether the template names one SA per user; without
// {user.email} every user shares one SA (SPEC §1 "or one shared SA").
func (t *tmpl) perUser() bool { return strings.Contains(t.idPart, PlaceholderUser) }

// accountID renders the ID part alone, unvalidated.
func (t *tmpl) accountID(email, project string) string {
	return strings.NewReplacer(PlaceholderUser, localPart(email), PlaceholderProject, project).Replace(t.idPart)
}

// render renders and validates one user's identity.
func (t *tmpl) render(email, project string) (Identity, error) {
	id := Identity{User: strings.ToLower(email), AccountID: t.accountID(email, project)}
	id.Email = id.AccountID + "@" + ServiceAccountDomain(project)
	if t.hasAt {
		// In the domain, {project} is the project as SA domains spell it
		// (proj.example.com for the legacy example.com:proj).
		id.Email = id.AccountID + "@" + strings.ReplaceAll(t.domain, PlaceholderProject, saProject(project))
	}
	if !strings.Contains(email, "@") {
		return id, &RenderError{Template: t.raw, User: email, Reason: "is not an email address"}
	}
	if why := accountIDProblem(id.AccountID); why != "" {
		return id, &RenderError{Template: t.raw, User: email, AccountID: id.AccountID, Reason: why, Fix: t.staticFix(email, id.AccountID)}
	}
	if want := ServiceAccountDomain(project); t.hasAt && project != "" && !strings.HasSuffix(id.Email, "@"+want) {
		return id, &RenderError{Template: t.raw, User: email, AccountID: id.AccountID,
			Reason: fmt.Sprintf("is a legal ID but the email %s is not in project %s", id.Email, project),
			Fix:    "end the template with @{project}.iam.gserviceaccount.com"}
	}
	return id, nil
}

// localPart is the email before its last '@', lowercased.
func localPart(email string) string {
	if at := strings.LastIndex(email, "@"); at >= 0 {
		email = email[:at]
	}
	return strings.ToLower(email)
}

// withIDPart returns the full template with its ID part replaced.
func (t *tmpl) withIDPart(idPart string) string {
	if t.hasAt {
		return idPart + "@" + t.domain
	}
	return idPart
}

// staticFix explains how to fix one illegal rendering when no tested
// alternative template is known (Validate tries candidates first).
func (t *tmpl) staticFix(email, id string) string {
	local := localPart(email)
	if t.perUser() {
		if bad := illegalRunes(local, isIDRune); bad != "" {
			return fmt.Sprintf("{user.email} is the local part %q as-is, and %s cannot appear in an SA ID, so no template can give this user a per-user SA: list the user under an alias without it, remove the user, or use one shared SA (a template without {user.email})", local, bad)
		}
		if len(local) > 30 {
			return fmt.Sprintf("the local part %q alone is %d characters: list the user under a shorter alias", local, len(local))
		}
	}
	prefix, _, _ := strings.Cut(t.idPart, PlaceholderUser)
	switch {
	case len(id) > 30:
		return fmt.Sprintf("shorten the fixed text around {user.email} (%q)", strings.ReplaceAll(t.idPart, PlaceholderUser, ""))
	case len(id) < 6:
		return fmt.Sprintf("add fixed text, e.g. --template %q", t.withIDPart(prefix+"user-"+strings.TrimPrefix(t.idPart, prefix)))
	case !isLower(rune(id[0])):
		return fmt.Sprintf("start the ID with a letter, e.g. --template %q", t.withIDPart("u-"+t.idPart))
	}
	return "make the ID part of the template render 6–30 characters of a-z, 0-9 and '-', starting with a letter and ending with a letter or digit"
}
