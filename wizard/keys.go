package wizard

import "github.com/charmbracelet/bubbles/key"

// keyMap is every key the wizard answers to, defined once: the screens match
// against these and the help footer is built from the same bindings, so the
// footer can never advertise a key that does nothing.
type keyMap struct {
	Next     key.Binding // continue to the next screen
	Back     key.Binding // previous screen
	Quit     key.Binding // abort (ctrl+c works everywhere)
	QuitQ    key.Binding // abort with q, where nothing is being typed
	Help     key.Binding // toggle the full help
	Up       key.Binding
	Down     key.Binding
	Left     key.Binding // previous choice of a row of options
	Right    key.Binding // next choice
	Toggle   key.Binding // flip a checkbox / choice
	NextItem key.Binding // focus the next field
	PrevItem key.Binding // focus the previous field
	LoadFile key.Binding // load users from a file
	Recheck  key.Binding // read the project again
	Apply    key.Binding // apply the plan
	Save     key.Binding // write the answers to a config file
	Retry    key.Binding // re-plan and apply what is still pending
	Rerun    key.Binding // verify one user again
	Finish   key.Binding // leave the wizard after verification
	Cancel   key.Binding // leave a sub-prompt (file path) without using it
	PageUp   key.Binding
	PageDown key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Next:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "continue")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:     key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		QuitQ:    key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more keys")),
		Up:       key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Left:     key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/→", "choose")),
		Right:    key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("←/→", "choose")),
		Toggle:   key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "toggle")),
		NextItem: key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next field")),
		PrevItem: key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous field")),
		LoadFile: key.NewBinding(key.WithKeys("ctrl+o"), key.WithHelp("ctrl+o", "load users file")),
		Recheck:  key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "read again")),
		Apply:    key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "apply (then type yes)")),
		Save:     key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write config file")),
		Retry:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry failed steps")),
		Rerun:    key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "verify this user again")),
		Finish:   key.NewBinding(key.WithKeys("enter", "q"), key.WithHelp("enter/q", "finish")),
		Cancel:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		PageUp:   key.NewBinding(key.WithKeys("pgup"), key.WithHelp("pgup", "scroll up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown"), key.WithHelp("pgdn", "scroll down")),
	}
}

// bindings is a screen's help: the short line and the full groups.
type bindings struct {
	short []key.Binding
	full  [][]key.Binding
}

// ShortHelp and FullHelp make bindings a help.KeyMap.
func (b bindings) ShortHelp() []key.Binding { return b.short }

func (b bindings) FullHelp() [][]key.Binding {
	if b.full == nil {
		return [][]key.Binding{b.short}
	}
	return b.full
}
