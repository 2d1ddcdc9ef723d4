package audit

import (
	"errors"
	"fmt"
	"io"
)

// jsonStream walks one JSON document as it arrives from a reader, through
// a window that holds only what has not been consumed yet: a value is
// delimited with the skipping scanner of jsonscan.go and handed out as a
// slice of the window, valid until the next call, or decoded in place by
// the caller. An entries.list page is a few MB; this holds a fixed window
// (grown only for a value larger than it) and never decodes what the
// caller does not ask for.
type jsonStream struct {
	r   io.Reader
	buf []byte // buf[pos:] is read but not consumed
	pos int
	eof bool
	// max bounds one value (and so the window): a body that never closes
	// a value must not grow the window without end.
	max int
}

const (
	streamWindow = 256 << 10
	// maxStreamValue is far above Cloud Logging's 256 KB per LogEntry.
	maxStreamValue = 16 << 20
)

var errValueTooLarge = errors.New("JSON value larger than 16 MB")

func newJSONStream(r io.Reader) *jsonStream {
	return &jsonStream{r: r, buf: make([]byte, 0, streamWindow), max: maxStreamValue}
}

// fill reads more of the document: until the window is full or the
// document ends, so that a decoder working on the window is rarely cut off
// at its end. It first drops what was consumed and grows the window when
// it is full of one unfinished value.
func (s *jsonStream) fill() error {
	if s.eof {
		return io.ErrUnexpectedEOF
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if len(s.buf) == cap(s.buf) {
		if cap(s.buf) >= s.max {
			return errValueTooLarge
		}
		grown := make([]byte, len(s.buf), min(2*cap(s.buf), s.max))
		copy(grown, s.buf)
		s.buf = grown
	}
	for len(s.buf) < cap(s.buf) {
		n, err := s.r.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+n]
		switch {
		case errors.Is(err, io.EOF):
			s.eof = true
			return nil
		case err != nil:
			return err
		}
	}
	return nil
}

// peek returns the next non-space byte without consuming it (0 at the end
// of the document).
func (s *jsonStream) peek() (byte, error) {
	for {
		for s.pos < len(s.buf) {
			switch c := s.buf[s.pos]; c {
			case ' ', '\t', '\n', '\r':
				s.pos++
			default:
				return c, nil
			}
		}
		if s.eof {
			return 0, nil
		}
		if err := s.fill(); err != nil {
			return 0, err
		}
	}
}

// expect consumes the next non-space byte, which must be c.
func (s *jsonStream) expect(c byte) error {
	got, err := s.peek()
	if err != nil {
		return err
	}
	if got != c {
		return s.syntax(fmt.Sprintf("want %q, got %q", c, got))
	}
	s.pos++
	return nil
}

// value consumes the next value and returns its bytes (valid until the next
// call on s).
func (s *jsonStream) value() ([]byte, error) {
	first, err := s.peek()
	if err != nil {
		return nil, err
	}
	if first == 0 {
		return nil, io.ErrUnexpectedEOF
	}
	// A string or container is complete once the scanner closes it; a
	// number or literal at the window's end may continue in the next read.
	delimited := first == '"' || first == '{' || first == '['
	for {
		sc := scanner{b: s.buf[s.pos:]}
		sc.skip()
		if sc.err == nil && (delimited || sc.i < len(sc.b) || s.eof) {
			v := sc.b[:sc.i]
			s.pos += sc.i
			return v, nil
		}
		if s.eof {
			return nil, sc.err
		}
		if err := s.fill(); err != nil {
			return nil, err
		}
	}
}

// object calls field with each key (still quoted and escaped) of the
// object at the cursor; field must consume the value.
func (s *jsonStream) object(field func(key string) error) error {
	if err := s.expect('{'); err != nil {
		return err
	}
	if empty, err := s.closes('}'); empty || err != nil {
		return err
	}
	for {
		raw, err := s.value()
		if err != nil {
			return err
		}
		if len(raw) == 0 || raw[0] != '"' {
			return s.syntax("object key")
		}
		// Copied: reading on may move the window under raw.
		key := string(raw)
		if err := s.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		if done, err := s.next('}'); done || err != nil {
			return err
		}
	}
}

// elements calls each once per element of the array at the cursor; each
// must consume its element (value, or a decoder of its own).
func (s *jsonStream) elements(each func() error) error {
	if err := s.expect('['); err != nil {
		return err
	}
	if empty, err := s.closes(']'); empty || err != nil {
		return err
	}
	for {
		if err := each(); err != nil {
			return err
		}
		if done, err := s.next(']'); done || err != nil {
			return err
		}
	}
}

// closes consumes c if it is next: an empty object or array.
func (s *jsonStream) closes(c byte) (bool, error) {
	got, err := s.peek()
	if err != nil || got != c {
		return false, err
	}
	s.pos++
	return true, nil
}

// next consumes the separator after a member or element: ',' (more
// follow) or end, which closes the container (done).
func (s *jsonStream) next(end byte) (done bool, err error) {
	c, err := s.peek()
	switch {
	case err != nil:
		return false, err
	case c == ',':
		s.pos++
		return false, nil
	case c == end:
		s.pos++
		return true, nil
	case c == 0:
		return false, io.ErrUnexpectedEOF
	}
	return false, s.syntax(fmt.Sprintf("want ',' or %q, got %q", end, c))
}

func (s *jsonStream) syntax(what string) error {
	return fmt.Errorf("%w: %s", errSyntax, what)
}
