// Package jsoncase checks fedctl's JSON naming convention: every key of
// every object fedctl prints is snake_case (as plan, setup and verify
// always were, and as terraform's -json is). Keys that are data rather
// than schema (an attribute mapping's "google.subject", a token's claims)
// are skipped by naming the field that holds them.
package jsoncase

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
)

var snake = regexp.MustCompile(`^[a-z0-9]+(_[a-z0-9]+)*$`)

// FreeForm are the fields whose object values are maps of data: their
// keys come from Google or from an identity provider, not from fedctl.
var FreeForm = []string{"attribute_mapping", "claims", "mapped", "attributes", "labels"}

// Problems lists every non-snake_case key in doc (one or more JSON
// documents, concatenated as JSON lines), each with its path.
func Problems(doc []byte) ([]string, error) {
	var out []string
	dec := json.NewDecoder(bytes.NewReader(doc))
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			return out, err
		}
		walk("$", v, &out)
	}
	sort.Strings(out)
	return slices.Compact(out), nil
}

func walk(path string, v any, out *[]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			if !snake.MatchString(k) {
				*out = append(*out, fmt.Sprintf("%s.%s", path, k))
			}
			if slices.Contains(FreeForm, k) {
				continue
			}
			walk(path+"."+k, child, out)
		}
	case []any:
		for _, child := range x {
			walk(path+"[]", child, out)
		}
	}
}
