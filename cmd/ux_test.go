package cmd

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// sandboxCLI runs fedctl commands over one sandbox state (in dir) with
// non-terminal test streams; stdin feeds the command's input.
type sandboxCLI struct {
	t   *testing.T
	dir string
}

func newSandboxCLI(t *testing.T) *sandboxCLI { return &sandboxCLI{t: t, dir: t.TempDir()} }

func (s *sandboxCLI) run(stdin string, args ...string) result {
	s.t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(k string) string {
		if k == "XDG_STATE_HOME" {
			return s.dir
		}
		return ""
	}
	code := run(context.Background(), f, args)
	return result{code, out.String(), errOut.String(), ios}
}

// file writes name in the state dir and returns its path.
func (s *sandboxCLI) file(name, content string) string {
	s.t.Helper()
	p := filepath.Join(s.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		s.t.Fatal(err)
	}
	return p
}

const readmeConfig = `project: my-proj
mode: impersonation
impersonation:
  users: [alice@acme.com, bob@acme.com]
audit:
  data_access_logs: true
`

// README's federation.yaml names my-proj; on the sandbox it plans for the
// sandbox's one project with a note, instead of a 403/404 on my-proj.
func TestSandboxMapsConfigProject(t *testing.T) {
	s := newSandboxCLI(t)
	cfg := s.file("federation.yaml", readmeConfig)
	r := s.run("", "--sandbox", "plan", "--config", cfg)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "the sandbox has one project, demo-project: using it instead of my-proj") {
		t.Errorf("no note on stderr:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "project demo-project") || strings.Contains(r.stdout, "my-proj") {
		t.Errorf("plan is not for demo-project:\n%s", r.stdout)
	}
}

// --project naming another project on the sandbox is a usage error that
// names the sandbox's project, for verify as for every command.
func TestSandboxRejectsOtherProjectFlag(t *testing.T) {
	s := newSandboxCLI(t)
	for _, args := range [][]string{
		{"--sandbox", "--project", "my-proj", "verify"},
		{"--sandbox", "--project", "my-proj", "plan", "--users", "a@acme.com"},
	} {
		r := s.run("", args...)
		if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "the sandbox has one project, demo-project") {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stdout+r.stderr, "securityReviewer") {
			t.Errorf("%v: advises roles:\n%s", args, r.stdout)
		}
	}
}

// Contradictory flags are usage errors naming both sides, before any API
// call: silently ignoring one of them did what the user did not ask.
func TestContradictionsAreUsageErrors(t *testing.T) {
	wif := []string{"--mode", "wif", "--issuer-uri", "https://token.actions.githubusercontent.com", "--attribute-condition", "assertion.repository_owner_id == '1'"}
	for name, tc := range map[string]struct {
		args []string
		want []string
	}{
		"principal and set":   {append(wif[:len(wif):len(wif)], "--principal", "subject/x", "--principal-set", "attribute.repository/acme/app", "--target-sa", "runner"), []string{"--principal", "--principal-set"}},
		"direct and target":   {append(wif[:len(wif):len(wif)], "--direct", "--target-sa", "runner", "--principal-set", "attribute.repository/acme/app"), []string{"--direct", "--target-sa"}},
		"quiet and verbose":   {[]string{"--quiet", "--verbose", "--users", "alice@acme.com"}, []string{"--quiet", "--verbose"}},
		"grant with wif":      {append(wif[:len(wif):len(wif)], "--grant", "project", "--target-sa", "runner", "--principal-set", "attribute.repository/acme/app"), []string{"--grant project", "--mode wif"}},
		"empty roles":         {[]string{"--users", "alice@acme.com", "--roles", ""}, []string{"--roles is empty"}},
		"empty users":         {[]string{"--users", " , "}, []string{"--users is empty"}},
		"zero concurrency":    {[]string{"--users", "alice@acme.com", "--concurrency", "0"}, []string{"--concurrency 0", "at least 1"}},
		"negative concurrncy": {[]string{"--users", "alice@acme.com", "--concurrency", "-3"}, []string{"--concurrency -3"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newFedServer(t)
			for _, cmd := range []string{"setup", "plan", "verify"} {
				args := append([]string{cmd}, tc.args...)
				if cmd == "setup" {
					args = append(args, "--yes")
				}
				r := runFed(t, srv, args...)
				if r.code != cmdutil.ExitUsage {
					t.Errorf("%s: exit %d, want 2; stderr:\n%s", cmd, r.code, r.stderr)
				}
				for _, w := range tc.want {
					if !strings.Contains(r.stderr, w) {
						t.Errorf("%s: stderr lacks %q:\n%s", cmd, w, r.stderr)
					}
				}
			}
			if n := srv.Stats().Total; n != 0 {
				t.Errorf("%d API request(s) before the usage error", n)
			}
		})
	}
}
