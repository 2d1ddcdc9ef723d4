package wizard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
)

// wifAccessScreen asks who may use the federation and as which identity:
// a principal set (attribute.NAME/VALUE, group/G) or one principal
// (subject/SUB), a target service account or --direct, and the data roles.
// A wildcard principal set is refused unless the admin forces it (with
// the loud warning), and Enter runs engine.PreflightWIF on the whole
// answer with the forced risks, as the scripted path does before any API
// call.
type wifAccessScreen struct {
	s *session
	// subject: one principal (subject/SUB) instead of a principal set.
	subject bool
	set     textinput.Model // principal set
	one     textinput.Model // principal
	// autoSet is the preset's principal set last offered (see
	// wifProviderScreen.auto).
	autoSet string
	// force accepts a wildcard principal set (--allow-wildcard).
	force  bool
	direct bool
	sa     textinput.Model
	roles  *rolePicker
	// rolesSet: the roles were taken from the configuration on first entry.
	rolesSet bool

	focus string
	width int

	problems []config.Problem // live, from config.Validate
	refused  []string         // what stopped the last Enter
}

const (
	waKind    = "kind"
	waMember  = "member"
	waForce   = "force"
	waDirect  = "direct"
	waSA      = "sa"
	waRoles   = "roles"
	waCustom  = "custom"
	saExample = "bigquery-runner"
)

func newWIFAccessScreen(s *session) *wifAccessScreen {
	w := s.cfg.WIF
	sc := &wifAccessScreen{s: s, subject: w.Principal != "" && w.PrincipalSet == "", force: s.allow.Wildcard,
		direct: w.Direct, focus: waKind, roles: newRolePicker(nil)}
	sc.set = newInput("e.g. attribute.org/ORG123", 300)
	sc.set.SetValue(w.PrincipalSet)
	sc.one = newInput("e.g. subject/repo:acme/app:ref:refs/heads/main", 300)
	sc.one.SetValue(w.Principal)
	sc.sa = newInput("e.g. "+saExample, 30)
	sc.sa.SetValue(w.ServiceAccount)
	return sc
}

func (sc *wifAccessScreen) member() *textinput.Model {
	if sc.subject {
		return &sc.one
	}
	return &sc.set
}

func (sc *wifAccessScreen) wildcard() bool { return sc.candidate().WIF.Wildcard() }

func (sc *wifAccessScreen) fields() []string {
	fs := []string{waKind, waMember}
	if sc.wildcard() {
		fs = append(fs, waForce)
	}
	fs = append(fs, waDirect)
	if !sc.direct {
		fs = append(fs, waSA)
	}
	return append(fs, waRoles, waCustom)
}

func (sc *wifAccessScreen) typing() bool {
	return sc.focus == waMember || sc.focus == waSA || sc.focus == waCustom
}

func (sc *wifAccessScreen) setSize(w, _ int) {
	sc.width = w
	sc.set.Width, sc.one.Width = min(w-16, 80), min(w-16, 80)
	sc.sa.Width = min(w-16, 30)
	sc.roles.custom.Width = min(w-4, 80)
}

// enter offers the preset's principal set (unless the admin typed one) and
// the configuration's roles the first time.
func (sc *wifAccessScreen) enter() tea.Cmd {
	if ps := sc.s.presetPrincipalSet; sc.set.Value() == "" || sc.set.Value() == sc.autoSet {
		sc.set.SetValue(ps)
		sc.autoSet = ps
	}
	if !sc.rolesSet {
		sc.roles.set(sc.s.cfg.Roles())
		sc.rolesSet = true
	}
	if !slices.Contains(sc.fields(), sc.focus) {
		sc.focus = waKind
	}
	sc.revalidate()
	return sc.setFocus(sc.focus)
}

func (sc *wifAccessScreen) setFocus(f string) tea.Cmd {
	sc.focus = f
	sc.set.Blur()
	sc.one.Blur()
	sc.sa.Blur()
	sc.roles.custom.Blur()
	switch f {
	case waMember:
		return sc.member().Focus()
	case waSA:
		return sc.sa.Focus()
	case waCustom:
		return sc.roles.custom.Focus()
	}
	return nil
}

func (sc *wifAccessScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var c1, c2, c3, c4 tea.Cmd
		sc.set, c1 = sc.set.Update(msg)
		sc.one, c2 = sc.one.Update(msg)
		sc.sa, c3 = sc.sa.Update(msg)
		sc.roles.custom, c4 = sc.roles.custom.Update(msg)
		return tea.Batch(c1, c2, c3, c4)
	}
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit) || (!sc.typing() && key.Matches(km, k.QuitQ)):
		return abort
	case key.Matches(km, k.Back):
		return goTo(stepWIFProvider)
	}
	if cmd, ok := focusNav(km, k, sc.fields(), sc.focus, sc.setFocus, sc.submit); ok {
		return cmd
	}
	sc.refused = nil
	defer sc.revalidate()
	toggle := key.Matches(km, k.Toggle, k.Left, k.Right)
	switch sc.focus {
	case waKind:
		if toggle {
			sc.subject = !sc.subject
		}
		return nil
	case waForce:
		if key.Matches(km, k.Toggle) {
			sc.force = !sc.force
		}
		return nil
	case waDirect:
		if toggle {
			sc.direct = !sc.direct
		}
		return nil
	case waRoles:
		sc.roles.updateList(km, k)
		return nil
	}
	var cmd tea.Cmd
	switch sc.focus {
	case waMember:
		*sc.member(), cmd = sc.member().Update(km)
	case waSA:
		sc.sa, cmd = sc.sa.Update(km)
	case waCustom:
		sc.roles.custom, cmd = sc.roles.custom.Update(km)
	}
	return cmd
}

// candidate is the configuration these answers make.
func (sc *wifAccessScreen) candidate() *config.Config {
	cfg := *sc.s.cfg
	cfg.Notes = nil
	w := &cfg.WIF
	w.PrincipalSet, w.Principal = "", ""
	if sc.subject {
		w.Principal = strings.TrimSpace(sc.one.Value())
	} else {
		w.PrincipalSet = strings.TrimSpace(sc.set.Value())
	}
	w.Direct = sc.direct
	w.ServiceAccount = ""
	if !sc.direct {
		w.ServiceAccount = strings.TrimSpace(sc.sa.Value())
	}
	w.Roles = sc.roles.selected()
	return &cfg
}

func (sc *wifAccessScreen) revalidate() {
	sc.problems = fieldProblems(sc.candidate(), "wif.principal_set", "wif.principal", "wif.service_account", "wif.roles")
}

// submit moves on when the preflight passes: the config validators, the
// wildcard refusal, then engine.PreflightWIF with the risks the admin
// forced (the scripted path's --allow-* flags).
func (sc *wifAccessScreen) submit() tea.Cmd {
	sc.revalidate()
	sc.refused = nil
	for _, p := range sc.problems {
		sc.refused = append(sc.refused, p.Field+": "+p.Message)
	}
	cand := sc.candidate()
	if cand.WIF.Wildcard() && !sc.force {
		sc.refused = append(sc.refused, "the principal set is the whole pool (*): scope it to attribute.NAME/VALUE, or force it (space on the checkbox under it)")
	}
	if len(sc.refused) > 0 {
		return nil
	}
	allow := sc.s.allow
	allow.Wildcard = sc.force && cand.WIF.Wildcard()
	if _, err := engine.PreflightWIF(cand, allow); err != nil {
		sc.refused = strings.Split(strings.TrimSpace(err.Error()), "\n")
		return nil
	}
	w := &sc.s.cfg.WIF
	w.PrincipalSet, w.Principal = cand.WIF.PrincipalSet, cand.WIF.Principal
	w.Direct, w.ServiceAccount, w.Roles = cand.WIF.Direct, cand.WIF.ServiceAccount, cand.WIF.Roles
	sc.s.allow = allow
	return goTo(stepAudit)
}

func (sc *wifAccessScreen) label(f, s string) string {
	return fieldLabel(sc.s.styles, sc.focus == f, s)
}

func (sc *wifAccessScreen) choice(on bool, a, b string) string {
	st := sc.s.styles
	if on {
		return "( ) " + a + "   " + st.Focused.Render("(•) "+b)
	}
	return st.Focused.Render("(•) "+a) + "   ( ) " + b
}

func (sc *wifAccessScreen) view() string {
	st := sc.s.styles
	cand := sc.candidate()
	w := cand.WIF
	var b strings.Builder
	b.WriteString(st.Title.Render("Who may use the federation, and as which identity?") + "\n")
	b.WriteString(styleLines(st.Muted, wrap("Only tokens the condition admits reach this step; this names which of their identities may use the roles below.", sc.width)) + "\n\n")

	b.WriteString(sc.label(waKind, "Who") + sc.choice(sc.subject, "a principal set (attribute.NAME/VALUE)", "one subject (subject/SUB)") + "\n")
	b.WriteString(sc.label(waMember, "Value") + sc.member().View() + "\n")
	if (w.PrincipalSet != "" || w.Principal != "") && sc.s.projectNumber != "" {
		// Broken at the edge, not cut: it is what IAM will show.
		b.WriteString(wifPad + st.Muted.Render("member ") + breakAt(w.Member(sc.s.projectNumber), sc.width-len(wifPad)-8, wifPad+"       ") + "\n")
	}
	b.WriteString(sc.problemsOf("wif.principal_set", "wif.principal"))
	if w.Wildcard() {
		b.WriteString(para(st.Error, wifPad, markFail+" the whole pool (*): any identity the provider admits could use the roles", sc.width))
		b.WriteString(forceRisk(st, "Accept the WHOLE pool (--allow-wildcard)", engine.WildcardWarning, sc.force, sc.focus == waForce, sc.width))
	}

	b.WriteString("\n" + sc.label(waDirect, "Runs as") + sc.choice(sc.direct, "a target service account", "direct: the roles go to the federated identities") + "\n")
	if !sc.direct {
		b.WriteString(sc.label(waSA, "Target SA") + sc.sa.View() + "\n")
		if id := strings.TrimSpace(sc.sa.Value()); id != "" && config.CheckAccountID(id) == nil {
			b.WriteString(wifPad + st.Muted.Render("→ ") + config.ServiceAccountEmail(id, cand.Project) + "\n")
		}
		b.WriteString(para(st.Muted, wifPad, "The audit log shows this SA; it gets the data roles, and roles/iam.workloadIdentityUser for the identities above.", sc.width))
	} else {
		b.WriteString(para(st.Muted, wifPad, "No service account: the audit log shows the federated principal itself.", sc.width))
	}
	b.WriteString(sc.problemsOf("wif.service_account"))

	b.WriteString("\n" + sc.roles.view(st, sc.label(waRoles, "Data roles"), sc.label(waCustom, "Other"), sc.focus == waRoles))

	if len(sc.refused) > 0 {
		b.WriteString("\n" + st.Error.Render(fmt.Sprintf("%s %d problem(s) to fix before continuing:", markFail, len(sc.refused))) + "\n")
		for _, r := range sc.refused {
			b.WriteString(para(st.Error, "  ", r, sc.width))
		}
	}
	return b.String()
}

func (sc *wifAccessScreen) problemsOf(fields ...string) string {
	var ps []config.Problem
	for _, p := range sc.problems {
		if slices.Contains(fields, p.Field) {
			ps = append(ps, p)
		}
	}
	return problemsView(sc.s.styles, ps, wifPad, sc.width)
}

func (sc *wifAccessScreen) help() bindings {
	k := sc.s.keys
	short := []key.Binding{k.NextItem, withHelp(k.Next, "enter", "next field / continue")}
	switch sc.focus {
	case waKind, waDirect:
		short = append(short, withHelp(k.Toggle, "space", "switch"))
	case waForce:
		short = append(short, k.Toggle)
	case waRoles:
		short = append(short, k.Up, k.Down, k.Toggle)
	}
	short = append(short, k.Back)
	if sc.typing() {
		short = append(short, k.Quit)
	} else {
		short = append(short, k.QuitQ)
	}
	return bindings{short: short}
}
