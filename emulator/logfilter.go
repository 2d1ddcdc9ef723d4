package emulator

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// A subset of the Cloud Logging query language (gcp-wire §8.5), evaluated
// over LogEntry JSON as stored (rawjson.go reads fields without decoding):
//
//	expr       = and
//	and        = or { ["AND"] or }          adjacent terms are an implicit AND
//	or         = unary { "OR" unary }       (Logging binds OR tighter than AND)
//	unary      = ("NOT" | "-") unary | primary
//	primary    = "(" expr ")" | comparison | function | value   (a bare value
//	             matches any string field containing it)
//	comparison = path op rhs
//	rhs        = value | "(" value { ("OR"|"AND") value } ")"
//	op         = "=" | "!=" | ":" | "<" | "<=" | ">" | ">=" | "=~" | "!~"
//	path       = segment { "." segment }, a segment quoted when it has specials
//	function   = log_id("LOG_ID")
//
// Repeated fields match when any element matches; a missing field matches
// nothing (so NOT / != match entries without it). `:` is a case-insensitive
// substring test, `field:*` a presence test. Ordered comparisons compare
// RFC 3339 times as times, severities by level, numbers as numbers.

// logFilter is a parsed filter; the zero filter (empty text) matches all.
type logFilter struct{ root logNode }

type logNode interface {
	match(entry []byte) bool
}

// parseLogFilter parses filter text; errors are the API's 400.
func parseLogFilter(text string) (*logFilter, error) {
	toks, err := lexLogFilter(text)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return &logFilter{}, nil
	}
	p := &logFilterParser{toks: toks}
	n, err := p.parseAnd()
	if err != nil {
		return nil, err
	}
	if p.pos < len(p.toks) {
		return nil, p.errAt("unexpected %q", p.toks[p.pos].text)
	}
	return &logFilter{root: n}, nil
}

// match reports whether an entry (a JSON object) passes the filter.
func (f *logFilter) match(entry []byte) bool {
	return f.root == nil || f.root.match(entry)
}

// --- lexer ---

type logTokKind int

const (
	tokWord   logTokKind = iota // bare word: path, value, AND/OR/NOT
	tokString                   // "quoted"
	tokOp                       // = != : < <= > >= =~ !~
	tokLParen
	tokRParen
	tokMinus
	tokDot
)

type logTok struct {
	kind logTokKind
	text string
	col  int
	// glued: no space before this token (path segments after dots).
	glued bool
}

func errFilter(format string, args ...any) *apiError {
	return errInvalid("Unparseable filter: " + fmt.Sprintf(format, args...))
}

func lexLogFilter(s string) ([]logTok, error) {
	var toks []logTok
	i := 0
	for i < len(s) {
		ch := s[i]
		glued := i > 0 && !unicode.IsSpace(rune(s[i-1]))
		switch {
		case unicode.IsSpace(rune(ch)):
			i++
		case ch == '(' || ch == ')':
			k := tokLParen
			if ch == ')' {
				k = tokRParen
			}
			toks = append(toks, logTok{kind: k, text: string(ch), col: i + 1, glued: glued})
			i++
		case ch == '.':
			toks = append(toks, logTok{kind: tokDot, text: ".", col: i + 1, glued: glued})
			i++
		case ch == '"':
			var b strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				b.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, errFilter("unterminated string at column %d", i+1)
			}
			toks = append(toks, logTok{kind: tokString, text: b.String(), col: i + 1, glued: glued})
			i = j + 1
		case strings.ContainsRune("=!:<>", rune(ch)):
			op := string(ch)
			if i+1 < len(s) && (s[i+1] == '=' || s[i+1] == '~') && ch != ':' {
				op += string(s[i+1])
			}
			if op == "!" || op == "<~" || op == ">~" {
				return nil, errFilter("invalid operator %q at column %d", op, i+1)
			}
			toks = append(toks, logTok{kind: tokOp, text: op, col: i + 1, glued: glued})
			i += len(op)
		case ch == '-' && (i+1 < len(s) && !unicode.IsDigit(rune(s[i+1]))) && (len(toks) == 0 || !glued):
			toks = append(toks, logTok{kind: tokMinus, text: "-", col: i + 1, glued: glued})
			i++
		default:
			j := i
			for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune(`()"=!:<>.`, rune(s[j])) {
				j++
			}
			// Values such as 1.5 or 2024-05-01T00:00:00.5Z keep their dots
			// when the word started as a number.
			for j < len(s) && s[j] == '.' && j > i && unicode.IsDigit(rune(s[i])) {
				j++
				for j < len(s) && !unicode.IsSpace(rune(s[j])) && !strings.ContainsRune(`()"=!<>`, rune(s[j])) {
					j++
				}
			}
			toks = append(toks, logTok{kind: tokWord, text: s[i:j], col: i + 1, glued: glued})
			i = j
		}
	}
	return toks, nil
}

// --- parser ---

type logFilterParser struct {
	toks []logTok
	pos  int
}

func (p *logFilterParser) errAt(format string, args ...any) error {
	col := 0
	if p.pos < len(p.toks) {
		col = p.toks[p.pos].col
	}
	return errFilter(format+" at column %d", append(args, col)...)
}

func (p *logFilterParser) peek() *logTok {
	if p.pos < len(p.toks) {
		return &p.toks[p.pos]
	}
	return nil
}

func (p *logFilterParser) isWord(w string) bool {
	t := p.peek()
	return t != nil && t.kind == tokWord && t.text == w
}

func (p *logFilterParser) parseAnd() (logNode, error) {
	n, err := p.parseOr()
	if err != nil {
		return nil, err
	}
	terms := []logNode{n}
	for {
		t := p.peek()
		if t == nil || t.kind == tokRParen {
			break
		}
		if p.isWord("AND") {
			p.pos++
		}
		m, err := p.parseOr()
		if err != nil {
			return nil, err
		}
		terms = append(terms, m)
	}
	if len(terms) == 1 {
		return n, nil
	}
	return andNode(terms), nil
}

func (p *logFilterParser) parseOr() (logNode, error) {
	n, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	terms := []logNode{n}
	for p.isWord("OR") {
		p.pos++
		m, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		terms = append(terms, m)
	}
	if len(terms) == 1 {
		return n, nil
	}
	return orNode(terms), nil
}

func (p *logFilterParser) parseUnary() (logNode, error) {
	if t := p.peek(); t != nil && (t.kind == tokMinus || (t.kind == tokWord && t.text == "NOT")) {
		p.pos++
		n, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return notNode{n}, nil
	}
	return p.parsePrimary()
}

func (p *logFilterParser) parsePrimary() (logNode, error) {
	t := p.peek()
	switch {
	case t == nil:
		return nil, p.errAt("unexpected end of filter")
	case t.kind == tokLParen:
		p.pos++
		n, err := p.parseAnd()
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t == nil || t.kind != tokRParen {
			return nil, p.errAt("expected ')'")
		}
		p.pos++
		return n, nil
	case t.kind == tokWord && t.text == "log_id":
		return p.parseLogID()
	case t.kind != tokWord && t.kind != tokString:
		return nil, p.errAt("unexpected %q", t.text)
	}
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	op := p.peek()
	if op == nil || op.kind != tokOp {
		if len(path) == 1 { // a bare value: global text search
			return globalNode(strings.ToLower(path[0])), nil
		}
		return nil, p.errAt("expected an operator after %s", strings.Join(path, "."))
	}
	p.pos++
	return p.parseRHS(path, op.text)
}

func (p *logFilterParser) parsePath() ([]string, error) {
	var path []string
	for {
		t := p.peek()
		if t == nil || (t.kind != tokWord && t.kind != tokString) {
			return nil, p.errAt("expected a field name")
		}
		path = append(path, t.text)
		p.pos++
		if d := p.peek(); d != nil && d.kind == tokDot && d.glued {
			p.pos++
			continue
		}
		return path, nil
	}
}

func (p *logFilterParser) parseLogID() (logNode, error) {
	p.pos++ // log_id
	if t := p.peek(); t == nil || t.kind != tokLParen {
		return nil, p.errAt("expected '(' after log_id")
	}
	p.pos++
	t := p.peek()
	if t == nil || t.kind != tokString {
		return nil, p.errAt("log_id takes a quoted log ID")
	}
	p.pos++
	if r := p.peek(); r == nil || r.kind != tokRParen {
		return nil, p.errAt("expected ')'")
	}
	p.pos++
	return &cmpNode{path: []string{"logName"}, op: "logid", value: "/logs/" + url.PathEscape(t.text)}, nil
}

// parseRHS reads a value or a parenthesized OR/AND list of values.
func (p *logFilterParser) parseRHS(path []string, op string) (logNode, error) {
	if t := p.peek(); t != nil && t.kind == tokLParen {
		p.pos++
		var terms []logNode
		conj := ""
		for {
			n, err := p.rhsValue(path, op)
			if err != nil {
				return nil, err
			}
			terms = append(terms, n)
			t := p.peek()
			if t != nil && t.kind == tokRParen {
				p.pos++
				break
			}
			if t == nil || t.kind != tokWord || (t.text != "OR" && t.text != "AND") || (conj != "" && conj != t.text) {
				return nil, p.errAt("expected OR or ')' in value list")
			}
			conj = t.text
			p.pos++
		}
		if conj == "AND" {
			return andNode(terms), nil
		}
		return orNode(terms), nil
	}
	return p.rhsValue(path, op)
}

func (p *logFilterParser) rhsValue(path []string, op string) (logNode, error) {
	t := p.peek()
	if t == nil || (t.kind != tokWord && t.kind != tokString) {
		return nil, p.errAt("expected a value after %s", op)
	}
	p.pos++
	value := t.text
	// A bare dotted value (bigquery.googleapis.com) is one value.
	for t.kind == tokWord && p.pos+1 < len(p.toks) && p.toks[p.pos].kind == tokDot && p.toks[p.pos].glued &&
		p.toks[p.pos+1].kind == tokWord && p.toks[p.pos+1].glued {
		value += "." + p.toks[p.pos+1].text
		p.pos += 2
	}
	n := &cmpNode{path: path, op: op, value: value, star: t.kind == tokWord && value == "*"}
	if op == "=~" || op == "!~" {
		re, err := regexp.Compile(value)
		if err != nil {
			return nil, errFilter("invalid regular expression %q", value)
		}
		n.re = re
	}
	return n, nil
}

// --- evaluation ---

type andNode []logNode
type orNode []logNode
type notNode struct{ n logNode }
type globalNode string

func (a andNode) match(e []byte) bool {
	for _, n := range a {
		if !n.match(e) {
			return false
		}
	}
	return true
}

func (o orNode) match(e []byte) bool {
	for _, n := range o {
		if n.match(e) {
			return true
		}
	}
	return false
}

func (n notNode) match(e []byte) bool { return !n.n.match(e) }

// A global search is rare: it decodes the whole entry.
func (g globalNode) match(e []byte) bool {
	var v any
	return json.Unmarshal(e, &v) == nil && anyLeaf(v, string(g))
}

func anyLeaf(v any, needle string) bool {
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			if anyLeaf(c, needle) {
				return true
			}
		}
	case []any:
		for _, c := range x {
			if anyLeaf(c, needle) {
				return true
			}
		}
	case string:
		return strings.Contains(strings.ToLower(x), needle)
	}
	return false
}

type cmpNode struct {
	path  []string
	op    string
	value string
	star  bool // field:*
	re    *regexp.Regexp
}

func (c *cmpNode) match(e []byte) bool {
	if c.op == "!=" || c.op == "!~" {
		pos := *c
		pos.op = map[string]string{"!=": "=", "!~": "=~"}[c.op]
		return !pos.match(e)
	}
	found := false
	walkPath(e, c.path, func(v []byte) bool {
		found = c.matchLeaf(v)
		return found
	})
	return found
}

// walkPath calls fn for each value at path in the JSON value v (fanning out
// over arrays) until fn returns true.
func walkPath(v []byte, path []string, fn func([]byte) bool) bool {
	if len(v) > 0 && v[0] == '[' {
		return rawElems(v, func(x []byte) bool { return walkPath(x, path, fn) })
	}
	if len(path) == 0 {
		return fn(v)
	}
	child, ok := rawField(v, path[0])
	if !ok {
		return false
	}
	return walkPath(child, path[1:], fn)
}

var severityLevels = map[string]int{"DEFAULT": 0, "DEBUG": 100, "INFO": 200, "NOTICE": 300, "WARNING": 400,
	"ERROR": 500, "CRITICAL": 600, "ALERT": 700, "EMERGENCY": 800}

func (c *cmpNode) matchLeaf(v []byte) bool {
	if c.op == ":" && c.star {
		return true
	}
	s, ok := rawScalar(v)
	if !ok {
		return false
	}
	switch c.op {
	case "logid":
		return strings.HasSuffix(s, c.value)
	case ":":
		return strings.Contains(strings.ToLower(s), strings.ToLower(c.value))
	case "=~":
		return c.re.MatchString(s)
	}
	cmp, ok := compareLeaf(c.path, s, c.value)
	if !ok {
		return false
	}
	switch c.op {
	case "=":
		return cmp == 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// compareLeaf orders a field value against a filter value: severities by
// level, RFC 3339 times as instants, numbers numerically, else as strings.
func compareLeaf(path []string, field, value string) (int, bool) {
	if len(path) == 1 && path[0] == "severity" {
		a, okA := severityLevel(field)
		b, okB := severityLevel(value)
		if okA && okB {
			return a - b, true
		}
	}
	if ta, err := time.Parse(time.RFC3339Nano, field); err == nil {
		if tb, err := time.Parse(time.RFC3339Nano, value); err == nil {
			return ta.Compare(tb), true
		}
	}
	if fa, err := strconv.ParseFloat(field, 64); err == nil {
		if fb, err := strconv.ParseFloat(value, 64); err == nil {
			switch {
			case fa < fb:
				return -1, true
			case fa > fb:
				return 1, true
			}
			return 0, true
		}
	}
	return strings.Compare(field, value), true
}

func severityLevel(s string) (int, bool) {
	if l, ok := severityLevels[strings.ToUpper(s)]; ok {
		return l, true
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
