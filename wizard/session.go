package wizard

import (
	"context"
	"slices"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/verify"
)

// step is a screen. Which steps a run walks through depends on the mode
// (session.flow): wif asks for a provider and who may use it instead of
// users; a mode the wizard cannot set up yet says so on the Mode screen.
type step int

const (
	stepProject step = iota
	stepMode
	stepIdentities
	stepWIFProvider
	stepWIFAccess
	stepAudit
	stepPlan
	stepApply
	stepVerify
	stepOAuthClient
	numSteps
)

var stepNames = [numSteps]string{"Project", "Mode", "Identities", "Provider", "Access", "Audit", "Plan", "Apply", "Verify", "OAuth client"}

func (s step) String() string { return stepNames[s] }

var (
	identitiesFlow = []step{stepProject, stepMode, stepIdentities, stepAudit, stepPlan, stepApply, stepVerify}
	wifFlow        = []step{stepProject, stepMode, stepWIFProvider, stepWIFAccess, stepAudit, stepPlan, stepApply, stepVerify}
	oauthFlow      = []step{stepProject, stepMode, stepIdentities, stepOAuthClient, stepAudit, stepPlan, stepApply, stepVerify}
)

// flow is the steps of the current mode, in order.
func (s *session) flow() []step {
	switch s.cfg.Mode {
	case config.ModeWIF:
		return wifFlow
	case config.ModeOAuth:
		return oauthFlow
	}
	return identitiesFlow
}

// after and before are the neighbours of st in the current mode's flow.
func (s *session) after(st step) step {
	f := s.flow()
	return f[min(slices.Index(f, st)+1, len(f)-1)]
}

func (s *session) before(st step) step {
	f := s.flow()
	return f[max(slices.Index(f, st)-1, 0)]
}

// session is what the screens share: the answers being built (cfg), the
// services they call, and the results of the later steps.
type session struct {
	ctx     context.Context
	cfg     *config.Config
	backend Backend
	styles  *Styles
	keys    keyMap
	now     func() time.Time
	// color says whether verify's table may carry ANSI colour.
	color bool
	// configPath is where "write config file" saves (default federation.yaml).
	configPath string
	// savedPath is where the answers were written, if they were.
	savedPath string

	// operator is the signed-in operator's email (gcloud's account), when
	// known: oauth mode's sign-in on the Verify screen starts with them.
	operator string

	// projectNumber is the project's number once the Project screen read
	// it (wif members and resource names use it).
	projectNumber string

	// allow are the wif refusals the admin forced (--allow-unconditioned,
	// --allow-wildcard, or the force toggles of the wif screens).
	allow engine.WIFAllow
	// inv is how fedctl was run, for the fixes (Options.Invocation).
	inv fixhint.Invocation
	// onWIFOutputs is Options.WIFOutputs.
	onWIFOutputs func(*engine.WIFOutputs) error
	// presetPrincipalSet is the principal set the wif preset suggests (the
	// Provider screen computes it, the Access screen offers it).
	presetPrincipalSet string

	plan   *engine.Plan
	result *engine.Result // the last apply (nil until one ran)
	// applied counts the changes applied over every apply attempt.
	applied int
	// stopped: Ctrl-C interrupted an apply.
	stopped bool
	// interrupted: Ctrl-C ended the wizard on the finished table (the
	// record is printed, the exit code is 130).
	interrupted bool
	report      *verify.Report

	// bg tracks the apply goroutine, so that Run returns only once Apply
	// has (nothing is applied after the wizard ends), and final is that
	// goroutine's last result, for a wizard killed mid-apply.
	bg    sync.WaitGroup
	mu    sync.Mutex
	final *engine.Result
}

func (s *session) setFinal(r *engine.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r != nil {
		s.final = r
	}
}

func (s *session) finalResult() *engine.Result {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.final
}

// Navigation and ending messages: screens ask, the router acts.
type (
	goMsg     struct{ to step }
	abortMsg  struct{}
	finishMsg struct{}
)

func goTo(s step) tea.Cmd { return func() tea.Msg { return goMsg{to: s} } }

func abort() tea.Msg  { return abortMsg{} }
func finish() tea.Msg { return finishMsg{} }

// screen is one step of the wizard. Screens are pointers mutated in place
// (as in soft-serve); the router owns which one is current.
type screen interface {
	// enter runs each time the screen becomes current.
	enter() tea.Cmd
	update(msg tea.Msg) tea.Cmd
	view() string
	help() bindings
	setSize(width, height int)
	// typing reports whether keys go into a text field (so that q and ?
	// are text, not commands).
	typing() bool
}
