package wizard

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Outcome is how the wizard ended.
type Outcome int

const (
	// OutcomeRunning: the program has not ended (or was killed).
	OutcomeRunning Outcome = iota
	// OutcomeDone: the admin finished at the verification table.
	OutcomeDone
	// OutcomeAborted: the admin quit (or pressed Ctrl-C). Nothing was
	// applied after the abort.
	OutcomeAborted
)

// Model is the root model: it owns the steps, the header, the help footer
// and the window size, and hands everything else to the current screen.
type Model struct {
	s       *session
	screens [numSteps]screen
	cur     step
	width   int
	height  int
	help    help.Model
	outcome Outcome
}

func newModel(s *session, start step) *Model {
	m := &Model{s: s, cur: start, width: 80, height: 24}
	m.screens = [numSteps]screen{
		stepProject:     newProjectScreen(s),
		stepMode:        newModeScreen(s),
		stepIdentities:  newIdentitiesScreen(s),
		stepWIFProvider: newWIFProviderScreen(s),
		stepWIFAccess:   newWIFAccessScreen(s),
		stepAudit:       newAuditScreen(s),
		stepPlan:        newPlanScreen(s),
		stepApply:       newApplyScreen(s),
		stepVerify:      newVerifyScreen(s),
		stepOAuthClient: newOAuthClientScreen(s),
	}
	m.help = help.New()
	m.help.Styles.ShortKey = s.styles.Help.Bold(true)
	m.help.Styles.ShortDesc = s.styles.Help
	m.help.Styles.FullKey = s.styles.Help.Bold(true)
	m.help.Styles.FullDesc = s.styles.Help
	m.resize(m.width, m.height)
	return m
}

// Outcome is how the wizard ended.
func (m *Model) Outcome() Outcome { return m.outcome }

// Init enters the first screen.
func (m *Model) Init() tea.Cmd { return m.screens[m.cur].enter() }

// Update routes a message: navigation and size to the router, keys to the
// current screen, and everything else (async results, spinner and cursor
// ticks, all tagged with their owner) to every screen.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.resize(msg.Width, msg.Height)
		return m, nil
	case goMsg:
		m.cur = msg.to
		m.help.ShowAll = false
		m.resize(m.width, m.height)
		return m, m.screens[m.cur].enter()
	case abortMsg:
		m.outcome = OutcomeAborted
		return m, tea.Quit
	case finishMsg:
		m.outcome = OutcomeDone
		return m, tea.Quit
	case tea.KeyMsg:
		if key.Matches(msg, m.s.keys.Help) && !m.screens[m.cur].typing() {
			m.help.ShowAll = !m.help.ShowAll
			m.resize(m.width, m.height)
			return m, nil
		}
		return m, m.screens[m.cur].update(msg)
	}
	var cmds []tea.Cmd
	for _, sc := range m.screens {
		cmds = append(cmds, sc.update(msg))
	}
	return m, tea.Batch(cmds...)
}

// resize gives every screen the body's size: the window less the header
// and the footer.
func (m *Model) resize(w, h int) {
	m.width, m.height = w, h
	m.help.Width = w - 2
	body := h - lipgloss.Height(m.header()) - lipgloss.Height(m.footer()) - 2
	for _, sc := range m.screens {
		sc.setSize(w-2, max(body, 3))
	}
}

// View draws header, body and footer; the body is cut to the window so a
// small terminal never scrolls the header away.
func (m *Model) View() string {
	header, footer := m.header(), m.footer()
	bodyH := max(m.height-lipgloss.Height(header)-lipgloss.Height(footer)-2, 3)
	// Wrapped before it is clipped: a narrow terminal shows every word.
	body := clipLines(wrapBlock(m.screens[m.cur].view(), m.width-2), bodyH)
	return frame(header+"\n\n"+strings.TrimRight(body, "\n")+"\n\n"+footer, m.width)
}

// frame indents every line by one column and cuts it at the window's edge
// (screens wrap their prose; this only guards against what cannot wrap,
// like a long address), without padding lines into a block.
func frame(s string, width int) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = ansi.Truncate(" "+strings.TrimRight(l, " "), width, "…")
	}
	return strings.Join(lines, "\n")
}

func (m *Model) header() string {
	st := m.s.styles
	flow := m.s.flow()
	pos := slices.Index(flow, m.cur)
	parts := make([]string, 0, len(flow))
	for i, sp := range flow {
		switch {
		case i == pos:
			parts = append(parts, st.StepNow.Render("● "+sp.String()))
		case i < pos:
			parts = append(parts, st.StepDone.Render(markOK+" "+sp.String()))
		default:
			parts = append(parts, st.Step.Render(sp.String()))
		}
	}
	line := st.Brand.Render("fedctl setup") + "  " + strings.Join(parts, st.Step.Render(" › "))
	if lipgloss.Width(line) > m.width-2 {
		// Narrow terminal: the current step only.
		line = st.Brand.Render("fedctl setup") + "  " + st.StepNow.Render(m.cur.String()) +
			st.Step.Render(" ("+strconv.Itoa(pos+1)+"/"+strconv.Itoa(len(flow))+")")
	}
	return line
}

func (m *Model) footer() string {
	b := m.screens[m.cur].help()
	if !m.screens[m.cur].typing() {
		b.short = append(b.short, m.s.keys.Help)
	}
	return m.help.View(b)
}

// clipLines keeps the first n lines of s.
func clipLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	return strings.Join(lines[:n], "\n")
}
