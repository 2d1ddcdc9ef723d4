package iostreams

import (
	"os"
	"testing"
)

func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

// pipeFiles returns non-terminal *os.File streams, as in CI or a pipe.
func pipeFiles(t *testing.T) (*os.File, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestSystemWithoutTTYHasNoColourAndCannotPrompt(t *testing.T) {
	r, w := pipeFiles(t)
	ios := newSystem(r, w, w, env(map[string]string{"TERM": "xterm-256color"}))
	if ios.IsStdinTTY() || ios.IsStdoutTTY() || ios.IsStderrTTY() {
		t.Fatal("pipes detected as terminals")
	}
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Error("colour enabled without a terminal")
	}
	if ios.CanPrompt() {
		t.Error("CanPrompt true without a terminal")
	}
	if got := ios.ColorScheme().Red("x"); got != "x" {
		t.Errorf("Red without colour = %q, want plain", got)
	}
}

func TestEnvAllowsColor(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want bool
	}{
		{"plain terminal", map[string]string{"TERM": "xterm"}, true},
		{"NO_COLOR set", map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
		{"NO_COLOR empty is ignored", map[string]string{"TERM": "xterm", "NO_COLOR": ""}, true},
		{"dumb terminal", map[string]string{"TERM": "dumb"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := envAllowsColor(env(tc.env)); got != tc.want {
				t.Errorf("envAllowsColor = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSetColorEnabledFalseWins(t *testing.T) {
	// Simulates --no-color on a colour terminal.
	ios, _, _, _ := Test()
	ios.SetStdoutTTY(true)
	ios.SetColorEnabled(true)
	if got := ios.ColorScheme().Green("ok"); got != "\x1b[32mok\x1b[0m" {
		t.Fatalf("Green with colour = %q", got)
	}
	ios.SetColorEnabled(false)
	if ios.ColorEnabled() || ios.ErrColorEnabled() {
		t.Fatal("colour still enabled after SetColorEnabled(false)")
	}
	cs := ios.ColorScheme()
	if got := cs.Bold("b") + cs.SuccessIcon() + cs.FailureIcon() + cs.WarningIcon(); got != "b✓✗!" {
		t.Errorf("plain rendering = %q", got)
	}
}

func TestTerminalWidth(t *testing.T) {
	ios, _, _, _ := Test()
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("width without TTY = %d, want 80", got)
	}
	ios.SetTerminalWidth(132)
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("width with a size but stdout not a TTY = %d, want 80", got)
	}
	ios.SetStdoutTTY(true)
	if got := ios.TerminalWidth(); got != 132 {
		t.Errorf("width on a TTY = %d, want 132", got)
	}
	ios.SetTerminalWidth(0) // size unreadable
	if got := ios.TerminalWidth(); got != 80 {
		t.Errorf("width when unknown = %d, want 80", got)
	}
}

func TestCanPromptNeedsStdinAndStdout(t *testing.T) {
	for _, tc := range []struct{ in, out, want bool }{
		{true, true, true}, {true, false, false}, {false, true, false}, {false, false, false},
	} {
		ios, _, _, _ := Test()
		ios.SetStdinTTY(tc.in)
		ios.SetStdoutTTY(tc.out)
		if got := ios.CanPrompt(); got != tc.want {
			t.Errorf("stdin=%v stdout=%v: CanPrompt = %v, want %v", tc.in, tc.out, got, tc.want)
		}
	}
}
