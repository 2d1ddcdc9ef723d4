package verify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/muesli/termenv"
)

// TextOptions say how to render the table for where it goes.
type TextOptions struct {
	// TTY: a lipgloss table fitted to Width. Otherwise plain aligned text
	// (one line per row, fixes listed after the table), for pipes and logs.
	TTY bool
	// Color allows ANSI colour (only with TTY; never with NO_COLOR).
	Color bool
	// Width is the terminal width (default 80).
	Width int
}

// RenderJSON writes the report as one JSON document (schema:
// docs/verify.md).
func RenderJSON(w io.Writer, rep *Report) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// RenderText writes the table, one verdict line per user and a summary.
func RenderText(w io.Writer, rep *Report, o TextOptions) error {
	if o.Width <= 0 {
		o.Width = 80
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Project %s · mode %s", rep.Project, rep.Mode)
	switch rep.MintedBy {
	case MintedByKeyFile:
		b.WriteString(" · minting as the admin with its key file")
	case MintedByDelegation:
		b.WriteString(" · minting as the admin keylessly (delegation)")
	}
	b.WriteString("\n")
	st := newStyles(w, o)
	if o.TTY {
		b.WriteString(tableTTY(rep, o, st))
		b.WriteString("\n")
	} else {
		b.WriteString(tablePlain(rep))
	}
	if len(rep.Users) > 0 {
		b.WriteString("\n")
		for _, u := range rep.Users {
			mark := st.status(Pass)
			if !u.OK {
				mark = st.status(Fail)
				if !u.Tested {
					mark = st.status(Skip)
				}
			}
			fmt.Fprintf(&b, "%s %s: %s\n", mark, u.Email, u.Verdict)
			if u.Token != "" {
				fmt.Fprintf(&b, "    token: %s\n", u.Token)
			}
		}
	}
	s := rep.Summary
	fmt.Fprintf(&b, "\n%d passed, %d failed, %d warnings, %d skipped", s.Pass, s.Fail, s.Warn, s.Skip)
	if s.Unchecked > 0 {
		fmt.Fprintf(&b, ", %d could not be checked (Google kept failing: re-run verify)", s.Unchecked)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// styles colour the status words, or leave them plain.
type styles struct {
	on  bool
	r   *lipgloss.Renderer
	col map[Status]lipgloss.Style
}

func newStyles(w io.Writer, o TextOptions) *styles {
	r := lipgloss.NewRenderer(w)
	on := o.TTY && o.Color
	if on {
		r.SetColorProfile(termenv.ANSI256)
	} else {
		r.SetColorProfile(termenv.Ascii)
	}
	s := &styles{on: on, r: r, col: map[Status]lipgloss.Style{}}
	for st, c := range map[Status]string{Pass: "2", Fail: "1", Warn: "3", Skip: "8", Unchecked: "1"} {
		s.col[st] = r.NewStyle().Foreground(lipgloss.Color(c)).Bold(st == Fail)
	}
	return s
}

var statusWords = map[Status]string{Pass: "pass", Fail: "FAIL", Warn: "warn", Skip: "skip", Unchecked: "UNCHECKED"}
var statusIcons = map[Status]string{Pass: "✓", Fail: "✗", Warn: "!", Skip: "-", Unchecked: "?"}

func (s *styles) status(st Status) string {
	if !s.on {
		return statusWords[st]
	}
	return s.col[st].Render(statusIcons[st] + " " + statusWords[st])
}

func (s *styles) fix(text string) string {
	if !s.on {
		return text
	}
	return s.r.NewStyle().Foreground(lipgloss.Color("6")).Render(text)
}

func tableTTY(rep *Report, o TextOptions, st *styles) string {
	t := table.New().
		Border(lipgloss.RoundedBorder()).
		BorderStyle(st.r.NewStyle().Faint(st.on)).
		Headers("STATUS", "CHECK", "SUBJECT", "SEEN / FIX").
		Width(o.Width).
		Wrap(true).
		StyleFunc(func(row, col int) lipgloss.Style {
			s := st.r.NewStyle().Padding(0, 1)
			if row == table.HeaderRow {
				return s.Bold(st.on)
			}
			return s
		})
	for _, c := range rep.Checks {
		seen := c.Seen
		if c.Fix != "" && c.Status != Pass {
			seen += "\n" + st.fix("fix: "+c.Fix)
		}
		t.Row(st.status(c.Status), Title(c.Name), c.Subject, seen)
	}
	return t.String()
}

func tablePlain(rep *Report) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STATUS\tCHECK\tSUBJECT\tSEEN")
	var fixes []string
	for _, c := range rep.Checks {
		seen := c.Seen
		if c.Fix != "" && c.Status != Pass {
			fixes = append(fixes, fmt.Sprintf("  [%d] %s", len(fixes)+1, c.Fix))
			seen += fmt.Sprintf(" [%d]", len(fixes))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", statusWords[c.Status], Title(c.Name), c.Subject, seen)
	}
	tw.Flush()
	if len(fixes) > 0 {
		b.WriteString("\nFixes:\n" + strings.Join(fixes, "\n") + "\n")
	}
	return b.String()
}
