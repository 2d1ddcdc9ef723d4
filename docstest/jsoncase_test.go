package docstest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/internal/jsoncase"
)

var jsonFence = regexp.MustCompile("(?s)```json[^\\n]*\\n(.*?)```")

// TestDocsJSONIsSnakeCase: every JSON document the docs show (```json
// blocks) parses and uses snake_case keys, fedctl's one convention. The
// commands' real output is checked by cmd's TestJSONOutputIsSnakeCase.
func TestDocsJSONIsSnakeCase(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "README.md"))
	blocks := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range jsonFence.FindAllStringSubmatch(string(b), -1) {
			blocks++
			doc := stripComments(m[1])
			problems, err := jsoncase.Problems([]byte(doc))
			if err != nil {
				t.Errorf("%s: a ```json block does not parse: %v\n%s", f, err, m[1])
			}
			for _, p := range problems {
				t.Errorf("%s: key %s is not snake_case", f, p)
			}
		}
	}
	if blocks == 0 {
		t.Error("no ```json blocks found: the test checks nothing")
	}
}

// stripComments drops "// …" comments the docs use to annotate fields
// (outside strings: a // inside a quoted URL is kept).
func stripComments(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		inStr := false
		for i := 0; i < len(line); i++ {
			switch {
			case line[i] == '"' && (i == 0 || line[i-1] != '\\'):
				inStr = !inStr
			case !inStr && strings.HasPrefix(line[i:], "//"):
				line = line[:i]
			}
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}
