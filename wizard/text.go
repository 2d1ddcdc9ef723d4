package wizard

import (
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
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

// wrapBlock wraps every line of s (which may carry ANSI styles) that is
// wider than width, so that a narrow terminal shows everything instead of
// cutting it. Continuation lines hang under the line's last column (the
// text after a run of spaces, as in "› wif   Workload…"), or two past its
// indentation.
func wrapBlock(s string, width int) string {
	if width < 20 {
		width = 20
	}
	lines := strings.Split(s, "\n")
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if ansi.StringWidth(l) <= width {
			out = append(out, l)
			continue
		}
		hang := hangColumn(ansi.Strip(l), width/2)
		first := ansi.Wrap(l, width, "-@/.,")
		parts := strings.SplitN(first, "\n", 2)
		out = append(out, parts[0])
		if len(parts) == 1 {
			continue
		}
		rest := ansi.Wrap(strings.ReplaceAll(parts[1], "\n", " "), width-hang, "-@/.,")
		for _, r := range strings.Split(rest, "\n") {
			out = append(out, strings.Repeat(" ", hang)+strings.TrimLeft(r, " "))
		}
	}
	return strings.Join(out, "\n")
}

// hangColumn is where a wrapped line's continuation starts: after the last
// run of two or more spaces before limit, else two past the indentation.
func hangColumn(plain string, limit int) int {
	indent := len(plain) - len(strings.TrimLeft(plain, " "))
	hang := indent + 2
	for i := indent; i+2 < len(plain) && i < limit; i++ {
		if plain[i] == ' ' && plain[i+1] == ' ' && plain[i+2] != ' ' {
			hang = i + 2
		}
	}
	if hang > limit {
		hang = indent + 2
	}
	return hang
}
