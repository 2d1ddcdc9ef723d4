package config

import (
	"cmp"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Problem is one preflight finding: what is wrong with which value, and a
// concrete fix.
type Problem struct {
	Field   string // YAML key path: "project", "impersonation.users[2]"
	Flag    string // the flag that sets it ("--users"), "" if none
	Value   string // the offending value
	User    string // the user concerned, for per-user problems
	Message string // what is wrong
	Fix     string // what to do about it
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.Field)
	if p.Flag != "" {
		fmt.Fprintf(&b, " (%s)", p.Flag)
	}
	if p.Value != "" && p.User == "" {
		fmt.Fprintf(&b, " %q", p.Value)
	}
	b.WriteString(": ")
	b.WriteString(p.Message)
	if p.Fix != "" {
		b.WriteString("\n    fix: ")
		b.WriteString(p.Fix)
	}
	return b.String()
}

// PreflightError lists every problem Validate found. It is a usage error:
// nothing was sent to Google.
type PreflightError struct {
	Problems []Problem
}

func (e *PreflightError) Error() string {
	var b strings.Builder
	if n := len(e.Problems); n == 1 {
		b.WriteString("1 problem in the configuration:")
	} else {
		fmt.Fprintf(&b, "%d problems in the configuration:", n)
	}
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return b.String()
}

// flagFor maps a YAML key path (indexes stripped) to its flag.
var flagFor = map[string]string{
	"project":                             "--project",
	"name":                                "--name",
	"mode":                                "--mode",
	"impersonation.admin_service_account": "--admin-sa",
	"impersonation.identity_template":     "--template",
	"impersonation.grant":                 "--grant",
	"impersonation.users":                 "--users",
	"impersonation.roles":                 "--roles",
	"oauth.users":                         "--users",
	"oauth.roles":                         "--roles",
	"oauth.client_file":                   "--oauth-client",
	"wif.roles":                           "--roles",
	"wif.pool.id":                         "--pool",
	"wif.provider.id":                     "--provider",
	"wif.provider.issuer_uri":             "--issuer-uri",
	"wif.provider.attribute_mapping":      "--attribute-mapping",
	"wif.provider.attribute_condition":    "--attribute-condition",
	"wif.provider.allowed_audiences":      "--allowed-audiences",
	"wif.service_account":                 "--target-sa",
	"wif.principal_set":                   "--principal-set",
	"audit.data_access_logs":              "--data-access-logs",
	"verifier":                            "--verifier",
	"admin_key_file":                      "--admin-key-file",
	"hoop_policy":                         "--hoop-policy",
	"concurrency":                         "--concurrency",
	"wait":                                "--wait",
	"hoop_token_ttl":                      "--hoop-token-ttl",
}

var indexRE = lazyregexp.New(`\[\d+\]`)

type validator struct {
	c        *Config
	problems []Problem
}

func (v *validator) add(field, value, msg, fix string) {
	v.problems = append(v.problems, Problem{
		Field: field, Flag: flagFor[indexRE.ReplaceAllString(field, "")],
		Value: value, Message: msg, Fix: fix,
	})
}

// Validate is the preflight: it checks the whole configuration without any
// API call and returns a *PreflightError listing every problem (not just
// the first), or nil. Run it after Apply, the project fallback and
// ApplyDefaults; empty fields are judged as their defaults.
func (c *Config) Validate() error {
	// Judge a copy with the defaults in place, so that Validate agrees with
	// what the engine will do whether or not the caller ran ApplyDefaults.
	// (A shallow copy suffices: ApplyDefaults only assigns fields.)
	cc := *c
	cc.ApplyDefaults()
	v := &validator{c: &cc}
	c = &cc
	v.project()
	if why := FederationNameProblem(c.FederationName()); why != "" {
		v.add("name", c.Name, why, "use 1–30 lowercase letters, digits and '-', e.g. "+DefaultName+" or hoop-prod")
	}
	v.common()
	switch c.effectiveMode() {
	case ModeImpersonation:
		v.impersonation()
	case ModeWIF:
		v.wif()
	case ModeOAuth:
		v.users("oauth.users", c.OAuth.Users)
		v.roles("oauth.roles", c.OAuth.Roles)
		v.oauthClient()
	default:
		v.add("mode", string(c.Mode), "is not a mode", "use impersonation, wif or oauth")
	}
	if len(v.problems) == 0 {
		return nil
	}
	return &PreflightError{Problems: v.problems}
}

func (v *validator) project() {
	p := v.c.Project
	if p == "" {
		v.add("project", "", "no project", "pass --project, set project: in the file, or set CLOUDSDK_CORE_PROJECT / gcloud's core/project")
		return
	}
	if why := projectIDProblem(p); why != "" {
		fix := "use the project ID shown by `gcloud projects list` (6–30 lowercase letters, digits and hyphens)"
		if l := strings.ToLower(p); l != p && projectIDProblem(l) == "" {
			fix = "write it in lowercase: " + l
		}
		v.add("project", p, why, fix)
	}
}

var (
	sinkNameRE = lazyregexp.New(`^[A-Za-z0-9_.-]{1,100}$`)
	datasetRE  = lazyregexp.New(`^[A-Za-z0-9_]+$`) // plus a 1024-character limit
)

// common checks keys that apply in every mode.
func (v *validator) common() {
	c := v.c
	if c.Verifier != "" {
		if why, fix := memberProblem(c.Verifier); why != "" {
			v.add("verifier", c.Verifier, why, fix)
		}
	}
	if c.Concurrency < 0 {
		v.add("concurrency", strconv.Itoa(c.Concurrency), "is negative", "use a positive number, or omit it for the default")
	}
	if c.Wait < 0 {
		v.add("wait", c.Wait.String(), "is negative", "use a duration such as 2m, or omit it for the default")
	}
	if ttl := c.HoopTokenTTL; ttl != 0 {
		switch {
		case c.HoopPolicy == "":
			v.add("hoop_token_ttl", ttl.String(), "is the lifetime written to Hoop's policy, and no --hoop-policy is written", "add --hoop-policy FILE, or remove --hoop-token-ttl")
		case ttl < time.Second || ttl > 12*time.Hour || ttl%time.Second != 0:
			// Hoop accepts 1..43200 s (hoophq/hoop gateway/api/connections/connection_federation.go).
			v.add("hoop_token_ttl", ttl.String(), "is outside Hoop's 1s–12h in whole seconds", "use a duration such as 1h (the default) or 8h")
		}
	}
	if c.HoopPolicy != "" && c.effectiveMode() == ModeWIF {
		v.add("hoop_policy", c.HoopPolicy, "Hoop has no federation provider for Workload Identity Federation (its providers are gcp_iam for impersonation and gcp_oauth for oauth)", "remove --hoop-policy, or use --mode impersonation or --mode oauth")
	}
	if c.AdminKeyFile != "" && c.effectiveMode() != ModeImpersonation {
		v.add("admin_key_file", c.AdminKeyFile, fmt.Sprintf("only impersonation mode has an admin SA (mode is %s)", c.effectiveMode()), "remove --admin-key-file")
	}
	v.sink(c.Audit.Sink)
}

func (v *validator) sink(s Sink) {
	if s.IsZero() {
		return
	}
	if s.Name != "" && !sinkNameRE.MatchString(s.Name) {
		v.add("audit.sink.name", s.Name, "is not a log sink name (up to 100 of A-Z, a-z, 0-9, '_', '-', '.')", "use e.g. "+DefaultSinkName)
	}
	if s.Dataset != "" && (!datasetRE.MatchString(s.Dataset) || len(s.Dataset) > 1024) {
		v.add("audit.sink.dataset", s.Dataset, "is not a BigQuery dataset ID (letters, digits and '_')", "use e.g. "+strings.NewReplacer("-", "_", ".", "_").Replace(s.Dataset))
	}
}

// Problems are the problems of the sink's IDs, as Validate finds them
// (for `audit sink create`, whose flags set the sink alone).
func (s Sink) Problems() []Problem {
	v := &validator{}
	v.sink(s)
	return v.problems
}

func (v *validator) users(field string, users []string) {
	if len(users) == 0 {
		v.add(field, "", "no users", "list them under "+field+", or pass --users a@x.com,b@x.com or --users-file FILE")
		return
	}
	for i, u := range users {
		if why, fix := emailProblem(u); why != "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), u, "is not an email address: it "+why, fix)
		}
	}
}

func (v *validator) roles(field string, roles []string) {
	for i, r := range roles {
		if why, fix := roleProblem(r); why != "" {
			v.add(fmt.Sprintf("%s[%d]", field, i), r, why, fix)
		}
	}
}

// accountID checks an SA account ID field (admin SA, target SA).
func (v *validator) accountID(field, id, example string) {
	if why := accountIDProblem(id); why != "" {
		fix := "use an ID such as " + example
		if local, _, isEmail := strings.Cut(id, "@"); isEmail && accountIDProblem(local) == "" {
			fix = "give the account ID only, without the domain: " + local
		}
		v.add(field, id, why, fix)
	}
}

func (v *validator) impersonation() {
	im := v.c.Impersonation
	admin := cmp.Or(im.AdminServiceAccount, DefaultAdminSA)
	v.accountID("impersonation.admin_service_account", admin, DefaultAdminSA)
	if g := cmp.Or(im.Grant, DefaultGrant); g != GrantPerUser && g != GrantProject {
		v.add("impersonation.grant", string(g), "is not a grant pattern", "use per-user (Token Creator on each user SA) or project (on the whole project)")
	}
	v.users("impersonation.users", im.Users)
	v.roles("impersonation.roles", im.Roles)

	t, err := v.c.template()
	if err != nil {
		re := err.(*RenderError)
		v.add("impersonation.identity_template", re.Template, re.Reason, re.Fix)
		return
	}
	v.identities(t, admin)
}

// identities checks the rendered SA of every (syntactically valid) user:
// legal, unique across users, not the admin SA, in this project.
func (v *validator) identities(t *tmpl, admin string) {
	const field = "impersonation.identity_template"
	project := v.c.Project
	if project != "" && t.hasAt {
		dom := strings.ReplaceAll(t.domain, PlaceholderProject, saProject(project))
		if want := ServiceAccountDomain(project); dom != want {
			v.add(field, t.raw, fmt.Sprintf("renders emails @%s, but this project's service accounts are @%s", dom, want), "end the template with @{project}.iam.gserviceaccount.com")
		}
	}

	var users []string
	for _, u := range v.c.Impersonation.Users {
		if ValidEmail(u) {
			users = append(users, u)
		}
	}
	if !t.perUser() {
		// One shared SA: check the one ID it renders.
		id := t.accountID("shared@example.com", project)
		if why := accountIDProblem(id); why != "" {
			v.add(field, t.raw, fmt.Sprintf("renders the shared SA ID %q, which %s", id, why), "make it 6–30 characters of a-z, 0-9 and '-', starting with a letter")
		} else if id == admin {
			v.add(field, t.raw, fmt.Sprintf("renders the shared SA ID %q, which is the admin SA", id), "the admin SA must not be a user SA: choose another ID")
		}
		return
	}

	type rendered struct{ user, id, why string }
	var all []rendered
	byID := map[string][]string{}
	bad := false
	for _, u := range users {
		r := rendered{user: u, id: t.accountID(u, project)}
		r.why = accountIDProblem(r.id)
		if r.why != "" || r.id == admin {
			bad = true
		}
		byID[r.id] = append(byID[r.id], u)
		all = append(all, r)
	}
	var dupIDs []string
	for id, us := range byID {
		if len(us) > 1 {
			dupIDs = append(dupIDs, id)
		}
	}
	if !bad && len(dupIDs) == 0 {
		return
	}
	slices.Sort(dupIDs)

	suggestion := ""
	if s := suggestTemplate(t, users, project, admin); s != "" {
		suggestion = fmt.Sprintf("use --template %q (identity_template), which renders a legal, unique ID for %s", s, allUsers(len(users)))
	}
	fixOr := func(static string) string {
		if suggestion != "" {
			return suggestion
		}
		return static
	}

	for _, r := range all {
		p := Problem{Field: field, Flag: "--template", Value: t.raw, User: r.user}
		switch {
		case r.why != "":
			p.Message = fmt.Sprintf("%s renders %q, which %s", r.user, r.id, r.why)
			p.Fix = fixOr(t.staticFix(r.user, r.id))
		case r.id == admin:
			p.Message = fmt.Sprintf("%s renders %q, which is the admin SA's ID", r.user, r.id)
			p.Fix = fixOr("choose another admin SA ID (--admin-sa) or a template with a prefix the admin SA does not share")
		default:
			continue
		}
		v.problems = append(v.problems, p)
	}
	for _, id := range dupIDs {
		us := byID[id]
		v.problems = append(v.problems, Problem{
			Field: field, Flag: "--template", Value: t.raw, User: strings.Join(us, ", "),
			Message: fmt.Sprintf("%s all render %q; each user needs their own SA", joinAnd(us), id),
			Fix: fixOr("{user.email} is only the part before '@' (lowercased), so these users collide under any template: " +
				"keep one of them, or list the others under a different alias"),
		})
	}
}

func joinAnd(s []string) string {
	if len(s) <= 1 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " and " + s[len(s)-1]
}

// allUsers is "the one user" or "all 7 users".
func allUsers(n int) string {
	if n == 1 {
		return "the one user"
	}
	return fmt.Sprintf("all %d users", n)
}

var federationNameRE = lazyregexp.New(`^[a-z0-9-]{1,30}$`)

// FederationNameProblem says what is wrong with a federation name ("" when
// it is valid: 1–30 of [a-z0-9-], SPEC §7.1).
func FederationNameProblem(name string) string {
	if !federationNameRE.MatchString(name) {
		return "is not a federation name (1–30 of a-z, 0-9 and '-')"
	}
	return ""
}
