package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/internal/chromiumtest"
	"github.com/fedctl/fedctl/iostreams"
)

// docs/oauth.md's sandbox walkthrough runs as written: each `fedctl` line of
// the marked block, in a fresh directory and sandbox state, with $BROWSER
// answering the consent page (in Chromium when installed, else by
// submitting the form).
func TestOAuthDocsSandboxWalkthrough(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "docs", "oauth.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(src), "<!-- oauth-sandbox:begin -->")
	block, _, ok2 := strings.Cut(block, "<!-- oauth-sandbox:end -->")
	if !ok || !ok2 {
		t.Fatal("docs/oauth.md lost its oauth-sandbox markers")
	}
	var lines [][]string
	for _, l := range strings.Split(block, "\n") {
		if strings.HasPrefix(l, "fedctl ") {
			lines = append(lines, splitWords(strings.TrimPrefix(l, "fedctl ")))
		}
	}
	if len(lines) < 3 {
		t.Fatalf("walkthrough has %d commands", len(lines))
	}
	dir := t.TempDir()
	t.Chdir(dir)
	helper := "http"
	if chromiumtest.Path() != "" {
		helper = "chromium"
	}
	t.Setenv(envHelper, helper)
	t.Setenv(envEmail, "")
	t.Setenv(envButton, "allow")
	t.Setenv(envLog, filepath.Join(dir, "browser.log"))
	env := map[string]string{"XDG_STATE_HOME": filepath.Join(dir, "state"),
		"BROWSER": os.Args[0] + " -test.run=^TestHelperConsentBrowser$"}
	var last string
	for _, args := range lines {
		ios, _, out, errOut := iostreams.Test()
		f := cmdutil.NewFactory(ios, "1.2.3")
		f.Getenv = func(k string) string { return env[k] }
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		code := run(ctx, f, args)
		cancel()
		if code != 0 {
			blog, _ := os.ReadFile(filepath.Join(dir, "browser.log"))
			t.Fatalf("fedctl %s: exit %d (browser: %s)\n%s\n%s", strings.Join(args, " "), code, blog, out, errOut)
		}
		last = out.String()
	}
	if !strings.Contains(last, "consented as alice@acme.com") || !strings.Contains(last, `"SELECT 1" ran as alice@acme.com`) {
		t.Fatalf("the walkthrough's verify did not prove the flow:\n%s", last)
	}
}

// splitWords splits a documented command line: spaces, "double quotes".
func splitWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, has := false, false
	for _, r := range s {
		switch {
		case r == '"':
			in, has = !in, true
		case r == ' ' && !in:
			if has {
				out = append(out, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		out = append(out, cur.String())
	}
	return out
}
