package emulator

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"strconv"
	"strings"
	"unicode"
)

// The SQL the emulated BigQuery runs: SELECT of literals, enough for the
// `SELECT 1` probe and for tests that want typed columns:
//
//	SELECT <literal> [[AS] alias] [, ...] [;]
//
// Literals: integers, floats, '…'/"…" strings, TRUE, FALSE, NULL.
// Unaliased columns are named f0_, f1_, … as in BigQuery.

// bqColumn is one result column with its single value (nil = NULL).
type bqColumn struct {
	Name  string
	Type  string // INTEGER | FLOAT | STRING | BOOLEAN
	Value *string
}

// bqQueryError is a failed query: BigQuery's reason, HTTP code and message.
type bqQueryError struct {
	HTTP    int
	Reason  string
	Message string
}

func (e *bqQueryError) Error() string { return e.Message }

func (e *bqQueryError) api() *apiError {
	status := "INVALID_ARGUMENT"
	if e.HTTP == 404 {
		status = "NOT_FOUND"
	}
	return errBigQuery(e.HTTP, status, e.Reason, e.Message)
}

var bqFromTableRE = lazyregexp.New("(?i)\\bFROM\\s+`?([A-Za-z0-9_.:\\-]+)`?")

// runBQQuery parses and "runs" sql in project (for error messages).
func runBQQuery(project, sql string) ([]bqColumn, *bqQueryError) {
	if m := bqFromTableRE.FindStringSubmatch(sql); m != nil {
		ref := m[1]
		parts := strings.Split(strings.ReplaceAll(ref, ":", "."), ".")
		switch len(parts) {
		case 1:
			return nil, &bqQueryError{400, "invalid", fmt.Sprintf("Table %q must be qualified with a dataset (e.g. dataset.table).", ref)}
		case 2:
			ref = project + ":" + parts[0] + "." + parts[1]
		default:
			ref = parts[0] + ":" + parts[1] + "." + parts[2]
		}
		return nil, &bqQueryError{404, "notFound", fmt.Sprintf("Not found: Table %s was not found in location US", ref)}
	}
	p := &bqParser{src: sql}
	cols, err := p.parse()
	if err != nil {
		return nil, err
	}
	return cols, nil
}

type bqParser struct {
	src string
	pos int
}

func (p *bqParser) syntaxErr(format string, args ...any) *bqQueryError {
	line, col := 1, 1
	for _, r := range p.src[:p.pos] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &bqQueryError{400, "invalidQuery", fmt.Sprintf("Syntax error: "+format+" at [%d:%d]", append(args, line, col)...)}
}

func (p *bqParser) skipSpace() {
	for p.pos < len(p.src) && unicode.IsSpace(rune(p.src[p.pos])) {
		p.pos++
	}
}

// word reads an identifier or keyword at pos (without consuming on failure).
func (p *bqParser) peekWord() string {
	i := p.pos
	for i < len(p.src) && (p.src[i] == '_' || unicode.IsLetter(rune(p.src[i])) || (i > p.pos && unicode.IsDigit(rune(p.src[i])))) {
		i++
	}
	return p.src[p.pos:i]
}

// describe names the token at pos the way BigQuery's errors do.
func (p *bqParser) describe() string {
	if p.pos >= len(p.src) {
		return "Unexpected end of script"
	}
	if w := p.peekWord(); w != "" {
		if bqKeywords[strings.ToUpper(w)] {
			return "Unexpected keyword " + strings.ToUpper(w)
		}
		return "Unexpected identifier \"" + w + "\""
	}
	return fmt.Sprintf("Unexpected %q", p.src[p.pos:p.pos+1])
}

var bqKeywords = map[string]bool{"SELECT": true, "FROM": true, "WHERE": true, "AS": true, "AND": true, "OR": true,
	"NOT": true, "NULL": true, "TRUE": true, "FALSE": true, "GROUP": true, "ORDER": true, "BY": true, "LIMIT": true}

func (p *bqParser) parse() ([]bqColumn, *bqQueryError) {
	p.skipSpace()
	if !strings.EqualFold(p.peekWord(), "SELECT") {
		return nil, p.syntaxErr("%s", p.describe())
	}
	p.pos += len("SELECT")
	var cols []bqColumn
	anon := 0
	for {
		p.skipSpace()
		col, err := p.literal()
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		w := p.peekWord()
		if strings.EqualFold(w, "AS") {
			p.pos += 2
			p.skipSpace()
			w = p.peekWord()
			if w == "" || bqKeywords[strings.ToUpper(w)] {
				return nil, p.syntaxErr("%s", p.describe())
			}
		}
		if w != "" && !bqKeywords[strings.ToUpper(w)] {
			col.Name = w
			p.pos += len(w)
			p.skipSpace()
		} else {
			col.Name = fmt.Sprintf("f%d_", anon)
			anon++
		}
		cols = append(cols, col)
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		break
	}
	if p.pos < len(p.src) && p.src[p.pos] == ';' {
		p.pos++
		p.skipSpace()
	}
	if p.pos < len(p.src) {
		return nil, p.syntaxErr("Expected end of input but got %s", strings.TrimPrefix(strings.TrimPrefix(p.describe(), "Unexpected "), "end of script"))
	}
	return cols, nil
}

var bqNumberRE = lazyregexp.New(`^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?)`)

func (p *bqParser) literal() (bqColumn, *bqQueryError) {
	rest := p.src[p.pos:]
	if rest == "" {
		return bqColumn{}, p.syntaxErr("Unexpected end of script")
	}
	if q := rest[0]; q == '\'' || q == '"' {
		var b strings.Builder
		for i := 1; i < len(rest); i++ {
			switch ch := rest[i]; {
			case ch == '\\' && i+1 < len(rest):
				i++
				b.WriteByte(unescapeBQ(rest[i]))
			case ch == q:
				p.pos += i + 1
				v := b.String()
				return bqColumn{Type: "STRING", Value: &v}, nil
			case ch == '\n':
				return bqColumn{}, p.syntaxErr("Unclosed string literal")
			default:
				b.WriteByte(ch)
			}
		}
		return bqColumn{}, p.syntaxErr("Unclosed string literal")
	}
	if m := bqNumberRE.FindString(rest); m != "" {
		p.pos += len(m)
		if i, err := strconv.ParseInt(m, 10, 64); err == nil {
			v := strconv.FormatInt(i, 10)
			return bqColumn{Type: "INTEGER", Value: &v}, nil
		}
		f, err := strconv.ParseFloat(m, 64)
		if err != nil {
			return bqColumn{}, p.syntaxErr("Invalid number %s", m)
		}
		v := strconv.FormatFloat(f, 'g', -1, 64)
		return bqColumn{Type: "FLOAT", Value: &v}, nil
	}
	switch w := strings.ToUpper(p.peekWord()); w {
	case "TRUE", "FALSE":
		p.pos += len(w)
		v := strings.ToLower(w)
		return bqColumn{Type: "BOOLEAN", Value: &v}, nil
	case "NULL":
		p.pos += len(w)
		return bqColumn{Type: "INTEGER"}, nil
	}
	return bqColumn{}, p.syntaxErr("%s", p.describe())
}

func unescapeBQ(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case 'r':
		return '\r'
	}
	return c
}
