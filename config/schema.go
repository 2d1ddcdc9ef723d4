package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// checkSchema walks the YAML tree against Config's struct tags and reports
// every unknown key and wrongly shaped value with its line. yaml.v3's own
// KnownFields errors stop at the first problem and name Go types
// ("field userz not found in type config.Impersonation"); these name the
// YAML section and the keys that would have been accepted.
func checkSchema(root *yaml.Node) []LineProblem {
	var out []LineProblem
	checkNode(root, reflect.TypeOf(Config{}), "", &out)
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

func checkNode(n *yaml.Node, t reflect.Type, path string, out *[]LineProblem) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return
	}
	add := func(format string, args ...any) {
		*out = append(*out, LineProblem{n.Line, fmt.Sprintf(format, args...)})
	}
	switch {
	case t.Kind() == reflect.Struct:
		if n.Kind != yaml.MappingNode {
			add("%s must be a mapping of keys (%s), got %s", sectionName(path), strings.Join(yamlKeys(t), ", "), describe(n))
			return
		}
		checkMapping(n, t, path, out)
	case t.Kind() == reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!str" && n.Value != "" {
				// The one value as a list is the likely intent.
				add("%s must be a list, e.g. [%s], got %s", path, n.Value, describe(n))
			} else {
				add("%s must be a list, got %s", path, describe(n))
			}
			return
		}
		for i, item := range n.Content {
			checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case t.Kind() == reflect.Map:
		if n.Kind != yaml.MappingNode {
			add("%s must be a mapping (key: value), got %s", path, describe(n))
			return
		}
		seen := map[string]int{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if first, dup := seen[k.Value]; dup {
				*out = append(*out, LineProblem{k.Line, fmt.Sprintf("duplicate key %q in %s (first at line %d)", k.Value, path, first)})
				continue
			}
			seen[k.Value] = k.Line
			checkNode(v, t.Elem(), path+"."+k.Value, out)
		}
	case t == durationType:
		if n.Kind != yaml.ScalarNode {
			add("%s must be a duration such as 90s or 2m, got %s", path, describe(n))
		} else if _, err := time.ParseDuration(n.Value); err != nil {
			add("%s must be a duration such as 90s or 2m, got %q", path, n.Value)
		}
	case t.Kind() == reflect.Bool:
		if n.Kind != yaml.ScalarNode || !isYAMLBool(n.Value) {
			add("%s must be true or false, got %s", path, describe(n))
		}
	case t.Kind() == reflect.Int:
		if n.Kind != yaml.ScalarNode {
			add("%s must be a whole number, got %s", path, describe(n))
		} else if _, err := strconv.Atoi(n.Value); err != nil {
			add("%s must be a whole number, got %q", path, n.Value)
		}
	case t.Kind() == reflect.String:
		if n.Kind != yaml.ScalarNode {
			add("%s must be a single value, got %s", path, describe(n))
		}
	}
}

func checkMapping(n *yaml.Node, t reflect.Type, path string, out *[]LineProblem) {
	fields := yamlFields(t)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			*out = append(*out, LineProblem{k.Line, fmt.Sprintf("duplicate key %q in %s (first at line %d)", k.Value, sectionName(path), first)})
			continue
		}
		seen[k.Value] = k.Line
		f, ok := fields[k.Value]
		if !ok {
			known := yamlKeys(t)
			msg := fmt.Sprintf("unknown key %q in %s (known: %s)", k.Value, path, strings.Join(known, ", "))
			if path == "" {
				msg = fmt.Sprintf("unknown top-level key %q (known: %s)", k.Value, strings.Join(known, ", "))
			}
			if s := closest(k.Value, known); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			*out = append(*out, LineProblem{k.Line, msg})
			continue
		}
		child := k.Value
		if path != "" {
			child = path + "." + k.Value
		}
		checkNode(v, f.Type, child, out)
	}
}

// yamlFields maps the YAML keys of a struct to its fields (skipping "-").
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	m := map[string]reflect.StructField{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if name := yamlName(f); name != "" {
			m[name] = f
		}
	}
	return m
}

// yamlKeys lists a struct's YAML keys in declaration order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if name := yamlName(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		return strings.ToLower(f.Name) // yaml.v3's rule for untagged fields
	}
	return name
}

func sectionName(path string) string {
	if path == "" {
		return "the top level"
	}
	return path
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func isYAMLBool(s string) bool {
	switch s {
	case "true", "True", "TRUE", "false", "False", "FALSE",
		"y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return true
	}
	return false
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unsupported value"
}

// closest returns the candidate within edit distance 2 of s (the nearest),
// or "" when none is that close.
func closest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := EditDistance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between a and b (also cmd's
// "did you mean --flag?").
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
