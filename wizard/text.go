package wizard

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
)

// wrap wraps plain text to width, continuation lines indented by two spaces
// so they read as one item.
func wrap(s string, width int) string {
	if width < 20 {
		width = 20
	}
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case lipgloss.Width(line)+1+lipgloss.Width(w) > width:
			lines = append(lines, line)
			line = "  " + w
		default:
			line += " " + w
		}
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// indentLines prefixes every line of s after the first with pad (for text
// that continues a line already started with pad).
func indentLines(s, pad string) string {
	return strings.ReplaceAll(s, "\n", "\n"+pad)
}

// styleLines renders each line of s on its own, so that a multi-line text
// is not padded into a block.
func styleLines(st lipgloss.Style, s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return strings.Join(lines, "\n")
}

// para is text wrapped to width after pad, styled line by line, every line
// starting with pad, ending in a newline.
func para(st lipgloss.Style, pad, text string, width int) string {
	return pad + indentLines(styleLines(st, wrap(text, width-len(pad))), pad) + "\n"
}
