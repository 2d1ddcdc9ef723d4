package wizard

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
)

// modeInfo is one line of the Mode screen: what the mode is and who
// appears in BigQuery's audit log under it (SPEC §1).
type modeInfo struct {
	mode  config.Mode
	title string
	audit string
}

var modeInfos = []modeInfo{
	{config.ModeImpersonation, "per-user service accounts, minted by an admin SA (Hoop gcp_iam)",
		"audit log: the user's SA, with the admin SA in serviceAccountDelegationInfo"},
	{config.ModeWIF, "Workload Identity Federation for an OIDC issuer (Gumloop, GitHub)",
		"audit log: the target SA (or the federated principal with --direct)"},
	{config.ModeOAuth, "each user signs in with their own Google account (Hoop gcp_oauth)",
		"audit log: the user's own Google account"},
}

const indent = "                "

// modeScreen picks the federation mode.
type modeScreen struct {
	s      *session
	cursor int
	width  int
	err    string
}

func newModeScreen(s *session) *modeScreen {
	m := &modeScreen{s: s}
	for i, mi := range modeInfos {
		if mi.mode == s.cfg.Mode {
			m.cursor = i
		}
	}
	return m
}

func (m *modeScreen) enter() tea.Cmd   { m.err = ""; return nil }
func (m *modeScreen) typing() bool     { return false }
func (m *modeScreen) setSize(w, _ int) { m.width = w }

// unavailable says why the wizard cannot set mode up yet ("" if it can).
// The engine is asked rather than a list kept here, so a mode lights up in
// the wizard the day the engine builds it.
func (m *modeScreen) unavailable(mode config.Mode) string {
	probe := *m.s.cfg
	probe.Mode = mode
	probe.ApplyDefaults()
	_, err := engine.NewDesired(&probe, "0")
	if errors.Is(err, engine.ErrModeNotSupported) {
		return "not built yet: the engine cannot set this mode up"
	}
	return ""
}

func (m *modeScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		return nil
	}
	k := m.s.keys
	switch {
	case key.Matches(km, k.QuitQ):
		return abort
	case key.Matches(km, k.Back):
		return goTo(stepProject)
	case key.Matches(km, k.Up):
		m.cursor = (m.cursor + len(modeInfos) - 1) % len(modeInfos)
		m.err = ""
	case key.Matches(km, k.Down):
		m.cursor = (m.cursor + 1) % len(modeInfos)
		m.err = ""
	case key.Matches(km, k.Next):
		mode := modeInfos[m.cursor].mode
		if why := m.unavailable(mode); why != "" {
			m.err = string(mode) + ": " + why
			return nil
		}
		switchMode(m.s.cfg, mode)
		return goTo(m.s.after(stepMode))
	}
	return nil
}

// switchMode sets cfg's mode, carrying the users over and the data roles too
// unless they were the old mode's defaults (then the new mode's defaults
// apply).
func switchMode(cfg *config.Config, mode config.Mode) {
	old := cfg.Mode
	if old == mode {
		return
	}
	users, roles := cfg.Users(), cfg.Roles()
	if len(users) == 0 {
		// From wif, which has none: the users typed before the detour.
		users = cfg.Impersonation.Users
		if len(users) == 0 {
			users = cfg.OAuth.Users
		}
	}
	cfg.Mode = mode
	if len(cfg.Users()) == 0 {
		cfg.SetUsers(users)
	}
	if len(roles) > 0 && !slices.Equal(roles, config.DefaultRoles(old)) {
		cfg.SetRoles(roles)
	}
	cfg.ApplyDefaults()
}

func (m *modeScreen) view() string {
	st := m.s.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("How should people reach BigQuery?") + "\n")
	b.WriteString(st.Muted.Render("Each mode leaves a different identity in BigQuery's audit log.") + "\n\n")
	for i, mi := range modeInfos {
		cur, name := "  ", fmt.Sprintf("%-14s", mi.mode)
		if i == m.cursor {
			cur = st.Cursor.Render(markFocus + " ")
			name = st.Focused.Render(name)
		}
		b.WriteString(cur + name + mi.title + "\n")
		b.WriteString(indent + st.Muted.Render(mi.audit) + "\n")
		if why := m.unavailable(mi.mode); why != "" {
			b.WriteString(indent + indentLines(styleLines(st.Warn, wrap(markWarn+" "+why, m.width-len(indent))), indent) + "\n")
		}
	}
	if m.err != "" {
		b.WriteString("\n" + st.Error.Render(markFail+" "+m.err) + "\n")
	}
	return b.String()
}

func (m *modeScreen) help() bindings {
	k := m.s.keys
	return bindings{
		short: []key.Binding{k.Up, k.Down, k.Next, k.Back, k.QuitQ},
	}
}
