package iostreams

// ColorScheme styles short pieces of text with ANSI SGR codes, or returns
// them unchanged when colour is off, so callers never branch on colour.
// Plain escape codes (not lipgloss) keep `fedctl --help` start-up cheap and
// output byte-for-byte predictable in tests; the TUI uses lipgloss itself.
type ColorScheme struct {
	enabled bool
}

// NewColorScheme returns a scheme that colours only when enabled.
func NewColorScheme(enabled bool) *ColorScheme { return &ColorScheme{enabled: enabled} }

// ColorScheme styles text written to Out.
func (s *IOStreams) ColorScheme() *ColorScheme { return NewColorScheme(s.colorEnabled) }

// ErrColorScheme styles text written to ErrOut.
func (s *IOStreams) ErrColorScheme() *ColorScheme { return NewColorScheme(s.errColorEnabled) }

// Enabled reports whether this scheme emits escape codes.
func (c *ColorScheme) Enabled() bool { return c.enabled }

func (c *ColorScheme) wrap(code, text string) string {
	if !c.enabled || text == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

func (c *ColorScheme) Bold(s string) string   { return c.wrap("1", s) }
func (c *ColorScheme) Red(s string) string    { return c.wrap("31", s) }
func (c *ColorScheme) Green(s string) string  { return c.wrap("32", s) }
func (c *ColorScheme) Yellow(s string) string { return c.wrap("33", s) }
func (c *ColorScheme) Cyan(s string) string   { return c.wrap("36", s) }
func (c *ColorScheme) Gray(s string) string   { return c.wrap("90", s) }

// SuccessIcon, FailureIcon and WarningIcon are the status marks used in
// tables and progress lines, coloured like their meaning.
func (c *ColorScheme) SuccessIcon() string { return c.Green("✓") }
func (c *ColorScheme) FailureIcon() string { return c.Red("✗") }
func (c *ColorScheme) WarningIcon() string { return c.Yellow("!") }
