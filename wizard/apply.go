package wizard

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/engine"
)

// applyScreen runs engine.Apply and shows one row per step as the engine's
// progress events arrive: a spinner and the running time while it works,
// then the result, with the error and its fix inline.
//
// Retry plans again and applies what is still pending: the engine's plan
// converges, so a retry never repeats a finished step. Ctrl-C cancels the
// apply's context — the engine stops launching steps and lets the ones in
// flight finish — and the wizard ends once Apply has returned, so nothing
// is applied after the abort and a re-run converges from what was done.
type applyScreen struct {
	s       *session
	spin    spinner.Model
	rows    []*stepRow
	attempt int
	running bool
	// stopping: Ctrl-C was pressed; waiting for the steps in flight.
	stopping bool
	cancel   context.CancelFunc
	err      error // the last attempt's error
	width    int
	height   int
}

// stepRow is one apply step on screen.
type stepRow struct {
	name    string
	status  engine.EventStatus
	started time.Time
	elapsed time.Duration
	err     error
}

type (
	applyEventMsg struct {
		attempt int
		ev      engine.Event
	}
	applyDoneMsg struct {
		attempt int
		result  *engine.Result
		err     error
	}
	// applyTickMsg redraws the running times.
	applyTickMsg struct{ attempt int }
)

const tickEvery = 100 * time.Millisecond

func newApplyScreen(s *session) *applyScreen {
	return &applyScreen{s: s, spin: spinner.New(spinner.WithSpinner(spinner.MiniDot))}
}

func (a *applyScreen) typing() bool     { return false }
func (a *applyScreen) setSize(w, h int) { a.width, a.height = w, h }
func (a *applyScreen) enter() tea.Cmd {
	if a.running || a.attempt > 0 {
		return nil // back from nowhere: this screen is entered once
	}
	return a.start(false)
}

// start runs one apply attempt in a goroutine; its events and its end come
// back through a channel the screen reads one message at a time.
func (a *applyScreen) start(replan bool) tea.Cmd {
	a.attempt++
	attempt := a.attempt
	ctx, cancel := context.WithCancel(a.s.ctx)
	a.cancel, a.running, a.err = cancel, true, nil
	// Keep the finished steps of earlier attempts; the rest are re-run.
	kept := a.rows[:0]
	for _, r := range a.rows {
		if r.status == engine.StepFinished {
			kept = append(kept, r)
		}
	}
	a.rows = kept

	backend, cfg, plan := a.s.backend, *a.s.cfg, a.s.plan
	// Room for every event of the plan (a started and an ended event per
	// change at most) so the engine's progress handler never waits on the
	// screen.
	ch := make(chan tea.Msg, 2*len(plan.Changes)+16)
	a.s.bg.Add(1)
	go func() {
		defer a.s.bg.Done()
		if replan {
			p, err := backend.Plan(ctx, &cfg)
			if err != nil {
				ch <- applyDoneMsg{attempt: attempt, err: err}
				return
			}
			plan = p
		}
		res, err := backend.Apply(ctx, plan, func(ev engine.Event) {
			select {
			case ch <- applyEventMsg{attempt: attempt, ev: ev}:
			case <-ctx.Done():
				// Cancelled and the screen is behind: the Result still
				// says what was done.
			}
		})
		a.s.setFinal(res)
		select {
		case ch <- applyDoneMsg{attempt: attempt, result: res, err: err}:
		default:
			go func() { ch <- applyDoneMsg{attempt: attempt, result: res, err: err} }()
		}
	}()
	return tea.Batch(listen(ch), a.spin.Tick, a.tick())
}

func listen(ch <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg {
		msg := <-ch
		if _, ok := msg.(applyEventMsg); ok {
			return listenedMsg{msg: msg, next: listen(ch)}
		}
		return msg
	}
}

// listenedMsg carries an event and the Cmd that reads the next one.
type listenedMsg struct {
	msg  tea.Msg
	next tea.Cmd
}

func (a *applyScreen) tick() tea.Cmd {
	attempt := a.attempt
	return tea.Tick(tickEvery, func(time.Time) tea.Msg { return applyTickMsg{attempt: attempt} })
}

func (a *applyScreen) update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case listenedMsg:
		a.update(msg.msg)
		return msg.next
	case applyEventMsg:
		if msg.attempt == a.attempt {
			a.event(msg.ev)
		}
		return nil
	case applyDoneMsg:
		if msg.attempt != a.attempt {
			return nil
		}
		return a.done(msg)
	case applyTickMsg:
		if msg.attempt != a.attempt || !a.running {
			return nil
		}
		return a.tick()
	case spinner.TickMsg:
		if !a.running {
			return nil
		}
		var cmd tea.Cmd
		a.spin, cmd = a.spin.Update(msg)
		return cmd
	case tea.KeyMsg:
		return a.key(msg)
	}
	return nil
}

func (a *applyScreen) event(ev engine.Event) {
	var row *stepRow
	for _, r := range a.rows {
		if r.name == ev.Step && r.status != engine.StepFinished {
			row = r
		}
	}
	if row == nil {
		row = &stepRow{name: ev.Step, started: a.s.now()}
		a.rows = append(a.rows, row)
	}
	row.status, row.err = ev.Status, ev.Err
	if ev.Status != engine.StepStarted {
		row.elapsed = ev.Elapsed
	}
}

func (a *applyScreen) done(msg applyDoneMsg) tea.Cmd {
	a.running, a.err = false, msg.err
	a.cancel()
	if msg.result != nil {
		a.s.result = msg.result
		a.s.applied += msg.result.Count(engine.OutcomeApplied)
	}
	if a.stopping {
		a.s.stopped = true
		return abort
	}
	return nil
}

func (a *applyScreen) key(msg tea.KeyMsg) tea.Cmd {
	k := a.s.keys
	switch {
	case key.Matches(msg, k.Quit) || (!a.running && key.Matches(msg, k.QuitQ)):
		if a.running {
			a.stopping = true
			a.cancel()
			return nil
		}
		if a.err != nil && a.s.applied > 0 {
			a.s.stopped = true
		}
		return abort
	case a.running:
		return nil
	case a.err != nil && key.Matches(msg, k.Retry):
		return a.start(true)
	case a.err == nil && key.Matches(msg, k.Next):
		return goTo(stepVerify)
	}
	return nil
}

func (a *applyScreen) view() string {
	st := a.s.styles
	var b strings.Builder
	plan := a.s.plan
	switch {
	case a.stopping:
		b.WriteString(st.Warn.Render(markWarn+" Stopping: no new steps are started; waiting for the ones in flight…") + "\n\n")
	case a.running && a.attempt > 1:
		b.WriteString(st.Title.Render(fmt.Sprintf("Retrying in %s (attempt %d): planning again, applying what is still missing…", a.s.cfg.Project, a.attempt)) + "\n\n")
	case a.running:
		n := plan.Counts()
		b.WriteString(st.Title.Render(fmt.Sprintf("Applying %d changes to %s…", n.Add+n.Change+n.Destroy, a.s.cfg.Project)) + "\n\n")
	case a.err != nil:
		b.WriteString(st.Error.Render(markFail+" Apply incomplete: "+errorLine(a.err)) + "\n\n")
	default:
		b.WriteString(st.OK.Render(fmt.Sprintf("%s Applied %d changes.", markOK, a.s.applied)) + "\n\n")
	}
	b.WriteString(a.rowsView())
	if r := a.s.result; r != nil && !a.running {
		if sk := r.Count(engine.OutcomeSkipped); sk > 0 {
			b.WriteString("\n" + st.Muted.Render(fmt.Sprintf("%d change(s) not started. Nothing is half-done: a retry or a re-run of fedctl setup applies only what is missing.", sk)) + "\n")
		}
	}
	if !a.running && a.err == nil {
		if out := wifOutputsView(a.s, a.width); out != "" {
			b.WriteString("\n" + out)
		}
		b.WriteString("\n" + st.Label.Render("Press enter to verify every identity.") + "\n")
	}
	return b.String()
}

// rowsView lists the steps; when they do not fit, the failed and running
// ones are kept and the oldest finished ones folded into a count.
func (a *applyScreen) rowsView() string {
	st := a.s.styles
	limit := max(a.height-6, 3)
	show := a.rows
	hidden := 0
	if len(show) > limit {
		var keep []*stepRow
		finished := 0
		for _, r := range a.rows {
			if r.status == engine.StepFinished {
				finished++
			}
		}
		drop := len(a.rows) - limit + 1
		for _, r := range a.rows {
			if drop > 0 && r.status == engine.StepFinished {
				drop--
				hidden++
				continue
			}
			keep = append(keep, r)
		}
		show = keep
	}
	var b strings.Builder
	if hidden > 0 {
		b.WriteString("  " + st.Muted.Render(fmt.Sprintf("%s %d earlier steps done", markOK, hidden)) + "\n")
	}
	nameW := max(a.width-14, 20)
	for _, r := range show {
		name := r.name
		if len(name) > nameW {
			name = name[:nameW-1] + "…"
		}
		switch r.status {
		case engine.StepStarted:
			el := a.s.now().Sub(r.started)
			b.WriteString(fmt.Sprintf("  %s %-*s %s\n", a.spin.View(), nameW, name, st.Muted.Render(fmtElapsed(el))))
		case engine.StepFinished:
			b.WriteString(fmt.Sprintf("  %s %-*s %s\n", st.OK.Render(markOK), nameW, name, st.Muted.Render(fmtElapsed(r.elapsed))))
		case engine.StepFailed:
			b.WriteString(fmt.Sprintf("  %s %-*s %s\n", st.Error.Render(markFail), nameW, name, st.Muted.Render(fmtElapsed(r.elapsed))))
			if errors.Is(r.err, context.Canceled) {
				b.WriteString("      " + st.Muted.Render("stopped by Ctrl-C") + "\n")
				continue
			}
			b.WriteString("      " + indentLines(styleLines(st.Error, wrap(errorLine(r.err), a.width-6)), "      ") + "\n")
			b.WriteString("      " + indentLines(styleLines(st.Muted, wrap("fix: "+a.s.fixFor(r.err, a.s.cfg.Project), a.width-6)), "      ") + "\n")
		}
	}
	return b.String()
}

func fmtElapsed(d time.Duration) string {
	return fmt.Sprintf("%5.1fs", d.Seconds())
}

func (a *applyScreen) help() bindings {
	k := a.s.keys
	switch {
	case a.running:
		return bindings{short: []key.Binding{withHelp(k.Quit, "ctrl+c", "stop after the steps in flight")}}
	case a.err != nil:
		return bindings{short: []key.Binding{k.Retry, k.QuitQ}}
	}
	return bindings{short: []key.Binding{withHelp(k.Next, "enter", "verify"), k.QuitQ}}
}
