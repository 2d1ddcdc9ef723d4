package docstest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/fedctl/fedctl/internal/clitree"
)

// TestDocsMatchCommandTree checks README.md and docs/*.md against the real
// command tree: a command, flag or flag value the CLI does not have fails
// here, with the file and line.
func TestDocsMatchCommandTree(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join("..", "README.md")); err == nil {
		files = append(files, filepath.Join("..", "README.md"))
	}
	if len(files) == 0 {
		t.Fatal("no documents found")
	}
	c := NewChecker(clitree.Root())
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel("..", f)
		for _, p := range c.CheckMarkdown(name, string(b)) {
			t.Error(p)
		}
	}
	// The walk-throughs alone hold dozens of command lines; far fewer
	// means the parser stopped seeing them, and the test checks nothing.
	if c.Invocations < 30 {
		t.Errorf("only %d fedctl command lines found in %d documents", c.Invocations, len(files))
	}
}
