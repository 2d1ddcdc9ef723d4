package wizard

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/iostreams"
)

// planScreen shows the engine's plan for the answers, rendered by the
// engine's own text renderer, and asks: apply, back, save, or quit.
type planScreen struct {
	s       *session
	spin    spinner.Model
	vp      viewport.Model
	loading bool
	seq     int // plan request number; older answers are dropped
	err     error
	width   int
	height  int

	// save is the "write config file" prompt, when open.
	save      *textinput.Model
	saveErr   string
	overwrite string // a path confirmed for overwriting by a second Enter
	savedNote string

	// content is the rendered plan, wrapped to the viewport's width.
	content string
	// confirm is the typed "yes" before applying, when open.
	confirm *typedConfirm
	// offboardAsked: the apply was confirmed and the offboarding's own
	// confirmation is open (SPEC §7.2: disabling someone is asked apart).
	offboardAsked bool
}

type planMsg struct {
	seq  int
	plan *engine.Plan
	err  error
}

type savedMsg struct {
	path string
	err  error
}

func newPlanScreen(s *session) *planScreen {
	return &planScreen{s: s, spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)), vp: viewport.New(80, 10)}
}

func (p *planScreen) typing() bool { return p.save != nil || p.confirm != nil }

func (p *planScreen) setSize(w, h int) {
	p.width, p.height = w, h
	p.vp.Width = w
	p.vp.Height = max(h-6, 3)
	if p.content != "" {
		p.vp.SetContent(wrapBlock(p.content, w)) // wrapped, not cut, at any width
	}
}

// enter plans again every time: the answers may have changed, and so may
// the project.
func (p *planScreen) enter() tea.Cmd {
	p.seq++
	seq, cfg := p.seq, *p.s.cfg
	p.loading, p.err, p.s.plan, p.savedNote, p.confirm, p.offboardAsked = true, nil, nil, "", nil, false
	// The scripted path's wif preflight, with the risks the admin forced:
	// a refused federation is never planned (no API call).
	if _, err := engine.PreflightWIF(&cfg, p.s.allow); err != nil {
		p.loading, p.err = false, err
		return nil
	}
	ctx, backend := p.s.ctx, p.s.backend
	return tea.Batch(p.spin.Tick, func() tea.Msg {
		plan, err := backend.Plan(ctx, &cfg)
		return planMsg{seq: seq, plan: plan, err: err}
	})
}

func (p *planScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case planMsg:
		if msg.seq != p.seq {
			return nil
		}
		p.loading, p.err, p.s.plan = false, msg.err, msg.plan
		if msg.plan != nil {
			var buf bytes.Buffer
			_ = engine.RenderText(&buf, msg.plan, iostreams.NewColorScheme(p.s.color))
			p.content = strings.TrimRight(buf.String(), "\n")
			p.vp.SetContent(wrapBlock(p.content, p.vp.Width))
			p.vp.GotoTop()
		}
		return nil
	case savedMsg:
		if p.save == nil {
			return nil
		}
		if msg.err != nil {
			p.saveErr = msg.err.Error()
			return nil
		}
		p.save, p.s.savedPath = nil, msg.path
		p.savedNote = fmt.Sprintf("saved to %s · replay it in a script: %s", msg.path, p.s.replayCommand(msg.path))
		return nil
	case spinner.TickMsg:
		if !p.loading {
			return nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return cmd
	case tea.KeyMsg:
		if p.save != nil {
			return p.updateSave(msg)
		}
		if p.confirm != nil {
			return p.updateConfirm(msg)
		}
		return p.updateKeys(msg)
	}
	if p.confirm != nil {
		var cmd tea.Cmd
		p.confirm.in, cmd = p.confirm.in.Update(msg)
		return cmd
	}
	if p.save != nil {
		var cmd tea.Cmd
		*p.save, cmd = p.save.Update(msg)
		return cmd
	}
	return nil
}

func (p *planScreen) updateKeys(msg tea.KeyMsg) tea.Cmd {
	k := p.s.keys
	switch {
	case key.Matches(msg, k.QuitQ):
		return abort
	case key.Matches(msg, k.Back):
		return goTo(stepAudit)
	case key.Matches(msg, k.Save):
		in := textinput.New()
		in.Prompt = ""
		in.Width = min(p.width-30, 50)
		in.SetValue(p.s.configPath)
		in.CursorEnd()
		p.save, p.saveErr, p.overwrite = &in, "", ""
		return p.save.Focus()
	case key.Matches(msg, k.Retry) && p.err != nil:
		return p.enter()
	case key.Matches(msg, k.Apply) || key.Matches(msg, k.Next):
		switch {
		case p.loading || p.s.plan == nil:
			return nil
		case !p.s.plan.HasChanges():
			return goTo(stepVerify) // nothing to change: straight to the table
		case !key.Matches(msg, k.Apply):
			return nil // Enter alone never applies (the footer says y)
		}
		n := p.s.plan.Counts()
		changes := n.Add + n.Change + n.Destroy
		p.confirm = newTypedConfirm(fmt.Sprintf("Apply %d change%s to %s?", changes, plural(changes, "", "s"), p.s.cfg.Project), p.width)
		return textinput.Blink
	}
	var cmd tea.Cmd
	p.vp, cmd = p.vp.Update(msg)
	return cmd
}

func (p *planScreen) updateConfirm(msg tea.KeyMsg) tea.Cmd {
	if key.Matches(msg, p.s.keys.Quit) {
		return abort
	}
	ok, done, cmd := p.confirm.update(msg, p.s.keys)
	if done {
		p.confirm = nil
	}
	if !ok {
		if done {
			p.offboardAsked = false
		}
		return cmd
	}
	if users := offboarded(p.s.plan); len(users) > 0 && !p.offboardAsked {
		p.offboardAsked = true
		p.confirm = newTypedConfirm(fmt.Sprintf("This also OFFBOARDS %d identit%s (%s): their service accounts are disabled at once and their bindings removed. Offboard them?",
			len(users), plural(len(users), "y", "ies"), strings.Join(users, ", ")), p.width)
		return textinput.Blink
	}
	return goTo(stepApply)
}

// offboarded lists who the plan offboards.
func offboarded(plan *engine.Plan) []string {
	var out []string
	if plan == nil {
		return nil
	}
	for _, c := range plan.Changes {
		if !c.Offboard || c.Action == engine.ActionNoop {
			continue
		}
		if o := plan.Desired().Offboard(c.Address); o != nil {
			out = append(out, o.User)
		}
	}
	return out
}

// plural is one when n is 1, else many ("1 user", "7 users").
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func (p *planScreen) updateSave(msg tea.KeyMsg) tea.Cmd {
	k := p.s.keys
	switch {
	case key.Matches(msg, k.Quit):
		return abort
	case key.Matches(msg, k.Cancel):
		p.save = nil
		return nil
	case key.Matches(msg, k.Next):
		path := strings.TrimSpace(p.save.Value())
		if path == "" {
			p.saveErr = "type a file name, e.g. federation.yaml"
			return nil
		}
		if _, err := os.Stat(path); err == nil && path != p.s.cfg.Source() && path != p.overwrite {
			p.overwrite = path
			p.saveErr = path + " exists: press enter again to overwrite it"
			return nil
		}
		cfg := *p.s.cfg
		return func() tea.Msg { return savedMsg{path: path, err: writeConfig(&cfg, path)} }
	}
	var cmd tea.Cmd
	*p.save, cmd = p.save.Update(msg)
	p.saveErr, p.overwrite = "", ""
	return cmd
}

func (p *planScreen) view() string {
	st := p.s.styles
	var b strings.Builder
	var refused *engine.WIFSafetyError
	var notOurs *engine.OwnershipError
	switch {
	case p.loading:
		b.WriteString(p.spin.View() + " Reading the live state of " + p.s.cfg.Project + " and planning…\n")
		return b.String()
	case p.err != nil && errors.As(p.err, &refused):
		b.WriteString(st.Error.Render(markFail+" refused before any API call:") + "\n")
		for _, pr := range refused.Problems {
			b.WriteString(para(st.Error, "  ", pr, p.width))
		}
		b.WriteString("  " + st.Muted.Render("esc goes back to change the answers") + "\n")
		return b.String()
	case p.err != nil && errors.As(p.err, &notOurs):
		// Another federation's (or another user's) resources: refused
		// while planning, before any write (SPEC §7.1).
		b.WriteString(st.Error.Render(markFail+" refused before any write: these belong to someone else") + "\n")
		for _, pr := range notOurs.Problems {
			b.WriteString(para(st.Error, "  ", pr, p.width))
		}
		if fix := notOurs.Fix(); fix != "" {
			b.WriteString(para(st.Error, "  ", "fix: "+p.s.inv.Contextualize(fix, fix), p.width))
		}
		b.WriteString("  " + st.Muted.Render("esc goes back to change the answers") + "\n")
		return b.String()
	case p.err != nil:
		b.WriteString(st.Error.Render(markFail+" planning failed: "+errorLine(p.err)) + "\n")
		b.WriteString("  " + st.Muted.Render(wrap("fix: "+p.s.fixFor(p.err, p.s.cfg.Project), p.width-2)) + "\n")
		b.WriteString("  " + st.Muted.Render("r plans again · esc goes back to change the answers") + "\n")
		return b.String()
	case p.s.plan == nil:
		return ""
	}
	plan := p.s.plan
	n := plan.Counts()
	title := fmt.Sprintf("Plan for %s · %s mode", plan.Project, plan.Mode)
	if plan.Mode != config.ModeWIF { // wif federates workloads, not a list of users
		users := len(p.s.cfg.Users())
		title += fmt.Sprintf(" · %d user%s", users, plural(users, "", "s"))
	}
	b.WriteString(st.Title.Render(title) + "   ")
	if plan.HasChanges() {
		b.WriteString(st.Add.Render(fmt.Sprintf("+%d to add", n.Add)) + "  " + st.Change.Render(fmt.Sprintf("~%d to change", n.Change)) + "  ")
		if n.Destroy > 0 {
			// Removals in red, with their count (offboarding included).
			b.WriteString(st.Error.Render(fmt.Sprintf("-%d to remove", n.Destroy)) + "  ")
		}
		b.WriteString(st.Muted.Render(fmt.Sprintf("%d unchanged", n.NoOp)) + "\n\n")
	} else {
		b.WriteString(st.OK.Render("nothing to change") + "\n\n")
	}
	b.WriteString(p.vp.View() + "\n")
	if !p.vp.AtBottom() {
		b.WriteString(st.Muted.Render(fmt.Sprintf("  ↓ %d%% · scroll with ↑/↓ and pgup/pgdn", int(p.vp.ScrollPercent()*100))) + "\n")
	} else {
		b.WriteString("\n")
	}
	switch {
	case p.confirm != nil:
		b.WriteString(p.confirm.view(st, p.width))
	case p.save != nil:
		b.WriteString(st.Label.Render("Write the answers to ") + p.save.View() + "\n")
		if p.saveErr != "" {
			b.WriteString(st.Warn.Render(markWarn+" "+p.saveErr) + "\n")
		}
	case p.savedNote != "":
		b.WriteString(st.OK.Render(markOK+" "+p.savedNote) + "\n")
	case plan.HasChanges():
		b.WriteString(st.Label.Render("Apply these changes?") + st.Muted.Render(" Nothing has been changed yet: press y, then type yes.") + "\n")
	default:
		b.WriteString(st.Label.Render("Everything is in place.") + st.Muted.Render(" Enter runs the verification table.") + "\n")
	}
	return b.String()
}

func (p *planScreen) help() bindings {
	k := p.s.keys
	if p.save != nil {
		return bindings{short: []key.Binding{withHelp(k.Next, "enter", "write"), k.Cancel, k.Quit}}
	}
	if p.confirm != nil {
		return p.confirm.help(k)
	}
	if p.err != nil {
		return bindings{short: []key.Binding{withHelp(k.Retry, "r", "plan again"), k.Back, k.QuitQ}}
	}
	apply := k.Apply
	if p.s.plan != nil && !p.s.plan.HasChanges() {
		apply = withHelp(k.Next, "enter", "verify")
	}
	return bindings{
		short: []key.Binding{apply, k.Back, k.Save, k.QuitQ},
		full:  [][]key.Binding{{apply, k.Back, k.Save, k.QuitQ}, {k.Up, k.Down, k.PageUp, k.PageDown}},
	}
}

// writeConfig saves cfg as the YAML --config reads (it never holds a
// secret, so 0644 like any file meant to be committed).
func writeConfig(cfg *config.Config, path string) error {
	data, err := cfg.Marshal()
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
