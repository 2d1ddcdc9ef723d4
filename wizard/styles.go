package wizard

import "github.com/charmbracelet/lipgloss"

// Colours adapt to the terminal's background (lipgloss picks Light or Dark);
// with colour off (NO_COLOR, --no-color) the renderer drops them and the
// screens stay readable through their marks (✓ ✗ ! + ~) alone.
var (
	colorAccent = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#B4A5FF"}
	colorMuted  = lipgloss.AdaptiveColor{Light: "#6B6B6B", Dark: "#9A9A9A"}
	colorOK     = lipgloss.AdaptiveColor{Light: "#1A7F37", Dark: "#56D364"}
	colorWarn   = lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#E3B341"}
	colorError  = lipgloss.AdaptiveColor{Light: "#CF222E", Dark: "#FF7B72"}
	colorChange = lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#E3B341"}
)

// Styles are every style the wizard draws with, built once from a renderer
// (the program's output in production, an ASCII one in golden tests).
type Styles struct {
	Brand    lipgloss.Style
	Step     lipgloss.Style
	StepNow  lipgloss.Style
	StepDone lipgloss.Style
	Title    lipgloss.Style
	Label    lipgloss.Style
	Focused  lipgloss.Style
	Muted    lipgloss.Style
	OK       lipgloss.Style
	Warn     lipgloss.Style
	Error    lipgloss.Style
	Add      lipgloss.Style
	Change   lipgloss.Style
	Cursor   lipgloss.Style
	Box      lipgloss.Style
	Help     lipgloss.Style
}

// NewStyles builds the styles on r.
func NewStyles(r *lipgloss.Renderer) *Styles {
	s := r.NewStyle
	return &Styles{
		Brand:    s().Bold(true).Foreground(colorAccent),
		Step:     s().Foreground(colorMuted),
		StepNow:  s().Bold(true).Underline(true).Foreground(colorAccent),
		StepDone: s().Foreground(colorOK),
		Title:    s().Bold(true),
		Label:    s().Bold(true),
		Focused:  s().Bold(true).Foreground(colorAccent),
		Muted:    s().Foreground(colorMuted),
		OK:       s().Foreground(colorOK),
		Warn:     s().Foreground(colorWarn),
		Error:    s().Foreground(colorError),
		Add:      s().Foreground(colorOK),
		Change:   s().Foreground(colorChange),
		Cursor:   s().Bold(true).Foreground(colorAccent),
		Box:      s().Border(lipgloss.RoundedBorder()).BorderForeground(colorMuted).Padding(0, 1),
		Help:     s().Foreground(colorMuted),
	}
}

// Status marks, shared by every screen.
const (
	markOK    = "✓"
	markFail  = "✗"
	markWarn  = "!"
	markSkip  = "-"
	markFocus = "›"
)
