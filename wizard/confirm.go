package wizard

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
)

// confirmWord is what the admin types to let the wizard change a project,
// as Terraform's `yes`: Enter is "continue" on every other screen, so a
// change (apply, offboarding) never happens on Enter alone.
const confirmWord = "yes"

// typedConfirm is the deliberate confirmation of a change: a screen opens
// it with a distinct key (y), the admin types "yes" and presses Enter.
// Anything else keeps the prompt open with a reminder; esc closes it. Any
// screen that changes a project (apply, offboarding) embeds one.
type typedConfirm struct {
	prompt string // e.g. "Apply 7 changes to demo-project?"
	in     textinput.Model
	hint   string // after a wrong answer
}

func newTypedConfirm(prompt string, width int) *typedConfirm {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = confirmWord
	in.CharLimit = 16
	in.Width = max(min(width-30, 20), 8)
	c := &typedConfirm{prompt: prompt, in: in}
	c.in.Focus()
	return c
}

// update handles a key while the prompt is open: done is true when the
// prompt closed (confirmed or cancelled).
func (c *typedConfirm) update(msg tea.KeyMsg, k keyMap) (confirmed, done bool, cmd tea.Cmd) {
	switch {
	case key.Matches(msg, k.Cancel):
		return false, true, nil
	case key.Matches(msg, k.Next):
		if strings.EqualFold(strings.TrimSpace(c.in.Value()), confirmWord) {
			return true, true, nil
		}
		c.hint = "type " + confirmWord + " and press enter to go ahead, or esc to go back"
		c.in.SetValue("")
		return false, false, nil
	}
	c.hint = ""
	c.in, cmd = c.in.Update(msg)
	return false, false, cmd
}

// view is the prompt line (and the reminder after a wrong answer).
func (c *typedConfirm) view(st *Styles, width int) string {
	var b strings.Builder
	b.WriteString(para(st.Label, "", c.prompt+" Type "+confirmWord+" to confirm:", width))
	b.WriteString("  " + c.in.View() + "\n")
	if c.hint != "" {
		b.WriteString(para(st.Warn, "", markWarn+" "+c.hint, width))
	}
	return b.String()
}

// help is the footer while the prompt is open.
func (c *typedConfirm) help(k keyMap) bindings {
	return bindings{short: []key.Binding{
		withHelp(k.Next, "enter", "confirm after typing "+confirmWord), withHelp(k.Cancel, "esc", "back to the plan"), k.Quit}}
}
