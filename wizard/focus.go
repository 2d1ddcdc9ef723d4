package wizard

import (
	"slices"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
)

// focusNav handles the keys every form screen shares: Tab and Shift-Tab move
// between fields, Enter moves on and, past the last field, submits. fields
// is the screen's focus order, cur the focused field, set focuses one. It
// reports whether the key was one of these.
func focusNav[F comparable](km tea.KeyMsg, k keyMap, fields []F, cur F, set func(F) tea.Cmd, submit func() tea.Cmd) (tea.Cmd, bool) {
	move := func(d int) (tea.Cmd, bool) {
		i := slices.Index(fields, cur) + d
		if i < 0 || i >= len(fields) {
			return nil, false
		}
		return set(fields[i]), true
	}
	switch {
	case key.Matches(km, k.NextItem):
		cmd, _ := move(1)
		return cmd, true
	case key.Matches(km, k.PrevItem):
		cmd, _ := move(-1)
		return cmd, true
	case key.Matches(km, k.Next):
		if cmd, ok := move(1); ok {
			return cmd, true
		}
		return submit(), true
	}
	return nil, false
}
