package wizard

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/spinner"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/verify"
)

// verifyScreen runs the SPEC §3 verification table (verify.Run, rendered by
// verify.RenderText) for every user, and can run it again for one user.
type verifyScreen struct {
	s       *session
	spin    spinner.Model
	vp      viewport.Model
	loading bool
	rerun   string // the user being verified again ("" for everyone)
	seq     int
	err     error
	sel     int          // the user r re-runs
	consent consentState // oauth: a sign-in in progress (oauth_verify.go)
	width   int
	height  int
}

type verifyMsg struct {
	seq    int
	user   string // "" for the whole table
	report *verify.Report
	err    error
}

func newVerifyScreen(s *session) *verifyScreen {
	return &verifyScreen{s: s, spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)), vp: viewport.New(80, 10)}
}

func (v *verifyScreen) typing() bool { return false }

func (v *verifyScreen) setSize(w, h int) {
	v.width, v.height = w, h
	reserved := 6 + len(v.s.cfg.Users())
	if v.s.cfg.Mode == config.ModeWIF {
		reserved += 6 // the integration values
	}
	v.vp.Width, v.vp.Height = w, max(h-reserved, 3)
	v.render()
}

func (v *verifyScreen) enter() tea.Cmd {
	v.selectOperator()
	return v.run("")
}

// run verifies every user (user "") or one user again.
func (v *verifyScreen) run(user string) tea.Cmd {
	v.seq++
	seq, cfg := v.seq, *v.s.cfg
	users := cfg.Users()
	if user != "" {
		users = []string{user}
	}
	v.loading, v.rerun, v.err = true, user, nil
	ctx, backend := v.s.ctx, v.s.backend
	return tea.Batch(v.spin.Tick, func() tea.Msg {
		rep, err := backend.Verify(ctx, &cfg, users)
		return verifyMsg{seq: seq, user: user, report: rep, err: err}
	})
}

func (v *verifyScreen) update(msg tea.Msg) tea.Cmd {
	if cmd, ok := v.oauthUpdate(msg); ok {
		return cmd
	}
	if km, ok := msg.(tea.KeyMsg); ok {
		if cmd, ok := v.oauthKey(km); ok {
			return cmd
		}
	}
	switch msg := msg.(type) {
	case verifyMsg:
		if msg.seq != v.seq {
			return nil
		}
		v.loading, v.err = false, msg.err
		if msg.err == nil {
			if msg.user == "" || v.s.report == nil {
				v.s.report = msg.report
			} else {
				v.s.report = mergeUser(v.s.report, msg.report, msg.user)
			}
			v.render()
		}
		return nil
	case spinner.TickMsg:
		if !v.loading {
			return nil
		}
		var cmd tea.Cmd
		v.spin, cmd = v.spin.Update(msg)
		return cmd
	case tea.KeyMsg:
		k := v.s.keys
		users := v.s.cfg.Users()
		switch {
		case key.Matches(msg, k.Quit):
			return abortOrFinish(v.s)
		case key.Matches(msg, k.Finish):
			if v.loading {
				return nil
			}
			return finish
		case v.loading:
			return nil
		case key.Matches(msg, k.NextItem) && len(users) > 0:
			v.sel = (v.sel + 1) % len(users)
		case key.Matches(msg, k.PrevItem) && len(users) > 0:
			v.sel = (v.sel + len(users) - 1) % len(users)
		case key.Matches(msg, k.Rerun) && len(users) > 0:
			return v.run(users[v.sel])
		case key.Matches(msg, k.Rerun):
			return v.run("") // no users (wif): the whole table again
		case key.Matches(msg, k.Retry) && v.err != nil:
			return v.run("")
		default:
			var cmd tea.Cmd
			v.vp, cmd = v.vp.Update(msg)
			return cmd
		}
	}
	return nil
}

// untested counts the users whose session could not be tried.
func untested(rep *verify.Report) int {
	n := 0
	for _, u := range rep.Users {
		if !u.OK {
			n++
		}
	}
	return n
}

// abortOrFinish: Ctrl-C on the last screen ends the wizard as done when
// the table is there (setup is complete: its record is printed), as
// aborted while it runs; either way Ctrl-C exits 130, as everywhere.
func abortOrFinish(s *session) tea.Cmd {
	if s.report == nil {
		return abort
	}
	s.interrupted = true
	return finish
}

// mergeUser replaces user's rows and verdict in all with those of one, and
// the project rows with the fresher ones of one.
func mergeUser(all, one *verify.Report, user string) *verify.Report {
	out := *all
	out.Checks = nil
	for _, c := range one.Checks {
		if c.Scope != verify.ScopeUser {
			out.Checks = append(out.Checks, c)
		}
	}
	for _, c := range all.Checks {
		if c.Scope == verify.ScopeUser {
			if c.Subject == user {
				for _, n := range one.Checks {
					if n.Scope == verify.ScopeUser && n.Subject == user && n.Name == c.Name {
						c = n
					}
				}
			}
			out.Checks = append(out.Checks, c)
		}
	}
	out.Users = append([]verify.UserVerdict(nil), all.Users...)
	for i, u := range out.Users {
		for _, n := range one.Users {
			if u.Email == user && n.Email == user {
				out.Users[i] = n
			}
		}
	}
	out.Recount()
	return &out
}

// render puts the table into the viewport at the current width.
func (v *verifyScreen) render() {
	if v.s.report == nil {
		return
	}
	var buf bytes.Buffer
	_ = verify.RenderText(&buf, v.s.report, verify.TextOptions{TTY: true, Color: v.s.color, Width: v.width})
	v.vp.SetContent(strings.TrimRight(buf.String(), "\n"))
}

func (v *verifyScreen) view() string {
	if cv := v.consentView(); cv != "" {
		return cv
	}
	st := v.s.styles
	var b strings.Builder
	switch {
	case v.loading && v.rerun != "":
		b.WriteString(v.spin.View() + " Verifying " + v.rerun + " again: minting a token and probing BigQuery…\n\n")
	case v.loading && v.s.cfg.Mode == config.ModeWIF:
		b.WriteString(v.spin.View() + " Verifying the federation: pool, provider, condition and bindings…\n\n")
	case v.loading:
		b.WriteString(v.spin.View() + fmt.Sprintf(" Verifying %d identities: minting a token for each and probing BigQuery…", len(v.s.cfg.Users())) + "\n\n")
	case v.err != nil:
		b.WriteString(st.Error.Render(markFail+" verification could not run: "+errorLine(v.err)) + "\n")
		b.WriteString("  " + st.Muted.Render("r tries again") + "\n")
		return b.String()
	case v.s.report != nil && v.s.report.Failed():
		b.WriteString(st.Error.Render(fmt.Sprintf("%s %s: the fixes are in the table", markFail, v.s.report.FailureMessage())) + "\n\n")
	case v.s.report != nil && untested(v.s.report) > 0:
		b.WriteString(st.Warn.Render(fmt.Sprintf("%s %d identit(ies) could not be tested: the verdicts say why", markWarn, untested(v.s.report))) + "\n\n")
	case v.s.report != nil && v.s.cfg.Mode == config.ModeWIF:
		b.WriteString(para(st.OK, "", markOK+" The federation is in place. `"+v.s.commandFor("verify", "--subject-token-file", "JWT")+"` tries a workload's token end to end.", v.width) + "\n")
	case v.s.report != nil:
		b.WriteString(st.OK.Render(markOK+" Every identity can start a session.") + "\n\n")
	}
	if rep := v.s.report; rep != nil {
		if out := wifOutputsView(v.s, v.width); out != "" {
			b.WriteString(out + "\n")
		}
		// The verdicts first: the answer to "would a session start?"; the
		// table with every check and fix scrolls below.
		for _, u := range rep.Users {
			mark, style := markOK, st.OK
			switch {
			case !u.OK && !u.Tested:
				mark, style = markSkip, st.Warn
			case !u.OK:
				mark, style = markFail, st.Error
			}
			b.WriteString(para(style, "", mark+" "+u.Email+": "+u.Verdict, v.width))
		}
		if len(rep.Users) > 0 {
			b.WriteString("\n")
		}
		b.WriteString(v.vp.View() + "\n")
		if users := v.s.cfg.Users(); len(users) > 0 {
			b.WriteString("\n" + st.Label.Render("Re-run for: ") + st.Focused.Render(users[v.sel]) + st.Muted.Render(fmt.Sprintf("  (%d/%d, tab to change)", v.sel+1, len(users))) + "\n")
		}
	}
	return b.String()
}

func (v *verifyScreen) help() bindings {
	k := v.s.keys
	short := append([]key.Binding{withHelp(k.NextItem, "tab", "next user"), k.Rerun}, append(v.consentHelp(), k.Finish)...)
	if len(v.s.cfg.Users()) == 0 {
		short = []key.Binding{withHelp(k.Rerun, "r", "verify again"), k.Finish}
	}
	return bindings{short: short, full: [][]key.Binding{short, {k.Up, k.Down, k.PageUp, k.PageDown}}}
}
