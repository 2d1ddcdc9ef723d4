package audit

import (
	"encoding/json"
	"io"
	"strings"
	"time"
	"unicode/utf8"
)

// LineWriter prints events one per line: time, event, principal, via
// (delegation chain), target SA or query text, status — or, with JSON, one
// JSON object per line (JSON lines, SPEC §2) with the whole query text.
type LineWriter struct {
	W    io.Writer
	JSON bool
	// Width, when > 0 (a terminal), truncates the text column so that each
	// line fits; 0 prints it whole.
	Width int
	// Status styles the status column (colour on a terminal); nil: plain.
	Status func(e *Event, s string) string
}

// Write prints one event.
func (lw *LineWriter) Write(e *Event) error {
	if lw.JSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = lw.W.Write(append(b, '\n'))
		return err
	}
	short := func(s string) string { return s }
	if lw.Width > 0 {
		short = shortSA
	}
	via := "-"
	if len(e.Via) > 0 {
		parts := make([]string, len(e.Via))
		for i, v := range e.Via {
			parts[i] = short(v)
		}
		via = strings.Join(parts, ">")
	}
	text := oneLine(e.Query)
	if e.Kind == KindMint {
		text = "token for " + short(e.Target)
		for _, d := range e.Delegates {
			text += " via " + short(d)
		}
	} else if e.MintedBy != nil {
		text = "[token " + e.MintedBy.Time.UTC().Format("15:04:05") + "] " + text
	}
	if text == "" {
		text = e.JobType
	}
	status := e.Status()
	if e.Failed() {
		status += " " + oneLine(e.Error)
	}
	head := e.Time.UTC().Format(time.RFC3339) + "  " + pad(string(e.Kind), 5) + "  " + short(e.Principal) + "  via " + via + "  "
	if lw.Width > 0 {
		room := lw.Width - utf8.RuneCountInString(head) - utf8.RuneCountInString(status) - 2
		text = truncate(text, max(room, 10))
	}
	if lw.Status != nil {
		status = lw.Status(e, status)
	}
	_, err := io.WriteString(lw.W, head+text+"  "+status+"\n")
	return err
}

// shortSA drops the constant tail of a service-account email on a
// terminal, where width is scarce: "x@p.iam.gserviceaccount.com" → "x@p.iam".
func shortSA(s string) string {
	return strings.TrimSuffix(s, ".gserviceaccount.com")
}

func pad(s string, n int) string {
	if len(s) >= n {
		return s
	}
	return s + strings.Repeat(" ", n-len(s))
}

// oneLine collapses whitespace runs (a query's newlines) into single spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\n\r\t") && !strings.Contains(s, "  ") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// truncate shortens s to n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
