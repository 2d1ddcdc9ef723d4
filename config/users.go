package config

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// ReadUsersFile reads a users file (--users-file): one email a line; '#'
// starts a comment (whole line or trailing); blank lines are skipped;
// surrounding whitespace is trimmed. Every malformed line is reported, with
// its line number, in one *ParseError. The result is not yet deduplicated:
// Apply normalises the merged --users/--users-file list.
func ReadUsersFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading users file: %w", err)
	}
	defer f.Close()
	return parseUsers(path, f)
}

// utf8BOM is the byte-order mark some editors put at the start of a UTF-8
// file; it is not part of the first value.
const utf8BOM = "\ufeff"

// ParseUsers is ReadUsersFile over a reader; name labels messages.
func ParseUsers(name string, r io.Reader) ([]string, error) { return parseUsers(name, r) }

func parseUsers(name string, r io.Reader) ([]string, error) {
	var users []string
	perr := &ParseError{File: name}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		raw := sc.Text()
		if line == 1 {
			raw = strings.TrimPrefix(raw, utf8BOM) // Windows editors write one
		}
		text, _, _ := strings.Cut(raw, "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if strings.ContainsAny(text, ", \t;") {
			perr.Problems = append(perr.Problems, LineProblem{line, fmt.Sprintf("%q holds more than one value: put one email on each line", text)})
			continue
		}
		if msg, _ := emailProblem(text); msg != "" {
			perr.Problems = append(perr.Problems, LineProblem{line, fmt.Sprintf("%q: %s", text, msg)})
			continue
		}
		users = append(users, text)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading users file %s: %w", name, err)
	}
	if len(perr.Problems) > 0 {
		return nil, perr
	}
	return users, nil
}

// SplitList splits a comma-separated flag value ("a@x.com, b@x.com"),
// trimming spaces and dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// NormalizeUsers lowercases every email (Google account emails are
// case-insensitive, and IAM policies return members in lowercase, so
// lowercase is what the engine must compare with) and drops duplicates,
// keeping the first occurrence. It returns one note per dropped entry.
func NormalizeUsers(users []string) ([]string, []string) {
	if users == nil {
		return nil, nil
	}
	out := make([]string, 0, len(users))
	var notes []string
	first := map[string]string{}
	for _, u := range users {
		u = strings.TrimSpace(u)
		key := strings.ToLower(u)
		if orig, dup := first[key]; dup {
			if orig == u {
				notes = append(notes, fmt.Sprintf("user %s is listed more than once; using it once", u))
			} else {
				notes = append(notes, fmt.Sprintf("user %s is the same account as %s (emails are case-insensitive); using it once", u, orig))
			}
			continue
		}
		first[key] = u
		out = append(out, key)
	}
	return out, notes
}

// MixedCase lists the users whose email is not written in lowercase.
func MixedCase(users []string) []string {
	var out []string
	for _, u := range users {
		if u = strings.TrimSpace(u); u != strings.ToLower(u) {
			out = append(out, u)
		}
	}
	return out
}
