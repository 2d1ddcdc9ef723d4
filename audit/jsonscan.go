package audit

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// scanner walks JSON bytes, decoding only the values asked for and skipping
// the rest without building anything. An audit entry is 1.5-3 KB of which
// fedctl reads a dozen short strings; skipping the rest byte-wise is several
// times faster than encoding/json's reflective decode (SPEC §6).
//
// It checks structure (balanced brackets, terminated strings, the expected
// kind of each value it decodes) but, unlike encoding/json, does not
// validate every skipped number or literal: its input comes from Google's
// APIs, and a malformed skipped value cannot change a decoded one.
type scanner struct {
	b   []byte
	i   int
	err error
}

var errSyntax = errors.New("malformed JSON")

func (s *scanner) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
	}
	s.i = len(s.b)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// object calls field for each key of the object at the cursor; field must
// consume the value (decode or skip it). Any other kind of value (null
// included) is skipped, as an empty object.
func (s *scanner) object(field func(key []byte)) {
	if s.peek() != '{' {
		s.skip()
		return
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.err == nil {
		key, ok := s.rawString()
		if !ok {
			s.fail("object key")
			return
		}
		if s.peek() != ':' {
			s.fail("':'")
			return
		}
		s.i++
		field(key)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail("',' or '}'")
			return
		}
	}
}

// array calls elem for each element; elem must consume it.
func (s *scanner) array(elem func()) {
	if s.peek() != '[' {
		s.skip()
		return
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail("',' or ']'")
			return
		}
	}
}

// rawString returns the bytes of the string at the cursor, without the
// quotes and still escaped, and advances past it. The closing quote is
// found with bytes.IndexByte (vectorised): strings are most of an entry's
// bytes, and a byte-wise loop over them was the parser's largest cost.
func (s *scanner) rawString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for from := start; ; {
		j := bytes.IndexByte(s.b[from:], '"')
		if j < 0 {
			s.fail("unterminated string")
			return nil, false
		}
		q := from + j
		// The quote is escaped when an odd run of backslashes precedes it.
		k := q
		for k > start && s.b[k-1] == '\\' {
			k--
		}
		if (q-k)%2 == 0 {
			s.i = q + 1
			return s.b[start:q], true
		}
		from = q + 1
	}
}

// str decodes a string value; any other kind of value is skipped and "".
func (s *scanner) str() string {
	if s.peek() != '"' {
		s.skip()
		return ""
	}
	raw, ok := s.rawString()
	if !ok {
		return ""
	}
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw)
	}
	out, ok := unescape(raw)
	if !ok {
		s.fail("string escape")
	}
	return out
}

// unescape decodes the escapes of a JSON string's raw bytes (RFC 8259 §7),
// surrogate pairs included; a lone surrogate becomes U+FFFD, as
// encoding/json does.
func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		if i++; i == len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2, ok = hex4(raw[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

// hex4 reads the four hex digits of a \uXXXX escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// strings decodes an array of strings.
func (s *scanner) strings() []string {
	var out []string
	s.array(func() { out = append(out, s.str()) })
	return out
}

// int decodes a number (or a numeric string, as int64 fields are sent);
// anything else is skipped and 0.
func (s *scanner) int() int {
	c := s.peek()
	if c == '"' {
		raw, _ := s.rawString()
		n, _ := strconv.Atoi(string(raw))
		return n
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.i++
			continue
		}
		break
	}
	if s.i == start {
		s.skip()
		return 0
	}
	n, err := strconv.Atoi(string(s.b[start:s.i]))
	if err != nil {
		f, _ := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		n = int(f)
	}
	return n
}

// skip advances past one value of any kind.
func (s *scanner) skip() {
	switch s.peek() {
	case '"':
		s.rawString()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, ok := s.rawString(); !ok {
					return
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return
				}
			}
			s.i++
		}
		s.fail("unterminated object or array")
	case 0:
		s.fail("unexpected end")
	default: // number, true, false, null
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return
			}
			s.i++
		}
	}
}
