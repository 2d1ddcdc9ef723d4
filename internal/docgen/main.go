// Command docgen writes fedctl's man pages and shell completion scripts,
// generated from the real command tree, for the release archives:
//
//	go run ./internal/docgen -out dist-assets -version 1.2.3 -date 2025-01-02T03:04:05Z
//
// It writes OUT/manpages/*.1 (one page per command) and
// OUT/completions/fedctl.{bash,zsh,fish,ps1}, replacing what was there.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fedctl/fedctl/internal/clitree"
)

//go:generate go run . -out ../../dist-assets

func main() {
	out := flag.String("out", "dist-assets", "directory to write manpages/ and completions/ into")
	version := flag.String("version", "", "fedctl version for the man page footer (default: none)")
	date := flag.String("date", "", "man page date, RFC 3339 (default: $SOURCE_DATE_EPOCH, else today)")
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "docgen: unexpected arguments %q\n", flag.Args())
		os.Exit(2)
	}
	h := Header{Version: *version}
	if *date != "" {
		t, err := time.Parse(time.RFC3339, *date)
		if err != nil {
			fmt.Fprintf(os.Stderr, "docgen: -date: %v\n", err)
			os.Exit(2)
		}
		h.Date = &t
	}
	if err := Generate(clitree.Root(), *out, h); err != nil {
		fmt.Fprintf(os.Stderr, "docgen: %v\n", err)
		os.Exit(1)
	}
}
