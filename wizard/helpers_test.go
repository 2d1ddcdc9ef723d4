package wizard

import (
	"context"
	"os"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/verify"
)

// Golden files hold plain text: every renderer draws without colour.
func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	lipgloss.SetHasDarkBackground(true)
	os.Exit(m.Run())
}

var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// emu is an emulated project and a real Backend over it; every wait the
// clients, the engine or verify ask for advances the fake clock instead.
type emu struct {
	srv     *emulator.TestServer
	clock   *emulator.FakeClock
	backend Backend
	client  *gcp.Client
}

func newEmu(t *testing.T) *emu {
	t.Helper()
	clock := emulator.NewFakeClock(t0)
	srv := emulator.NewTestServer(t, emulator.Options{Now: clock.Now})
	sleep := func(ctx context.Context, d time.Duration) error {
		clock.Advance(d)
		return ctx.Err()
	}
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token, Retry: gcp.RetryPolicy{Sleep: sleep}})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBackend(c, BackendOptions{
		Engine: engine.Options{Consistency: gcp.RetryPolicy{Sleep: sleep}, Now: clock.Now},
		Verify: verify.Options{Sleep: sleep, Now: clock.Now},
	})
	return &emu{srv: srv, clock: clock, backend: b, client: c}
}

// testSession is a session over backend for cfg, clock frozen at t0.
func testSession(cfg *config.Config, backend Backend) *session {
	return newSession(context.Background(), cfg, backend, func() time.Time { return t0 })
}

// sized is the root model at step, laid out for a w×h terminal.
func sized(s *session, at step, w, h int) *Model {
	m := newModel(s, at)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	return m
}

func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+o":
		return tea.KeyMsg{Type: tea.KeyCtrlO}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// typeText feeds s to the model as keystrokes.
func typeText(m *Model, s string) {
	for _, r := range s {
		m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// msgOf runs cmd when it is a navigation Cmd and returns its message; nil
// for none. Only for Cmds that return at once (goTo, abort, finish).
func navOf(cmd tea.Cmd) tea.Msg {
	if cmd == nil {
		return nil
	}
	switch msg := cmd().(type) {
	case goMsg, abortMsg, finishMsg:
		return msg
	}
	return nil
}

func mustPlan(t *testing.T, e *emu, cfg *config.Config) *engine.Plan {
	t.Helper()
	p, err := e.backend.Plan(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validCfg is a preflight-clean impersonation configuration.
func validCfg(users ...string) *config.Config {
	cfg := &config.Config{Project: "demo-project"}
	cfg.SetUsers(users)
	cfg.ApplyDefaults()
	return cfg
}

type (
	enginePlan   = engine.Plan
	engineEvent  = engine.Event
	engineResult = engine.Result
)
