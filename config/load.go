package config

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseError is a configuration file that is not valid YAML or does not fit
// the schema. It lists every problem found, each with its line.
type ParseError struct {
	File     string // as given to Load; "" for Parse
	Problems []LineProblem
}

// LineProblem is one problem at a line of the file (Line 0: no position).
type LineProblem struct {
	Line    int
	Message string
}

func (e *ParseError) Error() string {
	name := e.File
	if name == "" {
		name = "config"
	}
	var b strings.Builder
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteByte('\n')
		}
		if p.Line > 0 {
			fmt.Fprintf(&b, "%s:%d: %s", name, p.Line, p.Message)
		} else {
			fmt.Fprintf(&b, "%s: %s", name, p.Message)
		}
	}
	return b.String()
}

// Load reads and parses the configuration file at path. Messages name the
// file as given (federation.yaml:7: …). Users listed in the file are
// normalised (see NormalizeUsers) with notes in Config.Notes.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return parse(path, data)
}

// Parse parses configuration YAML. Unknown keys and wrongly typed values are
// errors (*ParseError) naming the key, its section and its line.
func Parse(data []byte) (*Config, error) { return parse("", data) }

func parse(name string, data []byte) (*Config, error) {
	perr := &ParseError{File: name}
	data = bytes.TrimPrefix(data, []byte(utf8BOM))

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		perr.Problems = yamlProblems(err)
		return nil, perr
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		perr.Problems = append(perr.Problems, LineProblem{extra.Line, "only one YAML document is allowed (remove the second '---')"})
		return nil, perr
	}

	cfg := &Config{source: name}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return cfg, nil // empty file: all defaults
	}
	root := doc.Content[0]
	if isNull(root) {
		return cfg, nil
	}
	perr.Problems = checkSchema(root)
	if len(perr.Problems) > 0 {
		return nil, perr
	}

	// The schema walk has vetted every key and type; a strict decode is
	// the belt to those braces.
	strict := yaml.NewDecoder(bytes.NewReader(data))
	strict.KnownFields(true)
	if err := strict.Decode(cfg); err != nil {
		perr.Problems = yamlProblems(err)
		return nil, perr
	}
	cfg.normalizeUsers()
	return cfg, nil
}

// normalizeUsers lowercases and deduplicates every users list, noting drops.
func (c *Config) normalizeUsers() {
	var notes []string
	c.MixedCaseUsers = append(c.MixedCaseUsers, MixedCase(c.Impersonation.Users)...)
	c.MixedCaseUsers = append(c.MixedCaseUsers, MixedCase(c.OAuth.Users)...)
	c.Impersonation.Users, notes = NormalizeUsers(c.Impersonation.Users)
	c.Notes = append(c.Notes, notes...)
	c.OAuth.Users, notes = NormalizeUsers(c.OAuth.Users)
	c.Notes = append(c.Notes, notes...)
}

var yamlLineRE = lazyregexp.New(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlProblems turns yaml.v3's error text ("yaml: line 3: did not find
// expected key", or a *yaml.TypeError's list) into line problems.
func yamlProblems(err error) []LineProblem {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	out := make([]LineProblem, 0, len(msgs))
	for _, m := range msgs {
		if sm := yamlLineRE.FindStringSubmatch(m); sm != nil {
			var line int
			fmt.Sscanf(sm[1], "%d", &line)
			out = append(out, LineProblem{line, sm[2]})
			continue
		}
		out = append(out, LineProblem{0, strings.TrimPrefix(m, "yaml: ")})
	}
	return out
}
