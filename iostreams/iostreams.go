// Package iostreams is the one place that knows whether fedctl talks to a
// terminal: which standard streams are TTYs, whether colour is allowed, how
// wide the terminal is, and whether a prompt may be shown at all.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// defaultWidth is used when stdout is not a terminal (pipes, files, CI), so
// wrapped output is stable and independent of whoever happened to run it.
const defaultWidth = 80

// IOStreams bundles the standard streams with what is known about them.
// Commands get one from the Factory and never look at os.Stdin/os.Stdout.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool

	// colorEnabled governs Out, errColorEnabled governs ErrOut: with
	// `--output json > file` stdout is a file but progress on stderr may
	// still be coloured.
	colorEnabled    bool
	errColorEnabled bool

	// width reports the terminal's columns, 0 when unknown.
	width func() int
}

// System returns the process's real streams. TTYs are detected with
// x/term; colour is on only for a terminal, and never when NO_COLOR is set
// to a non-empty value (https://no-color.org) or TERM is "dumb".
func System() *IOStreams {
	return newSystem(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}

// newSystem is System with its inputs injectable, for tests.
func newSystem(stdin, stdout, stderr *os.File, getenv func(string) string) *IOStreams {
	isTTY := func(f *os.File) bool { return f != nil && term.IsTerminal(int(f.Fd())) }
	ios := &IOStreams{
		In:        stdin,
		Out:       stdout,
		ErrOut:    stderr,
		stdinTTY:  isTTY(stdin),
		stdoutTTY: isTTY(stdout),
		stderrTTY: isTTY(stderr),
		width: func() int {
			w, _, err := term.GetSize(int(stdout.Fd()))
			if err != nil {
				return 0
			}
			return w
		},
	}
	colourAllowed := envAllowsColor(getenv)
	ios.colorEnabled = colourAllowed && ios.stdoutTTY
	ios.errColorEnabled = colourAllowed && ios.stderrTTY
	return ios
}

// envAllowsColor applies the environment's colour conventions.
func envAllowsColor(getenv func(string) string) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	return getenv("TERM") != "dumb"
}

// Test returns streams backed by buffers: no TTYs, no colour, width 80.
// Use the setters to simulate a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	ios = &IOStreams{
		In:     in,
		Out:    out,
		ErrOut: errOut,
		width:  func() int { return 0 },
	}
	return ios, in, out, errOut
}

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetStdinTTY overrides TTY detection for stdin (tests).
func (s *IOStreams) SetStdinTTY(v bool) { s.stdinTTY = v }

// SetStdoutTTY overrides TTY detection for stdout (tests).
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }

// SetStderrTTY overrides TTY detection for stderr (tests).
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// CanPrompt reports whether a question may be asked: only when a person can
// both see it and answer it (SPEC §2: stdin and stdout are terminals).
// Callers also honour --yes; this only says whether prompting is possible.
func (s *IOStreams) CanPrompt() bool { return s.stdinTTY && s.stdoutTTY }

// ColorEnabled reports whether Out may carry ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.colorEnabled }

// ErrColorEnabled reports whether ErrOut may carry ANSI colour.
func (s *IOStreams) ErrColorEnabled() bool { return s.errColorEnabled }

// SetColorEnabled forces colour on or off for both Out and ErrOut. cmd calls
// SetColorEnabled(false) for --no-color; tests call it to see colour.
func (s *IOStreams) SetColorEnabled(v bool) {
	s.colorEnabled = v
	s.errColorEnabled = v
}

// TerminalWidth returns stdout's width in columns, or 80 when stdout is not
// a terminal or its size cannot be read.
func (s *IOStreams) TerminalWidth() int {
	if !s.stdoutTTY || s.width == nil {
		return defaultWidth
	}
	if w := s.width(); w > 0 {
		return w
	}
	return defaultWidth
}

// SetTerminalWidth fixes the width TerminalWidth reports while stdout is a
// TTY (tests).
func (s *IOStreams) SetTerminalWidth(w int) { s.width = func() int { return w } }
