package wizard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/verify"
)

// Options tune Run.
type Options struct {
	// Accessible asks line by line instead of drawing screens (also chosen
	// by TERM=dumb): no alternate screen, no redrawing, for screen readers.
	Accessible bool
	// Backend replaces the gcp-backed one (tests).
	Backend Backend
	// BackendOptions tune the gcp-backed Backend (ignored with Backend).
	BackendOptions BackendOptions
	// Verifier suggests the --verifier member (the signed-in account) when
	// the configuration names none; the admin can clear it.
	Verifier string
	// WIFAllow are the wif refusals forced on the command line
	// (--allow-unconditioned, --allow-wildcard): the wif screens start with
	// their force toggles on.
	WIFAllow engine.WIFAllow
	// WIFOutputs, when set, is called with the integration values once a
	// wif federation is in place and verified (cmd writes --cred-config
	// there, setting CredConfigFile); its error is Run's.
	WIFOutputs func(*engine.WIFOutputs) error
	// Invocation is how fedctl was run (--sandbox, --config, the flags),
	// for the fixes the screens show.
	Invocation fixhint.Invocation
	// Now is the clock for running times (default time.Now).
	Now func() time.Time
	// ProgramOptions are added to the bubbletea program's (tests).
	ProgramOptions []tea.ProgramOption
}

// Run is `fedctl setup` on a terminal. cfg holds what --config and the
// flags said (it need not pass preflight yet: the screens ask for what is
// missing or wrong). The wizard starts only when a person can answer
// (stdin and stdout are terminals); otherwise it returns the scripted
// path's error naming --yes, without reading anything.
//
// It returns nil when the admin finished at a passing verification table,
// a silenced ChecksFailedError (exit 3) when checks failed, and a
// CancelError (exit 130) on abort — with nothing applied after the abort.
// What was applied and the table are printed on stdout once the screens
// close, so they stay in the terminal's scrollback.
func Run(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, opts Options) error {
	ios := f.IOStreams
	if !ios.CanPrompt() {
		return cmdutil.NoTTYError("--yes")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	backend := opts.Backend
	if backend == nil {
		client, err := f.GCP(ctx)
		if err != nil {
			return err
		}
		bo := opts.BackendOptions
		if bo.Engine.Concurrency == 0 {
			bo.Engine.Concurrency = cfg.Concurrency
		}
		if bo.Verify.AdminKey == nil {
			// The same Options as setup --yes and verify build.
			vo, err := verify.OptionsFrom(cfg, verify.From{Invocation: opts.Invocation})
			if err != nil {
				return err
			}
			vo.Users = nil // set per Verify
			bo.Verify = vo
		}
		if bo.OAuthBrowser.Open == nil {
			bo.OAuthBrowser = defaultBrowser(f)
		}
		backend = NewBackend(client, bo)
	}
	getenv := f.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if cfg.Verifier == "" && opts.Verifier != "" && (cfg.Mode == "" || cfg.Mode == config.ModeImpersonation) {
		cfg.Verifier = opts.Verifier
	}
	s := newSession(ctx, cfg, backend, opts.Now)
	s.color = ios.ColorEnabled()
	s.allow = opts.WIFAllow
	s.onWIFOutputs = opts.WIFOutputs
	s.operator = operatorEmail(opts.Verifier)
	s.inv = opts.Invocation
	if opts.Accessible || getenv("TERM") == "dumb" {
		return runAccessible(ctx, s, ios)
	}

	// The screens go to stderr when it is a terminal (stdout stays for the
	// record printed at the end), else to stdout.
	var screen io.Writer = ios.Out
	if ios.IsStderrTTY() {
		screen = ios.ErrOut
	}
	r := lipgloss.NewRenderer(screen)
	if !s.color {
		r.SetColorProfile(termenv.Ascii)
		lipgloss.SetColorProfile(termenv.Ascii) // the bubbles components draw with the default renderer
	}
	s.styles = NewStyles(r)

	m := newModel(s, stepProject)
	var prog *tea.Program
	in := ios.In
	if _, isFile := in.(*os.File); !isFile {
		// Not the process's terminal (which bubbletea puts in raw mode,
		// where Ctrl-D is a key): end of input aborts, as bubbletea would
		// otherwise wait for keys that can never come (SPEC §2: never hang
		// waiting for input).
		in = &eofReader{r: in, onEOF: func() { prog.Send(abortMsg{}) }}
	}
	popts := append([]tea.ProgramOption{tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(screen), tea.WithAltScreen()}, opts.ProgramOptions...)
	prog = tea.NewProgram(m, popts...)
	_, err := prog.Run()
	// Whatever ended the program, no step starts from here on, and Run
	// returns only once Apply has (its result is then final).
	cancel()
	s.bg.Wait()
	return finishRun(s, m.Outcome(), err, ios)
}

// newSession is the shared state of one wizard run.
func newSession(ctx context.Context, cfg *config.Config, backend Backend, now func() time.Time) *session {
	if now == nil {
		now = time.Now
	}
	cfg.ApplyDefaults()
	path := cfg.Source()
	if path == "" {
		path = "federation.yaml"
	}
	return &session{ctx: ctx, cfg: cfg, backend: backend, keys: newKeyMap(), now: now, configPath: path,
		styles: NewStyles(lipgloss.DefaultRenderer())}
}

// finishRun prints the record of the run on out and turns the outcome into
// Run's error.
func finishRun(s *session, outcome Outcome, progErr error, ios *iostreams.IOStreams) error {
	out, errOut := ios.Out, ios.ErrOut
	res := s.finalResult()
	changed := s.applied > 0 || (res != nil && res.Count(engine.OutcomeApplied) > 0)
	if outcome != OutcomeDone && res != nil {
		// Steps Ctrl-C stopped in flight failed only because of the stop:
		// they are "not started", not failures.
		res = stoppedNotFailed(res)
		if !changed {
			res = nil // nothing to report: no summary, no gateway values
		}
	}
	// A wif federation in place (verification ran only after a complete
	// apply, or a plan with nothing to do): its integration values, and
	// whatever the caller writes from them.
	var wifOut *engine.WIFOutputs
	var hookErr error
	if outcome == OutcomeDone && s.report != nil {
		if wifOut = s.wifOutputs(); wifOut != nil && s.onWIFOutputs != nil {
			hookErr = s.onWIFOutputs(wifOut)
		}
	}
	switch {
	case res != nil:
		sum := engine.NewSummary(res)
		if sum.WIF != nil && wifOut != nil {
			sum.WIF.CredConfigFile = wifOut.CredConfigFile
		}
		if outcome != OutcomeDone {
			// An interrupted apply: what was done and what was not, but no
			// integration values for a federation that is not in place.
			sum.Gateway, sum.WIF, sum.Hoop, sum.AuditSink, sum.Users = nil, nil, nil, nil, nil
		}
		fmt.Fprintln(out)
		_ = engine.RenderSummaryText(out, sum, ios.ColorScheme())
	case wifOut != nil:
		_ = engine.RenderWIFOutputsTo(out, wifOut, ios.ColorScheme())
	}
	if s.savedPath != "" {
		fmt.Fprintf(errOut, "Answers saved to %s (replay: %s)\n", s.savedPath, s.replayCommand(s.savedPath))
	}
	if outcome != OutcomeDone {
		switch {
		case progErr != nil && !errors.Is(progErr, tea.ErrProgramKilled) && !errors.Is(progErr, tea.ErrInterrupted):
			return progErr
		case res == nil:
			fmt.Fprintln(errOut, "Aborted: nothing was changed.")
		default:
			fmt.Fprintln(errOut, "Aborted: the steps above were applied and nothing after. Run fedctl setup again to finish; it applies only what is missing.")
		}
		// Said above: cmd adds no message, the exit code stays 130.
		return cmdutil.Silence(cmdutil.ErrCancel)
	}
	if s.report == nil {
		return hookErr
	}
	fmt.Fprintln(out)
	if err := verify.RenderText(out, s.report, verify.TextOptions{TTY: ios.IsStdoutTTY(), Color: ios.ColorEnabled(), Width: ios.TerminalWidth()}); err != nil {
		return err
	}
	if hookErr != nil {
		return hookErr
	}
	if s.interrupted {
		return cmdutil.Silence(cmdutil.ErrCancel) // Ctrl-C exits 130
	}
	if s.report.Failed() {
		return cmdutil.Silence(&cmdutil.ChecksFailedError{Message: s.report.FailureMessage()})
	}
	return nil
}

// stoppedNotFailed is res with the steps that failed only because the
// run was cancelled counted as not started.
func stoppedNotFailed(res *engine.Result) *engine.Result {
	cp := *res
	cp.Outcomes = slices.Clone(res.Outcomes)
	for i, o := range cp.Outcomes {
		if o.Status == engine.OutcomeFailed && strings.Contains(o.Error, context.Canceled.Error()) {
			cp.Outcomes[i].Status, cp.Outcomes[i].Error, cp.Outcomes[i].Cause = engine.OutcomeSkipped, "", ""
		}
	}
	return &cp
}

// eofReader calls onEOF once when r reports end of input.
type eofReader struct {
	r     io.Reader
	once  sync.Once
	onEOF func()
}

func (e *eofReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if errors.Is(err, io.EOF) {
		e.once.Do(e.onEOF)
	}
	return n, err
}
