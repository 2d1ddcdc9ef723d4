package wizard

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
)

// field is a focusable part of the Identities screen.
type field int

const (
	fieldUsers field = iota
	fieldTemplate
	fieldGrant
	fieldRoles
	fieldCustomRoles
)

// identitiesScreen collects users, the identity template (with a live
// preview of every rendered SA), the Token Creator pattern and the data
// roles.
type identitiesScreen struct {
	s      *session
	users  textarea.Model
	tmpl   textinput.Model
	grant  config.Grant
	roles  *rolePicker
	focus  field
	width  int
	height int

	// file is the "load users from a file" prompt, when open.
	file     *textinput.Model
	fileErr  string
	fileNote string

	// problems are the preflight's findings, shown after a refused Enter.
	problems []config.Problem
}

// usersFileMsg is a users file read for the Identities screen.
type usersFileMsg struct {
	path  string
	users []string
	err   error
}

func newIdentitiesScreen(s *session) *identitiesScreen {
	cfg := s.cfg
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = "│ "
	ta.CharLimit = 0
	ta.MaxHeight = 0
	ta.Placeholder = "alice@acme.com, bob@acme.com — one per line, comma lists and pastes work"
	ta.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("ctrl+j", "alt+enter"))
	ta.SetHeight(4)
	ta.SetValue(strings.Join(cfg.Users(), "\n"))

	tm := textinput.New()
	tm.Prompt = ""
	tm.CharLimit = 200
	tm.SetValue(cmpOr(cfg.Impersonation.IdentityTemplate, config.DefaultIdentityTemplate))

	return &identitiesScreen{s: s, users: ta, tmpl: tm, grant: cmpOr(cfg.Impersonation.Grant, config.DefaultGrant), roles: newRolePicker(cfg.Roles())}
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (sc *identitiesScreen) impersonation() bool {
	return sc.s.cfg.Mode == config.ModeImpersonation || sc.s.cfg.Mode == ""
}

// fields are the focusable fields in the current mode, in Tab order.
func (sc *identitiesScreen) fields() []field {
	if sc.impersonation() {
		return []field{fieldUsers, fieldTemplate, fieldGrant, fieldRoles, fieldCustomRoles}
	}
	return []field{fieldUsers, fieldRoles, fieldCustomRoles}
}

func (sc *identitiesScreen) typing() bool {
	return sc.file != nil || sc.focus == fieldUsers || sc.focus == fieldTemplate || sc.focus == fieldCustomRoles
}

func (sc *identitiesScreen) setSize(w, h int) {
	sc.width, sc.height = w, h
	sc.users.SetWidth(min(w-2, 100))
	sc.tmpl.Width = min(w-14, 80)
	sc.roles.custom.Width = min(w-4, 80)
}

func (sc *identitiesScreen) enter() tea.Cmd {
	if !slices.Contains(sc.fields(), sc.focus) {
		sc.focus = fieldUsers
	}
	return sc.setFocus(sc.focus)
}

func (sc *identitiesScreen) setFocus(f field) tea.Cmd {
	sc.focus = f
	sc.users.Blur()
	sc.tmpl.Blur()
	sc.roles.custom.Blur()
	switch f {
	case fieldUsers:
		return sc.users.Focus()
	case fieldTemplate:
		return sc.tmpl.Focus()
	case fieldCustomRoles:
		return sc.roles.custom.Focus()
	}
	return nil
}

func (sc *identitiesScreen) update(msg tea.Msg) tea.Cmd {
	if m, ok := msg.(usersFileMsg); ok {
		return sc.fileLoaded(m)
	}
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return sc.updateInputs(msg)
	}
	if sc.file != nil {
		return sc.updateFilePrompt(km)
	}
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit):
		return abort
	case key.Matches(km, k.Back):
		return goTo(stepMode)
	case key.Matches(km, k.LoadFile):
		in := textinput.New()
		in.Prompt = ""
		in.Placeholder = "users.txt"
		in.Width = min(sc.width-20, 60)
		sc.file, sc.fileErr = &in, ""
		return sc.file.Focus()
	}
	if cmd, ok := focusNav(km, k, sc.fields(), sc.focus, sc.setFocus, sc.submit); ok {
		return cmd
	}
	switch sc.focus {
	case fieldGrant:
		if key.Matches(km, k.Toggle, k.Up, k.Down) || km.String() == "left" || km.String() == "right" {
			if sc.grant == config.GrantProject {
				sc.grant = config.GrantPerUser
			} else {
				sc.grant = config.GrantProject
			}
		}
		return nil
	case fieldRoles:
		sc.roles.updateList(km, k)
		return nil
	}
	return sc.updateInputs(km)
}

// updateInputs hands a message to the focused text field (and cursor
// blinks to every field, which ignore the others' blinks).
func (sc *identitiesScreen) updateInputs(msg tea.Msg) tea.Cmd {
	var c1, c2, c3 tea.Cmd
	_, isKey := msg.(tea.KeyMsg)
	if !isKey || sc.focus == fieldUsers {
		sc.users, c1 = sc.users.Update(msg)
	}
	if !isKey || sc.focus == fieldTemplate {
		sc.tmpl, c2 = sc.tmpl.Update(msg)
	}
	if !isKey || sc.focus == fieldCustomRoles {
		sc.roles.custom, c3 = sc.roles.custom.Update(msg)
	}
	if isKey {
		sc.problems = nil // stale once something was edited
	}
	return tea.Batch(c1, c2, c3)
}

func (sc *identitiesScreen) updateFilePrompt(km tea.KeyMsg) tea.Cmd {
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit):
		return abort
	case key.Matches(km, k.Cancel):
		sc.file = nil
		return sc.setFocus(sc.focus)
	case key.Matches(km, k.Next):
		path := strings.TrimSpace(sc.file.Value())
		if path == "" {
			sc.fileErr = "type the path of a users file"
			return nil
		}
		return func() tea.Msg {
			users, err := config.ReadUsersFile(expandHome(path))
			return usersFileMsg{path: path, users: users, err: err}
		}
	}
	var cmd tea.Cmd
	*sc.file, cmd = sc.file.Update(km)
	return cmd
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return home + "/" + rest
		}
	}
	return p
}

// fileLoaded appends a users file's entries to the users box.
func (sc *identitiesScreen) fileLoaded(m usersFileMsg) tea.Cmd {
	if sc.file == nil {
		return nil
	}
	if m.err != nil {
		sc.fileErr = m.err.Error()
		return nil
	}
	text := strings.TrimRight(sc.users.Value(), "\n ")
	if text != "" {
		text += "\n"
	}
	sc.users.SetValue(text + strings.Join(m.users, "\n"))
	sc.file = nil
	sc.fileNote = fmt.Sprintf("loaded %d users from %s", len(m.users), m.path)
	return sc.setFocus(fieldUsers)
}

// candidate is the configuration these answers make.
func (sc *identitiesScreen) candidate() (*config.Config, []userEntry, []string) {
	entries, notes := parseUsers(sc.users.Value())
	cfg := *sc.s.cfg
	cfg.Notes = nil
	users := make([]string, 0, len(entries))
	for _, e := range entries {
		users = append(users, e.email) // invalid ones too: preflight names them
	}
	cfg.SetUsers(users)
	cfg.SetRoles(sc.roles.selected())
	if sc.impersonation() {
		cfg.Impersonation.IdentityTemplate = strings.TrimSpace(sc.tmpl.Value())
		cfg.Impersonation.Grant = sc.grant
	}
	return &cfg, entries, notes
}

// validate is the preflight of these answers: every problem of the
// identities part of the configuration, each with its fix.
func (sc *identitiesScreen) validate() []config.Problem {
	cfg, _, _ := sc.candidate()
	var pe *config.PreflightError
	if err := cfg.Validate(); !errors.As(err, &pe) {
		return nil
	}
	var out []config.Problem
	for _, p := range pe.Problems {
		if strings.HasPrefix(p.Field, "impersonation") || strings.HasPrefix(p.Field, "oauth") {
			out = append(out, p)
		}
	}
	return out
}

// submit moves on when the preflight passes; otherwise the problems are
// listed under the fields.
func (sc *identitiesScreen) submit() tea.Cmd {
	if sc.problems = sc.validate(); len(sc.problems) > 0 {
		return nil
	}
	cfg, _, notes := sc.candidate()
	cfg.Notes = append(sc.s.cfg.Notes, notes...)
	*sc.s.cfg = *cfg
	return goTo(stepAudit)
}

func (sc *identitiesScreen) view() string {
	st := sc.s.styles
	cfg, entries, notes := sc.candidate()
	var b strings.Builder
	label := func(f field, s string) string {
		if sc.focus == f && sc.file == nil {
			return st.Cursor.Render(markFocus+" ") + st.Focused.Render(s)
		}
		return "  " + st.Label.Render(s)
	}

	b.WriteString(label(fieldUsers, "Users") + st.Muted.Render(fmt.Sprintf("  %d listed · ctrl+o loads a file · ctrl+j new line", len(entries))) + "\n")
	b.WriteString(sc.users.View() + "\n")
	if sc.file != nil {
		b.WriteString("  Users file: " + sc.file.View() + "\n")
		if sc.fileErr != "" {
			b.WriteString("  " + styleLines(st.Error, wrap(markFail+" "+sc.fileErr, sc.width-2)) + "\n")
		}
	} else if sc.fileNote != "" {
		b.WriteString("  " + st.OK.Render(markOK+" "+sc.fileNote) + "\n")
	}
	for _, n := range notes {
		b.WriteString("  " + st.Muted.Render("note: "+n) + "\n")
	}

	if sc.impersonation() {
		b.WriteString("\n" + label(fieldTemplate, "Template ") + sc.tmpl.View() + "\n")
		b.WriteString(sc.previewView(cfg, entries))
		b.WriteString("\n" + label(fieldGrant, "Token Creator") + "  " + sc.grantView() + "\n")
		if sc.grant == config.GrantProject {
			b.WriteString("    " + indentLines(styleLines(st.Warn, wrap(markWarn+" "+patternBWarning, sc.width-4)), "    ") + "\n")
		}
	} else {
		b.WriteString(sc.oauthPreview(entries))
	}

	b.WriteString("\n" + sc.roles.view(st, label(fieldRoles, "Data roles"), label(fieldCustomRoles, "Other "), sc.focus == fieldRoles))
	if len(sc.problems) > 0 {
		b.WriteString("\n" + st.Error.Render(fmt.Sprintf("%s %d problem(s) to fix before continuing:", markFail, len(sc.problems))) + "\n")
		for _, p := range sc.problems {
			b.WriteString("  " + indentLines(styleLines(st.Error, wrap(problemText(p), sc.width-2)), "  ") + "\n")
		}
	}
	return b.String()
}

func (sc *identitiesScreen) grantView() string {
	st := sc.s.styles
	a, bb := "( ) A: on each user SA (recommended)", "( ) B: on the whole project"
	if sc.grant == config.GrantProject {
		bb = st.Warn.Render("(•) B: on the whole project")
	} else {
		a = st.OK.Render("(•) A: on each user SA (recommended)")
	}
	return a + "   " + bb
}

// previewView is the live preview: every user's rendered SA, or why it
// cannot be rendered, as config.RenderIdentity says; collisions marked.
func (sc *identitiesScreen) previewView(cfg *config.Config, entries []userEntry) string {
	st := sc.s.styles
	var b strings.Builder
	tmpl := cfg.Impersonation.IdentityTemplate
	if err := config.CheckTemplate(tmpl); err != nil {
		return "    " + indentLines(styleLines(st.Error, wrap(markFail+" "+err.Error(), sc.width-4)), "    ") + "\n"
	}
	if cfg.SharedServiceAccount() {
		b.WriteString("    " + st.Warn.Render(markWarn+" no {user.email}: every user shares one SA, and the audit log cannot tell them apart") + "\n")
	}
	type row struct{ user, email, id, err string }
	rows := make([]row, 0, len(entries))
	byID := map[string][]string{}
	for _, e := range entries {
		r := row{user: e.email, err: e.err}
		if e.err == "" {
			var err error
			r.email, r.id, err = config.RenderIdentity(tmpl, e.email, cfg.Project)
			if err != nil {
				var re *config.RenderError
				if errors.As(err, &re) {
					r.err = re.Reason
				} else {
					r.err = err.Error()
				}
			} else if !cfg.SharedServiceAccount() {
				byID[r.id] = append(byID[r.id], e.email)
			}
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		b.WriteString("    " + st.Muted.Render("(the preview lists each user's service account here)") + "\n")
		return b.String()
	}
	limit := max(sc.height-26, 3)
	for i, r := range rows {
		if i == limit {
			b.WriteString("    " + st.Muted.Render(fmt.Sprintf("… and %d more", len(rows)-limit)) + "\n")
			break
		}
		switch {
		case r.err != "" && r.id != "":
			b.WriteString(para(st.Error, "    ", fmt.Sprintf("%s %s → %s: %s", markFail, r.user, r.id, r.err), sc.width))
		case r.err != "":
			b.WriteString(para(st.Error, "    ", fmt.Sprintf("%s %s: %s", markFail, r.user, r.err), sc.width))
		case len(byID[r.id]) > 1:
			others := slices.DeleteFunc(slices.Clone(byID[r.id]), func(u string) bool { return u == r.user })
			b.WriteString(para(st.Error, "    ", fmt.Sprintf("%s %s → %s: same SA as %s", markFail, r.user, r.id, strings.Join(others, ", ")), sc.width))
		default:
			b.WriteString("    " + st.OK.Render(markOK) + " " + r.user + st.Muted.Render(" → ") + r.email + "\n")
		}
	}
	return b.String()
}

func (sc *identitiesScreen) oauthPreview(entries []userEntry) string {
	st := sc.s.styles
	var b strings.Builder
	b.WriteString("\n  " + st.Muted.Render("oauth: no service accounts; each user gets the data roles as user:EMAIL") + "\n")
	for _, e := range entries {
		if e.err != "" {
			b.WriteString(para(st.Error, "    ", fmt.Sprintf("%s %s: %s", markFail, e.email, e.err), sc.width))
		}
	}
	return b.String()
}

func (sc *identitiesScreen) help() bindings {
	k := sc.s.keys
	if sc.file != nil {
		return bindings{short: []key.Binding{withHelp(k.Next, "enter", "load"), k.Cancel, k.Quit}}
	}
	short := []key.Binding{k.NextItem, withHelp(k.Next, "enter", "next field / continue")}
	switch sc.focus {
	case fieldGrant:
		short = append(short, withHelp(k.Toggle, "space", "switch A/B"))
	case fieldRoles:
		short = append(short, k.Up, k.Down, k.Toggle)
	case fieldUsers:
		short = append(short, k.LoadFile)
	}
	return bindings{short: append(short, k.Back, k.Quit)}
}

// withHelp is b with other help text (the keys are unchanged).
func withHelp(b key.Binding, keys, desc string) key.Binding {
	b.SetHelp(keys, desc)
	return b
}
