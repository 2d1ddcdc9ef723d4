package wizard

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
)

// projectScreen shows the detected project (editable), its number once
// read, and the APIs setup will enable with their current state.
type projectScreen struct {
	s       *session
	input   textinput.Model
	spin    spinner.Model
	width   int
	loading bool
	// asked is the project whose lookup is in flight or finished; a result
	// for any other project is stale and dropped.
	asked string
	info  *ProjectInfo
	err   error
}

// projectInfoMsg is the result of a project lookup.
type projectInfoMsg struct {
	project string
	info    *ProjectInfo
	err     error
}

func newProjectScreen(s *session) *projectScreen {
	in := textinput.New()
	in.Prompt = ""
	in.Placeholder = "my-project-id"
	in.CharLimit = 100
	in.SetValue(s.cfg.Project)
	return &projectScreen{s: s, input: in, spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
}

func (p *projectScreen) typing() bool { return true }

func (p *projectScreen) setSize(w, _ int) {
	p.width = w
	p.input.Width = min(w-12, 60)
}

func (p *projectScreen) enter() tea.Cmd {
	cmds := []tea.Cmd{p.input.Focus()}
	if p.info == nil && !p.loading && p.problem() == "" {
		cmds = append(cmds, p.lookup())
	}
	return tea.Batch(cmds...)
}

// problem is the inline validation message for the typed ID ("" if valid).
func (p *projectScreen) problem() string {
	v := strings.TrimSpace(p.input.Value())
	if v == "" {
		return "enter the project ID (gcloud projects list shows them)"
	}
	if err := config.CheckProjectID(v); err != nil {
		return err.Error()
	}
	return ""
}

// lookup reads the project in a Cmd; the spinner runs meanwhile.
func (p *projectScreen) lookup() tea.Cmd {
	id := strings.TrimSpace(p.input.Value())
	p.asked, p.loading, p.info, p.err = id, true, nil, nil
	apis := p.s.cfg.RequiredAPIs()
	ctx, backend := p.s.ctx, p.s.backend
	return tea.Batch(p.spin.Tick, func() tea.Msg {
		info, err := backend.Project(ctx, id, apis)
		return projectInfoMsg{project: id, info: info, err: err}
	})
}

func (p *projectScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case projectInfoMsg:
		if msg.project != p.asked {
			return nil
		}
		p.loading, p.info, p.err = false, msg.info, msg.err
		return nil
	case spinner.TickMsg:
		if !p.loading {
			return nil
		}
		var cmd tea.Cmd
		p.spin, cmd = p.spin.Update(msg)
		return cmd
	case tea.KeyMsg:
		k := p.s.keys
		switch {
		case key.Matches(msg, k.Quit):
			return abort
		case key.Matches(msg, k.Recheck):
			if p.problem() == "" {
				return p.lookup()
			}
			return nil
		case key.Matches(msg, k.Next):
			return p.next()
		}
	}
	var cmd tea.Cmd
	p.input, cmd = p.input.Update(msg)
	return cmd
}

// next moves on once the typed project has been read successfully; an
// edited ID is read first (Enter again continues).
func (p *projectScreen) next() tea.Cmd {
	if p.problem() != "" {
		return nil
	}
	id := strings.TrimSpace(p.input.Value())
	switch {
	case id != p.asked || (p.err != nil && !p.loading):
		return p.lookup()
	case p.loading || p.info == nil:
		return nil
	}
	p.s.cfg.Project, p.s.projectNumber = id, p.info.Number
	return goTo(stepMode)
}

func (p *projectScreen) view() string {
	st := p.s.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("Which Google Cloud project?") + "\n")
	b.WriteString(styleLines(st.Muted, wrap("Detected from --project, CLOUDSDK_CORE_PROJECT, GOOGLE_CLOUD_PROJECT or gcloud's config; edit it if needed.", p.width)) + "\n\n")
	b.WriteString(st.Label.Render("Project ID ") + p.input.View() + "\n")
	if why := p.problem(); why != "" {
		b.WriteString(st.Error.Render(markFail+" "+why) + "\n")
		return b.String()
	}
	id := strings.TrimSpace(p.input.Value())
	switch {
	case id != p.asked:
		b.WriteString(st.Muted.Render("Press enter to read this project.") + "\n")
	case p.loading:
		b.WriteString(p.spin.View() + " Reading project " + id + "…\n")
	case p.err != nil:
		b.WriteString(styleLines(st.Error, wrap(markFail+" "+errorLine(p.err), p.width)) + "\n")
		b.WriteString("  " + indentLines(styleLines(st.Muted, wrap("fix: "+p.s.fixFor(p.err, id), p.width-2)), "  ") + "\n")
		b.WriteString(st.Muted.Render("  Press enter to try again.") + "\n")
	case p.info != nil:
		b.WriteString(p.infoView())
	}
	return b.String()
}

func (p *projectScreen) infoView() string {
	st := p.s.styles
	info := p.info
	var b strings.Builder
	num := info.Number
	if info.Name != "" && info.Name != info.ID {
		num += " (" + info.Name + ")"
	}
	b.WriteString(st.Label.Render("Number     ") + num + "\n\n")
	b.WriteString(st.Label.Render(fmt.Sprintf("APIs setup enables (%s mode)", p.s.cfg.Mode)) + "\n")
	off := 0
	for _, a := range info.APIs {
		if a.Enabled {
			b.WriteString("  " + st.OK.Render(markOK) + " " + a.Service + st.Muted.Render("  enabled") + "\n")
		} else {
			off++
			b.WriteString("  " + st.Change.Render("+") + " " + a.Service + st.Muted.Render("  off: setup enables it") + "\n")
		}
	}
	if off == 0 {
		b.WriteString(st.Muted.Render("All required APIs are on already.") + "\n")
	}
	return b.String()
}

func (p *projectScreen) help() bindings {
	k := p.s.keys
	return bindings{short: []key.Binding{k.Next, k.Recheck, k.Quit}}
}
