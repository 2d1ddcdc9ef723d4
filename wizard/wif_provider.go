package wizard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/wif"
)

// wifProviderScreen asks which OIDC issuer federates and how its tokens are
// read: a preset (github, gitlab, gumloop, oidc) with the tenant values it
// pins, the issuer, the attribute mapping (KEY=EXPRESSION lines), the
// attribute condition — compiled with cel-go as it is typed, its errors
// shown at their line and column — the allowed audiences, and the pool and
// provider IDs. A provider without a condition is refused unless the admin
// forces it, as engine.PreflightWIF refuses it without --allow-unconditioned.
type wifProviderScreen struct {
	s       *session
	presets []*wif.Preset
	preset  int // index in presets; len(presets) is "custom" (no preset)
	params  map[string]*textinput.Model

	issuer, audiences, pool, provider textinput.Model
	mapping, condition                textarea.Model
	// force accepts a provider without a condition (--allow-unconditioned).
	force bool
	// display is the pool's display name (the preset's title).
	display string
	// auto is what the preset last wrote into each field: a field still
	// holding it (or empty) follows the preset; one the admin edited wins,
	// as flags win over a preset on the scripted path.
	auto map[string]string

	focus  string
	width  int
	height int

	// Live findings, refreshed on every edit.
	mapErrs []string
	cel     []wif.Problem
	cfgErrs []config.Problem
	missing []wif.PresetParam
	// refused lists what stopped the last Enter.
	refused []string
}

// Focus names of the fixed fields; a preset's parameters are "param:NAME".
const (
	wfPreset    = "preset"
	wfIssuer    = "issuer"
	wfMapping   = "mapping"
	wfCondition = "condition"
	wfForce     = "force"
	wfAudiences = "audiences"
	wfPool      = "pool"
	wfProvider  = "provider"
	paramPrefix = "param:"
)

func newWIFProviderScreen(s *session) *wifProviderScreen {
	w := s.cfg.WIF
	sc := &wifProviderScreen{s: s, presets: wif.Presets(), params: map[string]*textinput.Model{},
		auto: map[string]string{}, focus: wfPreset, force: s.allow.Unconditioned, display: w.Pool.DisplayName}
	sc.preset = len(sc.presets)
	for i, p := range sc.presets {
		if p.Name == w.Preset || (w.Preset == "" && w.Provider.IssuerURI == "" && i == 0) {
			sc.preset = i
		}
		for _, pp := range p.Params {
			if sc.params[pp.Name] == nil {
				in := newInput("e.g. "+pp.Example, 100)
				sc.params[pp.Name] = &in
			}
		}
	}
	// A principal set attribute.NAME/VALUE names a preset parameter's value,
	// as Preset.Apply reads it (--principal-set attribute.org/ORG123).
	if rel, ok := strings.CutPrefix(w.PrincipalSet, "attribute."); ok {
		if name, v, ok := strings.Cut(rel, "/"); ok && sc.params[name] != nil {
			sc.params[name].SetValue(v)
		}
	}
	sc.issuer = newInput("https://issuer.example.com", 200)
	sc.issuer.SetValue(w.Provider.IssuerURI)
	sc.audiences = newInput("empty: the provider's own resource name", 1000)
	sc.audiences.SetValue(strings.Join(w.Provider.AllowedAudiences, ", "))
	sc.pool = newInput("gumloop-pool", 32)
	sc.pool.SetValue(w.Pool.ID)
	sc.provider = newInput("gumloop-oidc", 32)
	sc.provider.SetValue(w.Provider.ID)
	sc.mapping = newArea("one KEY=EXPRESSION a line, e.g. google.subject=assertion.sub", 4)
	sc.mapping.SetValue(formatMappingLines(w.Provider.AttributeMapping))
	if len(w.Provider.AttributeMapping) == 0 || formatMappingLines(w.Provider.AttributeMapping) == formatMappingLines(config.DefaultAttributeMapping()) {
		// config's default mapping is a placeholder a preset may replace.
		sc.auto[wfMapping] = sc.mapping.Value()
	}
	sc.condition = newArea("CEL that pins your tenant, e.g. assertion.org_id == 'ORG123'", 3)
	sc.condition.SetValue(w.Provider.AttributeCondition)
	sc.applyPreset()
	return sc
}

// fitHeight sizes a textarea to its text plus a line to type on, within
// lo..hi lines.
func fitHeight(ta *textarea.Model, lo, hi int) {
	ta.SetHeight(min(max(ta.LineCount()+1, lo), hi))
}

func newInput(placeholder string, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = placeholder
	in.CharLimit = limit
	return in
}

func newArea(placeholder string, height int) textarea.Model {
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = "│ "
	ta.CharLimit = 4096
	ta.MaxHeight = 0
	ta.Placeholder = placeholder
	ta.KeyMap.InsertNewline = key.NewBinding(key.WithKeys("ctrl+j", "alt+enter"))
	ta.SetHeight(height)
	return ta
}

func (sc *wifProviderScreen) current() *wif.Preset {
	if sc.preset < len(sc.presets) {
		return sc.presets[sc.preset]
	}
	return nil
}

// applyPreset fills the fields that follow the preset from it and the
// tenant values typed so far, and revalidates.
func (sc *wifProviderScreen) applyPreset() {
	defer sc.revalidate()
	p := sc.current()
	sc.missing = nil
	if p == nil {
		sc.s.presetPrincipalSet = ""
		return
	}
	var w config.WIF
	values := map[string]string{}
	for _, pp := range p.Params {
		values[pp.Name] = strings.TrimSpace(sc.params[pp.Name].Value())
	}
	var mp *wif.MissingParamsError
	if err := p.Apply(&w, values); errors.As(err, &mp) {
		sc.missing = mp.Params
	}
	sc.follow(wfIssuer, w.Provider.IssuerURI, sc.issuer.Value, sc.issuer.SetValue)
	sc.follow(wfMapping, formatMappingLines(w.Provider.AttributeMapping), sc.mapping.Value, sc.mapping.SetValue)
	sc.follow(wfCondition, w.Provider.AttributeCondition, sc.condition.Value, sc.condition.SetValue)
	sc.follow(wfPool, w.Pool.ID, sc.pool.Value, sc.pool.SetValue)
	sc.follow(wfProvider, w.Provider.ID, sc.provider.Value, sc.provider.SetValue)
	sc.follow("display", w.Pool.DisplayName, func() string { return sc.display }, func(v string) { sc.display = v })
	sc.s.presetPrincipalSet = w.PrincipalSet
}

// follow sets a field to the preset's value v unless the admin changed it.
func (sc *wifProviderScreen) follow(name, v string, get func() string, set func(string)) {
	if cur := get(); cur == "" || cur == sc.auto[name] {
		set(v)
		sc.auto[name] = v
	}
}

// fields are the focusable fields, in Tab order.
func (sc *wifProviderScreen) fields() []string {
	fs := []string{wfPreset}
	if p := sc.current(); p != nil {
		for _, pp := range p.Params {
			fs = append(fs, paramPrefix+pp.Name)
		}
	}
	fs = append(fs, wfIssuer, wfMapping, wfCondition)
	if sc.noCondition() {
		fs = append(fs, wfForce)
	}
	return append(fs, wfAudiences, wfPool, wfProvider)
}

func (sc *wifProviderScreen) noCondition() bool { return strings.TrimSpace(sc.condition.Value()) == "" }

func (sc *wifProviderScreen) typing() bool { return sc.focus != wfPreset && sc.focus != wfForce }

func (sc *wifProviderScreen) setSize(w, h int) {
	sc.width, sc.height = w, h
	for _, in := range []*textinput.Model{&sc.issuer, &sc.audiences, &sc.pool, &sc.provider} {
		in.Width = min(w-16, 80)
	}
	for _, in := range sc.params {
		in.Width = min(w-30, 40)
	}
	sc.mapping.SetWidth(min(w-14, 90))
	sc.condition.SetWidth(min(w-14, 90))
}

func (sc *wifProviderScreen) enter() tea.Cmd {
	if !slices.Contains(sc.fields(), sc.focus) {
		sc.focus = wfPreset
	}
	return sc.setFocus(sc.focus)
}

func (sc *wifProviderScreen) inputs() map[string]*textinput.Model {
	m := map[string]*textinput.Model{wfIssuer: &sc.issuer, wfAudiences: &sc.audiences, wfPool: &sc.pool, wfProvider: &sc.provider}
	for name, in := range sc.params {
		m[paramPrefix+name] = in
	}
	return m
}

func (sc *wifProviderScreen) setFocus(f string) tea.Cmd {
	sc.focus = f
	sc.mapping.Blur()
	sc.condition.Blur()
	var cmd tea.Cmd
	for name, in := range sc.inputs() {
		if name == f {
			cmd = in.Focus()
		} else {
			in.Blur()
		}
	}
	switch f {
	case wfMapping:
		return sc.mapping.Focus()
	case wfCondition:
		return sc.condition.Focus()
	}
	return cmd
}

func (sc *wifProviderScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return sc.updateFields(msg)
	}
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit) || (!sc.typing() && key.Matches(km, k.QuitQ)):
		return abort
	case key.Matches(km, k.Back):
		return goTo(stepMode)
	}
	if cmd, ok := focusNav(km, k, sc.fields(), sc.focus, sc.setFocus, sc.submit); ok {
		return cmd
	}
	switch sc.focus {
	case wfPreset:
		n := len(sc.presets) + 1
		switch {
		case key.Matches(km, k.Left, k.Up):
			sc.preset = (sc.preset + n - 1) % n
		case key.Matches(km, k.Right, k.Down, k.Toggle):
			sc.preset = (sc.preset + 1) % n
		default:
			return nil
		}
		sc.refused = nil
		sc.applyPreset()
		return nil
	case wfForce:
		if key.Matches(km, k.Toggle) {
			sc.force = !sc.force
			sc.refused = nil
		}
		return nil
	}
	cmd := sc.updateFields(km)
	sc.refused = nil
	if strings.HasPrefix(sc.focus, paramPrefix) {
		sc.applyPreset()
	} else {
		sc.revalidate()
	}
	return cmd
}

// updateFields hands a key to the focused field (and cursor blinks to
// every field, which ignore the others' blinks).
func (sc *wifProviderScreen) updateFields(msg tea.Msg) tea.Cmd {
	_, isKey := msg.(tea.KeyMsg)
	var cmds []tea.Cmd
	var c tea.Cmd
	if !isKey || sc.focus == wfMapping {
		sc.mapping, c = sc.mapping.Update(msg)
		cmds = append(cmds, c)
	}
	if !isKey || sc.focus == wfCondition {
		sc.condition, c = sc.condition.Update(msg)
		cmds = append(cmds, c)
	}
	for name, in := range sc.inputs() {
		if !isKey || sc.focus == name {
			*in, c = in.Update(msg)
			cmds = append(cmds, c)
		}
	}
	return tea.Batch(cmds...)
}

// candidate is the configuration these answers make.
func (sc *wifProviderScreen) candidate() *config.Config {
	cfg := *sc.s.cfg
	cfg.Notes = nil
	w := &cfg.WIF
	w.Preset = ""
	if p := sc.current(); p != nil {
		w.Preset = p.Name
	}
	w.Pool.ID = strings.TrimSpace(sc.pool.Value())
	w.Pool.DisplayName = sc.display
	w.Provider.ID = strings.TrimSpace(sc.provider.Value())
	w.Provider.IssuerURI = strings.TrimSpace(sc.issuer.Value())
	w.Provider.AttributeMapping, _ = parseMappingLines(sc.mapping.Value())
	w.Provider.AttributeCondition = strings.TrimSpace(sc.condition.Value())
	w.Provider.AllowedAudiences = config.SplitList(sc.audiences.Value())
	return &cfg
}

// revalidate refreshes the live findings: the mapping's lines, cel-go's
// verdict on the mapping and condition (wif.Check, what PreflightWIF runs),
// and the config validators of the pool and provider fields.
func (sc *wifProviderScreen) revalidate() {
	fitHeight(&sc.mapping, 2, 6)
	fitHeight(&sc.condition, 1, 5)
	var m map[string]string
	m, sc.mapErrs = parseMappingLines(sc.mapping.Value())
	_, sc.cel = wif.Check(m, strings.TrimSpace(sc.condition.Value()))
	sc.cfgErrs = nil
	for _, p := range fieldProblems(sc.candidate(), "wif.pool", "wif.provider") {
		if p.Field == "wif.provider.attribute_mapping" && strings.Contains(p.Message, "google.subject") {
			continue // wif.Check says it too, next to the mapping
		}
		if (p.Field == "wif.pool.id" || p.Field == "wif.provider.id") && p.Value != "" {
			continue // idStatus shows config.CheckPoolID's verdict
		}
		sc.cfgErrs = append(sc.cfgErrs, p)
	}
}

// refusals are what stops this screen from moving on.
func (sc *wifProviderScreen) refusals() []string {
	var out []string
	out = append(out, sc.mapErrs...)
	for _, p := range wif.Errors(sc.cel) {
		out = append(out, p.String())
	}
	for _, p := range sc.cfgErrs {
		out = append(out, p.Field+": "+p.Message)
	}
	if sc.noCondition() && !sc.force {
		out = append(out, "the provider has no attribute condition, so any token its issuer signs would be accepted: write one (the preset pins your tenant), or force it (space on the checkbox under the condition)")
	}
	return out
}

// submit moves on once nothing is refused, writing the provider answers
// into the configuration.
func (sc *wifProviderScreen) submit() tea.Cmd {
	sc.revalidate()
	if sc.refused = sc.refusals(); len(sc.refused) > 0 {
		return nil
	}
	cand := sc.candidate()
	sc.s.cfg.WIF.Preset = cand.WIF.Preset
	sc.s.cfg.WIF.Pool = cand.WIF.Pool
	sc.s.cfg.WIF.Provider = cand.WIF.Provider
	sc.s.allow.Unconditioned = sc.force && sc.noCondition()
	return goTo(stepWIFAccess)
}

// label is a field's name, marked when focused.
func (sc *wifProviderScreen) label(f, s string) string {
	return fieldLabel(sc.s.styles, sc.focus == f, s)
}

// fieldLabel is a label padded to the wif screens' column, marked when
// focused.
func fieldLabel(st *Styles, focused bool, s string) string {
	s = fmt.Sprintf("%-12s", s)
	if focused {
		return st.Cursor.Render(markFocus+" ") + st.Focused.Render(s)
	}
	return "  " + st.Label.Render(s)
}

const wifPad = "              " // under a field: the label's 2 + 12

func (sc *wifProviderScreen) view() string {
	st := sc.s.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Which OIDC issuer federates into "+sc.s.cfg.Project+"?") + "\n")
	b.WriteString(styleLines(st.Muted, wrap("Google's STS exchanges a token the issuer signs only when the condition admits it: the condition is what keeps other tenants of a shared issuer out.", sc.width)) + "\n\n")

	b.WriteString(sc.label(wfPreset, "Preset") + sc.presetsView() + "\n")
	if p := sc.current(); p != nil {
		b.WriteString(para(st.Muted, wifPad, p.Note, sc.width))
		for _, pp := range p.Params {
			in := sc.params[pp.Name]
			b.WriteString(sc.label(paramPrefix+pp.Name, fmt.Sprintf("%-20s", pp.Name)) + " " + in.View() + "\n")
			b.WriteString(para(st.Muted, "                       ", pp.Help, sc.width))
		}
		if len(sc.missing) > 0 && sc.noCondition() {
			var names []string
			for _, pp := range sc.missing {
				names = append(names, pp.Name)
			}
			b.WriteString(para(st.Warn, wifPad, markWarn+" the preset's condition needs "+strings.Join(names, ", ")+" (or write the condition yourself)", sc.width))
		}
	} else {
		b.WriteString(para(st.Muted, wifPad, "No preset: write the issuer, mapping and condition yourself.", sc.width))
	}

	b.WriteString("\n" + sc.label(wfIssuer, "Issuer") + sc.issuer.View() + "\n")
	b.WriteString(sc.problemsOf("wif.provider.issuer_uri"))

	b.WriteString(sc.label(wfMapping, "Mapping") + indentLines(sc.mapping.View(), wifPad) + "\n")
	for _, e := range sc.mapErrs {
		b.WriteString(para(st.Error, wifPad, markFail+" "+e, sc.width))
	}
	mapping, _ := parseMappingLines(sc.mapping.Value())
	for _, p := range sc.cel {
		if p.Field == wif.FieldMapping {
			b.WriteString(celProblemView(st, p, mapping[p.Key], wifPad, sc.width))
		}
	}
	b.WriteString(sc.problemsOf("wif.provider.attribute_mapping"))

	b.WriteString(sc.label(wfCondition, "Condition") + indentLines(sc.condition.View(), wifPad) + "\n")
	b.WriteString(sc.conditionStatus())

	b.WriteString(sc.label(wfAudiences, "Audiences") + sc.audiences.View() + "\n")
	b.WriteString(sc.problemsOf("wif.provider.allowed_audiences"))
	b.WriteString(sc.label(wfPool, "Pool ID") + sc.pool.View() + "\n")
	b.WriteString(sc.idStatus(sc.pool.Value()) + sc.problemsOf("wif.pool"))
	b.WriteString(sc.label(wfProvider, "Provider ID") + sc.provider.View() + "\n")
	b.WriteString(sc.idStatus(sc.provider.Value()) + sc.problemsOf("wif.provider.id"))

	if len(sc.refused) > 0 {
		b.WriteString("\n" + st.Error.Render(fmt.Sprintf("%s %d problem(s) to fix before continuing:", markFail, len(sc.refused))) + "\n")
		for _, r := range sc.refused {
			b.WriteString(para(st.Error, "  ", r, sc.width))
		}
	}
	return b.String()
}

func (sc *wifProviderScreen) presetsView() string {
	st := sc.s.styles
	names := make([]string, 0, len(sc.presets)+1)
	for _, p := range sc.presets {
		names = append(names, p.Name)
	}
	names = append(names, "custom")
	parts := make([]string, len(names))
	for i, n := range names {
		if i == sc.preset {
			parts[i] = st.Focused.Render("(•) " + n)
		} else {
			parts[i] = "( ) " + n
		}
	}
	return strings.Join(parts, "  ")
}

// conditionStatus is the live verdict on the condition: cel-go's errors at
// their line and column, the lint's findings, or the refusal of none.
func (sc *wifProviderScreen) conditionStatus() string {
	st := sc.s.styles
	var b strings.Builder
	cond := strings.TrimSpace(sc.condition.Value())
	if cond == "" {
		b.WriteString(para(st.Error, wifPad, markFail+" no condition: any token the issuer signs would be accepted (for GitHub, GitLab or Gumloop, other customers' tokens too)", sc.width))
		b.WriteString(forceRisk(st, "Accept a provider WITHOUT a condition (--allow-unconditioned)", engine.UnconditionedWarning, sc.force, sc.focus == wfForce, sc.width))
		return b.String()
	}
	n := 0
	for _, p := range sc.cel {
		if p.Field == wif.FieldCondition {
			b.WriteString(celProblemView(st, p, cond, wifPad, sc.width))
			n++
		}
	}
	b.WriteString(sc.problemsOf("wif.provider.attribute_condition"))
	if n == 0 && len(wif.Errors(sc.cel)) == 0 {
		b.WriteString(wifPad + st.OK.Render(markOK+" compiles (cel-go) and reads the claims the mapping carries") + "\n")
	}
	return b.String()
}

// idStatus is config.CheckPoolID's verdict on a typed pool or provider ID,
// under it (an empty one is the preflight's "is missing").
func (sc *wifProviderScreen) idStatus(v string) string {
	v = strings.TrimSpace(v)
	if v == "" {
		return ""
	}
	if err := config.CheckPoolID(v); err != nil {
		return para(sc.s.styles.Error, wifPad, markFail+" "+err.Error()+": use 4–32 of a-z, 0-9 and '-'", sc.width)
	}
	return ""
}

// problemsOf shows the config problems of one field (and its sub-fields).
func (sc *wifProviderScreen) problemsOf(field string) string {
	var ps []config.Problem
	for _, p := range sc.cfgErrs {
		if p.Field == field || strings.HasPrefix(p.Field, field+".") || strings.HasPrefix(p.Field, field+"[") {
			ps = append(ps, p)
		}
	}
	return problemsView(sc.s.styles, ps, wifPad, sc.width)
}

func (sc *wifProviderScreen) help() bindings {
	k := sc.s.keys
	short := []key.Binding{k.NextItem, withHelp(k.Next, "enter", "next field / continue")}
	switch sc.focus {
	case wfPreset:
		short = append(short, withHelp(k.Right, "←/→", "preset"))
	case wfForce:
		short = append(short, k.Toggle)
	case wfMapping, wfCondition:
		short = append(short, newlineKey)
	}
	short = append(short, k.Back)
	if sc.typing() {
		short = append(short, k.Quit)
	} else {
		short = append(short, k.QuitQ)
	}
	return bindings{short: short}
}

// newlineKey is the textareas' new-line key (enter moves on).
var newlineKey = key.NewBinding(key.WithKeys("ctrl+j"), key.WithHelp("ctrl+j", "new line"))
