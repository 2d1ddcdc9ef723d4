package wizard

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docs/wizard.md shows a text capture of every screen: the golden files,
// pasted between <!-- capture: NAME --> and <!-- /capture --> markers.
// This test keeps them in sync (its file sorts last so that it runs after
// the golden tests); -update (the golden package's flag)
// rewrites the doc from the golden files.
func TestDocsCaptures(t *testing.T) {
	const doc = "../docs/wizard.md"
	data, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile("(?s)(<!-- capture: (\\w+) -->\n)```text\n.*?```\n(<!-- /capture -->)")
	seen := 0
	out := re.ReplaceAllStringFunc(string(data), func(block string) string {
		m := re.FindStringSubmatch(block)
		g, err := os.ReadFile(filepath.Join("testdata", m[2]+".golden"))
		if err != nil {
			t.Errorf("%s: %v", m[2], err)
			return block
		}
		seen++
		return m[1] + "```text\n" + strings.TrimRight(string(g), "\n") + "\n```\n" + m[3]
	})
	if seen == 0 {
		t.Fatal("no captures in " + doc)
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.WriteFile(doc, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if out != string(data) {
		t.Errorf("%s is out of date with testdata/*.golden: go test ./wizard -update", doc)
	}
}
