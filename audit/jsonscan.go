package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
// quotes and still escaped, and advances past it.
func (s *scanner) rawString() ([]byte, bool) {
	if s.peek() != '"' {
		return nil, false
	}
	start := s.i + 1
	for i := start; i < len(s.b); i++ {
		switch s.b[i] {
		case '"':
			s.i = i + 1
			return s.b[start:i], true
		case '\\':
			i++ // skip the escaped byte; \uXXXX's hex digits hold no quote
		}
	}
	s.fail("unterminated string")
	return nil, false
}

// str decodes a string value; any other kind of value is skipped and "".
func (s *scanner) str() string {
	if s.peek() != '"' {
		s.skip()
		return ""
	}
	start := s.i
	raw, ok := s.rawString()
	if !ok {
		return ""
	}
	for _, c := range raw {
		if c == '\\' {
			var out string
			if err := json.Unmarshal(s.b[start:s.i], &out); err != nil {
				s.fail("string escape")
			}
			return out
		}
	}
	return string(raw)
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
