package cmd

import (
	"context"
	"encoding/json"
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
	// The audit commands read the same file the same way.
	r = s.run("", "--sandbox", "audit", "tail", "--config", cfg, "--since", "1h")
	if r.code != 0 || !strings.Contains(r.stderr, "using it instead of my-proj") {
		t.Errorf("audit tail --config: exit %d\n%s", r.code, r.stderr)
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

// With --output json a failure is one JSON document on stdout, printed
// once by the central error handling; a command that already printed its
// document (verify's failing table) is not followed by a second one.
func TestJSONErrorDocument(t *testing.T) {
	srv := newFedServer(t)
	for name, tc := range map[string]struct {
		args []string
		code int
		fix  string
	}{
		"usage":  {[]string{"plan", "--users", "not-an-email"}, 2, "fedctl plan --help"},
		"google": {[]string{"--impersonate-service-account", "nobody@demo-project.iam.gserviceaccount.com", "plan", "--users", "alice@acme.com"}, 1, ""},
	} {
		t.Run(name, func(t *testing.T) {
			r := runFed(t, srv, append([]string{"--output", "json"}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, tc.code, r.stdout, r.stderr)
			}
			var doc struct {
				Error *struct {
					Message  string  `json:"message"`
					ExitCode int     `json:"exit_code"`
					Fix      *string `json:"fix"`
				} `json:"error"`
			}
			dec := json.NewDecoder(strings.NewReader(r.stdout))
			if err := dec.Decode(&doc); err != nil || doc.Error == nil {
				t.Fatalf("stdout is not an error document (%v):\n%s", err, r.stdout)
			}
			if dec.More() {
				t.Errorf("more than one document:\n%s", r.stdout)
			}
			if doc.Error.ExitCode != tc.code || doc.Error.Message == "" || doc.Error.Fix == nil || !strings.Contains(*doc.Error.Fix, tc.fix) {
				t.Errorf("error document = %+v (fix %v)", doc.Error, doc.Error.Fix)
			}
		})
	}
	r := runAgainst(t, verifyWorld(t), "--output", "json", "verify", "--user", "bob@acme.com")
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	var v map[string]any
	if err := dec.Decode(&v); r.code != 3 || err != nil || v["error"] != nil || dec.More() {
		t.Errorf("failing verify: want its one report, got (%v):\n%s", err, r.stdout)
	}
}

// A Google error after `setup --yes` is followed by its fix, as the wizard
// shows it under a failed step.
func TestSetupErrorShowsFix(t *testing.T) {
	srv := newFedServer(t)
	ios, _, _, errOut := iostreams.Test()
	f := cmdutil.NewFactory(ios, "1.2.3")
	env := map[string]string{cmdutil.EnvAccessToken: "not-a-token"}
	f.Getenv = func(k string) string { return env[k] }
	code := run(context.Background(), f, []string{"--api-endpoint", srv.Endpoint, "--project", "demo-project", "setup", "--yes", "--users", "alice@acme.com"})
	if code != 1 || !strings.Contains(errOut.String(), "fix: sign in again: gcloud auth application-default login") {
		t.Fatalf("exit %d, stderr:\n%s", code, errOut)
	}
}

// fixCommand is the command part of a fix: the text from "fedctl" up to
// prose in parentheses; "" when the fix names no fedctl command.
func fixCommand(fix string) string {
	i := strings.Index(fix, "fedctl ")
	if i < 0 {
		return ""
	}
	cmd := fix[i:]
	if j := strings.Index(cmd, " ("); j >= 0 {
		cmd = cmd[:j]
	}
	return strings.TrimSpace(cmd)
}

// shellWords splits a command line as a POSIX shell would for the quoting
// fixhint.Quote produces (plain words and '…' with '\” escapes).
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var out []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		case c == ' ':
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			if strings.IndexByte("|&;<>()$`\"*?", c) >= 0 {
				t.Fatalf("%q: %q needs a shell to mean what it says", s, c)
			}
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("%q: unterminated quote", s)
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

// Every fix a sandbox run prints works when pasted: it names no gcloud
// command (gcloud cannot reach the in-process sandbox), each fedctl
// command in it runs as written (non-interactively, so with --yes where
// it would ask), and once they ran, verify passes.
func TestSandboxFixesWorkWhenPasted(t *testing.T) {
	for name, args := range map[string][]string{
		"impersonation": {"--users", "alice@acme.com"},
		"wif":           {"--preset", "github", "--preset-values", "repository_owner_id=1,repository=acme/app", "--target-sa", "runner", "--principal-set", "attribute.repository/acme/app"},
	} {
		t.Run(name, func(t *testing.T) {
			s := newSandboxCLI(t)
			verifyArgs := append([]string{"--sandbox", "--output", "json", "verify"}, args...)
			if name == "impersonation" {
				verifyArgs = append(verifyArgs, "--all")
			}
			ran := map[string]bool{}
			for round := 0; round < 4; round++ {
				r := s.run("", verifyArgs...)
				var rep struct {
					Checks []struct{ Name, Subject, Status, Fix string } `json:"checks"`
				}
				if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
					t.Fatalf("verify: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
				}
				if r.code == 0 {
					return
				}
				progress := false
				for _, c := range rep.Checks {
					if c.Fix == "" {
						continue
					}
					if strings.Contains(c.Fix, "gcloud ") {
						t.Errorf("%s %s: a gcloud fix on the sandbox: %s", c.Name, c.Subject, c.Fix)
					}
					cmd := fixCommand(c.Fix)
					if cmd == "" || ran[cmd] {
						continue
					}
					ran[cmd], progress = true, true
					words := shellWords(t, cmd)[1:]
					if words[0] != "--sandbox" {
						t.Errorf("%s: fix without --sandbox: %s", c.Name, cmd)
					}
					switch words[1] {
					case "setup", "teardown", "audit", "keys":
						words = append(words, "--yes")
					}
					if fr := s.run("", words...); fr.code != 0 && fr.code != cmdutil.ExitChecksFailed {
						t.Errorf("pasted fix %q: exit %d\n%s", cmd, fr.code, fr.stderr)
					}
				}
				if !progress {
					t.Fatalf("verify still fails and no fix is left to run:\n%s", r.stdout)
				}
			}
			t.Fatal("the fixes did not converge")
		})
	}
}

// Input conventions: --users-file - reads stdin; a UTF-8 byte-order mark
// (Windows editors) is not part of the first value, in a users file or in
// --config.
func TestUsersFromStdinAndBOM(t *testing.T) {
	s := newSandboxCLI(t)
	r := s.run("alice@acme.com\n# a comment\nbob@acme.com\n", "--sandbox", "--output", "json", "plan", "--users-file", "-")
	if r.code != 0 || !strings.Contains(r.stdout, "fedctl-alice@demo-project") || !strings.Contains(r.stdout, "fedctl-bob@demo-project") {
		t.Fatalf("--users-file -: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	users := s.file("users.txt", "\ufeffalice@acme.com\r\nbob@acme.com\r\n")
	r = s.run("", "--sandbox", "--output", "json", "plan", "--users-file", users)
	if r.code != 0 || !strings.Contains(r.stdout, "fedctl-alice@demo-project") {
		t.Fatalf("users file with a BOM: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	cfg := s.file("fed.yaml", "\ufeff"+readmeConfig)
	if r = s.run("", "--sandbox", "plan", "--config", cfg); r.code != 0 {
		t.Fatalf("config with a BOM: exit %d\n%s", r.code, r.stderr)
	}
}

// Mistyped flags and subcommands get cobra's "did you mean".
func TestSuggestionsForMistypes(t *testing.T) {
	for args, want := range map[string]string{
		"setup --usres a@b.com": "Did you mean this?\n\t--users",
		"verify --sandbx":       "Did you mean this?\n\t--sandbox",
		"setpu":                 "Did you mean this?\n\tsetup",
		"audit tial":            "Did you mean this?\n\ttail",
		"sandbox rest":          "Did you mean this?\n\treset",
	} {
		r := runCLI(t, strings.Fields(args)...)
		if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d\n%s", args, r.code, r.stderr)
		}
	}
}

// sandbox reset loses everything: without a terminal it needs --yes.
func TestSandboxResetAsks(t *testing.T) {
	s := newSandboxCLI(t)
	if r := s.run("", "--sandbox", "setup", "--yes", "--users", "alice@acme.com"); r.code != 0 {
		t.Fatalf("setup: exit %d\n%s", r.code, r.stderr)
	}
	r := s.run("", "sandbox", "reset")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "must pass --yes when not running interactively") {
		t.Fatalf("reset without --yes: exit %d\n%s", r.code, r.stderr)
	}
	if r = s.run("", "--sandbox", "plan", "--users", "alice@acme.com"); !strings.Contains(r.stdout, "No changes") {
		t.Errorf("the refused reset changed the sandbox:\n%s", r.stdout)
	}
	if r = s.run("", "sandbox", "reset", "--yes"); r.code != 0 {
		t.Fatalf("reset --yes: exit %d\n%s", r.code, r.stderr)
	}
}

// audit report --from-sink on the sandbox says why it cannot work instead
// of a raw 404 from BigQuery.
func TestAuditReportFromSinkOnSandbox(t *testing.T) {
	r := newSandboxCLI(t).run("", "--sandbox", "audit", "report", "--from-sink")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "--from-sink needs a real BigQuery sink") || strings.Contains(r.stderr, "404") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}

// A hint in a sandbox command's progress output carries --sandbox.
func TestSandboxAuditTailHint(t *testing.T) {
	r := newSandboxCLI(t).run("", "--sandbox", "audit", "tail", "--since", "1h")
	if r.code != 0 || !strings.Contains(r.stderr, "`fedctl --sandbox audit enable`") {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
}
