package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// Header is what the man pages say about the build they document.
type Header struct {
	// Version goes into each page's footer ("fedctl 1.2.3").
	Version string
	// Date is the page date; nil means $SOURCE_DATE_EPOCH, else now (cobra's
	// rule). Releases pass the commit date so the archives are reproducible.
	Date *time.Time
}

// Subdirectories of the output directory, as the release archives name them.
const (
	ManDir         = "manpages"
	CompletionsDir = "completions"
)

// completionFiles names each completion script after the convention its
// shell's packagers use, and says how cobra writes it.
var completionFiles = []struct {
	name string
	gen  func(root *cobra.Command, path string) error
}{
	{"fedctl.bash", func(r *cobra.Command, p string) error { return r.GenBashCompletionFileV2(p, true) }},
	{"fedctl.zsh", func(r *cobra.Command, p string) error { return r.GenZshCompletionFile(p) }},
	{"fedctl.fish", func(r *cobra.Command, p string) error { return r.GenFishCompletionFile(p, true) }},
	{"fedctl.ps1", func(r *cobra.Command, p string) error { return r.GenPowerShellCompletionFileWithDesc(p) }},
}

// Generate writes a man page per available command of root into
// dir/manpages and the four completion scripts into dir/completions. Both
// subdirectories are emptied first, so a removed command leaves no page.
func Generate(root *cobra.Command, dir string, h Header) error {
	// The pages must not carry cobra's "Auto generated ... on DATE" line:
	// the date is the header's, and the footer names the fedctl version.
	disableAutoGenTag(root)
	man := filepath.Join(dir, ManDir)
	comp := filepath.Join(dir, CompletionsDir)
	for _, d := range []string{man, comp} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	source := "fedctl"
	if h.Version != "" {
		source += " " + h.Version
	}
	header := &doc.GenManHeader{Section: "1", Source: source, Manual: "fedctl manual", Date: h.Date}
	if err := doc.GenManTree(root, header, man); err != nil {
		return fmt.Errorf("man pages: %w", err)
	}
	for _, cf := range completionFiles {
		if err := cf.gen(root, filepath.Join(comp, cf.name)); err != nil {
			return fmt.Errorf("completion %s: %w", cf.name, err)
		}
	}
	return nil
}

// disableAutoGenTag sets the per-command flag cobra/doc reads on every
// command of the tree.
func disableAutoGenTag(c *cobra.Command) {
	c.DisableAutoGenTag = true
	for _, sub := range c.Commands() {
		disableAutoGenTag(sub)
	}
}
