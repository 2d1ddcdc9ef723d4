package wizard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
)

// auditScreen asks for the Data Access logs (recommended) and an optional
// log sink.
type auditScreen struct {
	s      *session
	logs   bool
	sink   bool
	inputs [4]textinput.Model // sink name, dataset, location; verifier
	focus  int                // 0 logs, 1 sink, 2+i inputs[i]
	width  int

	problems []config.Problem
}

const focusVerifier = 5 // inputs[3]

func newAuditScreen(s *session) *auditScreen {
	a := s.cfg.Audit
	sc := &auditScreen{s: s, logs: a.DataAccessLogs || s.cfg.Source() == "", sink: !a.Sink.IsZero()}
	vals := [4]string{3: s.cfg.Verifier}
	for i, q := range sinkQuestions {
		vals[i] = cmpOr(q.get(a.Sink), q.def)
	}
	for i := range sc.inputs {
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 100
		in.SetValue(vals[i])
		sc.inputs[i] = in
	}
	sc.inputs[3].Placeholder = "user:you@acme.com"
	return sc
}

func (sc *auditScreen) enter() tea.Cmd { return sc.setFocus(sc.focus) }
func (sc *auditScreen) typing() bool   { return sc.focus >= 2 }
func (sc *auditScreen) setSize(w, _ int) {
	sc.width = w
	for i := range sc.inputs {
		sc.inputs[i].Width = min(w-20, 40)
	}
}

// order is the focus order: the checkboxes, the sink's fields when it is
// on, the verifier in impersonation mode.
func (sc *auditScreen) order() []int {
	o := []int{0, 1}
	if sc.sink {
		o = append(o, 2, 3, 4)
	}
	if sc.hasVerifier() {
		o = append(o, focusVerifier)
	}
	return o
}

// hasVerifier: only impersonation mode has an admin SA to verify through.
func (sc *auditScreen) hasVerifier() bool { return sc.s.cfg.Mode == config.ModeImpersonation }

func (sc *auditScreen) move(d int) tea.Cmd {
	o := sc.order()
	i := slices.Index(o, sc.focus)
	return sc.setFocus(o[min(max(i+d, 0), len(o)-1)])
}

func (sc *auditScreen) setFocus(f int) tea.Cmd {
	sc.focus = f
	var cmd tea.Cmd
	for i := range sc.inputs {
		if i+2 == f {
			cmd = sc.inputs[i].Focus()
		} else {
			sc.inputs[i].Blur()
		}
	}
	return cmd
}

func (sc *auditScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		var cmds []tea.Cmd
		for i := range sc.inputs {
			var c tea.Cmd
			sc.inputs[i], c = sc.inputs[i].Update(msg)
			cmds = append(cmds, c)
		}
		return tea.Batch(cmds...)
	}
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit) || (!sc.typing() && key.Matches(km, k.QuitQ)):
		return abort
	case key.Matches(km, k.Back):
		return goTo(sc.s.before(stepAudit))
	case key.Matches(km, k.NextItem) || (!sc.typing() && key.Matches(km, k.Down)):
		return sc.move(1)
	case key.Matches(km, k.PrevItem) || (!sc.typing() && key.Matches(km, k.Up)):
		return sc.move(-1)
	case key.Matches(km, k.Next):
		return sc.submit()
	case !sc.typing() && key.Matches(km, k.Toggle):
		if sc.focus == 0 {
			sc.logs = !sc.logs
		} else {
			sc.sink = !sc.sink
		}
		sc.problems = nil
		return nil
	}
	if sc.typing() {
		var cmd tea.Cmd
		sc.inputs[sc.focus-2], cmd = sc.inputs[sc.focus-2].Update(km)
		sc.problems = nil
		return cmd
	}
	return nil
}

// answers writes this screen's answers into cfg.
func (sc *auditScreen) answers(cfg *config.Config) {
	cfg.Audit.DataAccessLogs = sc.logs
	if sc.hasVerifier() {
		cfg.Verifier = strings.TrimSpace(sc.inputs[3].Value())
	}
	cfg.Audit.Sink = config.Sink{}
	if sc.sink {
		cfg.Audit.Sink = config.Sink{
			Name:     strings.TrimSpace(sc.inputs[0].Value()),
			Dataset:  strings.TrimSpace(sc.inputs[1].Value()),
			Location: strings.TrimSpace(sc.inputs[2].Value()),
		}
	}
}

// validate is the preflight of the audit section.
func (sc *auditScreen) validate() []config.Problem {
	cfg := *sc.s.cfg
	sc.answers(&cfg)
	var out []config.Problem
	if sc.sink {
		for i, f := range []string{"audit.sink.name", "audit.sink.dataset", "audit.sink.location"} {
			if strings.TrimSpace(sc.inputs[i].Value()) == "" {
				out = append(out, config.Problem{Field: f, Message: "is empty", Fix: "fill it in, or turn the sink off"})
			}
		}
	}
	var pe *config.PreflightError
	if err := cfg.Validate(); errors.As(err, &pe) {
		for _, p := range pe.Problems {
			if strings.HasPrefix(p.Field, "audit") || p.Field == "verifier" {
				out = append(out, p)
			}
		}
	}
	return out
}

func (sc *auditScreen) submit() tea.Cmd {
	if sc.problems = sc.validate(); len(sc.problems) > 0 {
		return nil
	}
	sc.answers(sc.s.cfg)
	return goTo(stepPlan)
}

func (sc *auditScreen) view() string {
	st := sc.s.styles
	w := sc.width - 6
	var b strings.Builder
	b.WriteString(st.Title.Render("Audit evidence and verification") + "\n\n")
	check := func(i int, on bool, text string) string {
		cur := "  "
		if sc.focus == i {
			cur = st.Cursor.Render(markFocus + " ")
		}
		box := "[ ]"
		if on {
			box = "[x]"
		}
		if sc.focus == i {
			text = st.Focused.Render(text)
		}
		return cur + box + " " + text + "\n"
	}
	b.WriteString(check(0, sc.logs, qDataAccessLogs))
	b.WriteString("      " + indentLines(styleLines(st.Muted, wrap("Why: the token mint (GenerateAccessToken) and BigQuery's query entries are Data Access logs, off by default. Without them nothing records who ran what through whom, and `fedctl audit` has no evidence to show. Only iam and bigquery are turned on; other auditConfigs entries are kept.", w)), "      ") + "\n")
	if !sc.logs {
		b.WriteString("      " + st.Warn.Render(markWarn+" off: verification will warn that there is no evidence") + "\n")
	}
	b.WriteString("\n")
	b.WriteString(check(1, sc.sink, qSink))
	b.WriteString("      " + indentLines(styleLines(st.Muted, wrap("Keeps the mint and query entries beyond Logging's retention, queryable with `fedctl audit report`.", w)), "      ") + "\n")
	if sc.sink {
		for i, in := range sc.inputs[:3] {
			cur := "  "
			if sc.focus == i+2 {
				cur = st.Cursor.Render(markFocus + " ")
			}
			b.WriteString("    " + cur + st.Label.Render(fmt.Sprintf("%-9s", sinkQuestions[i].label)) + " " + in.View() + "\n")
		}
		b.WriteString("      " + indentLines(styleLines(st.Muted, wrap("The plan creates the dataset (kept by teardown) and the sink, and lets the sink's writer identity write to the dataset (--sink on the scripted path).", w)), "      ") + "\n")
	}
	if sc.hasVerifier() {
		b.WriteString("\n")
		cur := "  "
		if sc.focus == focusVerifier {
			cur = st.Cursor.Render(markFocus + " ")
		}
		b.WriteString(cur + st.Label.Render("Verifier ") + sc.inputs[3].View() + "\n")
		b.WriteString(para(st.Muted, "      ", "Who may run the verification keylessly: Token Creator on the admin SA for this one member, shown in the plan. Use your own account; leave it empty to verify with --admin-key-file instead.", sc.width))
		if v := strings.TrimSpace(sc.inputs[3].Value()); v != "" {
			if err := config.CheckMember(v); err != nil {
				b.WriteString(para(st.Error, "      ", markFail+" "+err.Error(), sc.width))
			}
		}
	}
	if len(sc.problems) > 0 {
		b.WriteString("\n")
		for _, p := range sc.problems {
			b.WriteString(st.Error.Render(markFail+" "+p.String()) + "\n")
		}
	}
	return b.String()
}

func (sc *auditScreen) help() bindings {
	k := sc.s.keys
	short := []key.Binding{k.NextItem}
	if !sc.typing() {
		short = append(short, k.Toggle)
	}
	short = append(short, k.Next, k.Back)
	if sc.typing() {
		short = append(short, k.Quit)
	} else {
		short = append(short, k.QuitQ)
	}
	return bindings{short: short}
}
