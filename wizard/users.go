package wizard

import (
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/config"
)

// userEntry is one user as typed or pasted, with its problem ("" if valid).
type userEntry struct {
	email string // lowercased
	err   string
}

// parseUsers splits what was typed or pasted into the users box: one email
// per line or separated by commas, semicolons or spaces (a pasted column
// from a spreadsheet or a comma list both work); '#' starts a comment to
// the end of the line, as in a users file. Emails are lowercased and
// duplicates dropped (with a note each), as config.NormalizeUsers does for
// --users.
func parseUsers(text string) (entries []userEntry, notes []string) {
	var raw []string
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		raw = append(raw, strings.FieldsFunc(line, func(r rune) bool {
			return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\r'
		})...)
	}
	seen := map[string]bool{}
	for _, u := range raw {
		e := strings.ToLower(u)
		if seen[e] {
			notes = append(notes, fmt.Sprintf("%s is listed twice; kept once", e))
			continue
		}
		seen[e] = true
		entry := userEntry{email: e}
		if err := config.CheckEmail(e); err != nil {
			entry.err = err.Error()
		}
		entries = append(entries, entry)
	}
	return entries, notes
}

// validUsers are the entries without a problem.
func validUsers(entries []userEntry) []string {
	var out []string
	for _, e := range entries {
		if e.err == "" {
			out = append(out, e.email)
		}
	}
	return out
}
