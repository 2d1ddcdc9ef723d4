package cmd

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

func TestParseSince(t *testing.T) {
	now := time.Date(2024, 5, 8, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90m":                  now.Add(-90 * time.Minute),
		"24h":                  now.Add(-24 * time.Hour),
		"7d":                   now.Add(-7 * 24 * time.Hour),
		"2024-05-01T00:00:00Z": time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC),
		"":                     {},
	} {
		got, err := parseSince(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseSince(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"yesterday", "-1h", "3w"} {
		if _, err := parseSince(bad, now); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("parseSince(%q): err %v, want a usage error", bad, err)
		}
	}
}

// TestAuditEnableConfirmsOnTerminal: on a terminal, enable asks; "n" aborts
// (130) with no write, "y" writes.
func TestAuditEnableConfirmsOnTerminal(t *testing.T) {
	srv := newFedServer(t)
	for _, tc := range []struct {
		answer string
		code   int
	}{{"n\n", cmdutil.ExitCancel}, {"y\n", 0}} {
		ios, in, out, errOut := iostreams.Test()
		ios.SetStdinTTY(true)
		ios.SetStdoutTTY(true)
		in.WriteString(tc.answer)
		f := cmdutil.NewFactory(ios, "1.2.3")
		f.Getenv = func(k string) string {
			if k == cmdutil.EnvAccessToken {
				return srv.Token
			}
			return ""
		}
		before := srv.Stats().ByRoute["cloudresourcemanager.projects.setIamPolicy"]
		code := run(context.Background(), f, []string{"--api-endpoint", srv.Endpoint, "--project", "demo-project", "audit", "enable"})
		if code != tc.code {
			t.Fatalf("answer %q: exit %d, want %d\n%s\n%s", tc.answer, code, tc.code, out, errOut)
		}
		if !strings.Contains(errOut.String(), "Enable these Data Access audit logs?") || !strings.Contains(out.String(), "+ audit log bigquery.googleapis.com: DATA_WRITE") {
			t.Errorf("no diff or prompt:\nstdout:\n%s\nstderr:\n%s", out, errOut)
		}
		wrote := srv.Stats().ByRoute["cloudresourcemanager.projects.setIamPolicy"] - before
		if (tc.code == 0) != (wrote > 0) {
			t.Errorf("answer %q: %d writes", tc.answer, wrote)
		}
	}
}
