package wizard

import (
	"context"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/iostreams"
)

func accessibleRun(t *testing.T, e *emu, input string) (error, string, string) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	in.WriteString(input)
	f := cmdutil.NewFactory(ios, "test")
	err := Run(context.Background(), f, &config.Config{Project: "demo-project"}, Options{Accessible: true, Backend: e.backend})
	return err, out.String(), errOut.String()
}

// Accessible mode: line prompts, the same validators (a bad email is asked
// again), the engine's plan and line progress, and verify's table.
func TestAccessibleHappyPath(t *testing.T) {
	e := newEmu(t)
	input := strings.Join([]string{
		"",                            // project: keep demo-project
		"",                            // mode: keep impersonation
		"alice@acme.com, not-email",   // users: one bad…
		"",                            // template
		"n",                           // Pattern B? no
		"",                            // roles
		"alice@acme.com,bob@acme.com", // …asked again after the preflight
		"", "n", "",
		"y",                         // data access logs
		"",                          // log sink: keep off
		"user:operator@example.com", // verifier
		"yes",                       // apply (typed in full)
	}, "\n") + "\n"
	err, out, errOut := accessibleRun(t, e, input)
	if err != nil {
		t.Fatalf("Run = %v\nstderr:\n%s", err, errOut)
	}
	for _, want := range []string{"Project demo-project, number 123456789012", "Please fix these", "not-email", "alice@acme.com gets fedctl-alice@demo-project.iam.gserviceaccount.com"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"will perform the following actions", "Session would start as fedctl-alice", "Session would start as fedctl-bob"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if e.srv.Stats().Writes == 0 {
		t.Error("nothing was applied")
	}
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	cfg.Audit.DataAccessLogs, cfg.Verifier = true, "user:operator@example.com"
	if p := mustPlan(t, e, cfg); p.HasChanges() {
		t.Errorf("not converged: %+v", p.Counts())
	}
}

// End of input is an abort (exit 130), never a silent default, and nothing
// is written.
func TestAccessibleEOFAborts(t *testing.T) {
	e := newEmu(t)
	err, _, _ := accessibleRun(t, e, "\n\nalice@acme.com\n")
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Fatalf("Run at end of input = %v (exit %d), want 130", err, code)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Fatalf("%d writes after an abort", w)
	}
}

// Declining at the plan aborts with nothing written.
func TestAccessibleDeclineAtPlan(t *testing.T) {
	e := newEmu(t)
	err, _, errOut := accessibleRun(t, e, "\n\nalice@acme.com\n\nn\n\ny\n-\nn\n")
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Fatalf("Run = %v, want 130\n%s", err, errOut)
	}
	if w := e.srv.Stats().Writes; w != 0 {
		t.Fatalf("%d writes after declining", w)
	}
}

// wif as line prompts: the preset fills the answers, a bad condition is
// asked again with cel-go's column, no condition is refused until forced
// (declined here), and the federation lands.
func TestAccessibleWIF(t *testing.T) {
	e := newEmu(t)
	input := strings.Join([]string{
		"", "2", // project, wif
		"gumloop", "ORG123", // preset, org
		"", "", // issuer, mapping: the preset's
		"assertion.gumloop_org_id = 'x'", // bad CEL: asked again
		"-",                              // no condition
		"", "", "", "",                   // audiences, pool, provider, principal set
		"bigquery-runner", "", // target SA, roles
		"n",                                                     // accept no condition? no: refused, asked again
		"gumloop", "ORG123", "", "", "", "", "", "", "", "", "", // the preset's answers, condition included
		"y",   // data access logs
		"n",   // log sink
		"yes", // apply
	}, "\n") + "\n"
	err, out, errOut := accessibleRun(t, e, input)
	if err != nil {
		t.Fatalf("Run = %v\nstderr:\n%s\nstdout:\n%s", err, errOut, out)
	}
	for _, want := range []string{"line 1, column 26", "                          ^", "WARNING: The provider has NO attribute condition", "Please fix these"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	for _, want := range []string{"assertion.gumloop_org_id == 'ORG123'", "project number:  123456789012", "pool active"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}
