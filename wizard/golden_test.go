package wizard

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
)

// Each screen's View() at 100×32 against testdata/<Test>.golden
// (go test ./wizard -run Golden -update rewrites them; docs/wizard.md
// shows them). Async results are fed in as the messages their Cmds return,
// so the views are deterministic.

const gw, gh = 100, 32

func TestGoldenProject(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "demo-project"}, e.backend)
	m := sized(s, stepProject, gw, gh)
	m.Init() // starts the lookup: the screen now shows the spinner
	info, err := e.backend.Project(context.Background(), "demo-project", s.cfg.RequiredAPIs())
	if err != nil {
		t.Fatal(err)
	}
	m.Update(projectInfoMsg{project: "demo-project", info: info})
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenProjectError(t *testing.T) {
	e := newEmu(t)
	s := testSession(&config.Config{Project: "no-such-project"}, e.backend)
	m := sized(s, stepProject, gw, gh)
	m.Init()
	_, err := e.backend.Project(context.Background(), "no-such-project", s.cfg.RequiredAPIs())
	if err == nil {
		t.Fatal("reading a missing project succeeded")
	}
	m.Update(projectInfoMsg{project: "no-such-project", err: err})
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenMode(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	m := sized(s, stepMode, gw, gh)
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenIdentities(t *testing.T) {
	s := testSession(validCfg(), nil)
	m := sized(s, stepIdentities, gw, gh)
	m.Init()
	typeText(m, "alice@acme.com, bob@acme.com\n")
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenIdentitiesProblems(t *testing.T) {
	// An illegal rendering (a dot), a collision, and Pattern B's warning.
	cfg := validCfg("alice.smith@acme.com", "bob@acme.com", "bob@other.org", "not-an-email")
	cfg.Impersonation.Grant = config.GrantProject
	s := testSession(cfg, nil)
	m := sized(s, stepIdentities, gw, 44)
	m.Init()
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenAudit(t *testing.T) {
	cfg := validCfg("alice@acme.com")
	cfg.Verifier = "user:operator@example.com"
	s := testSession(cfg, nil)
	m := sized(s, stepAudit, gw, 40)
	m.Init()
	m.Update(press("down"))
	m.Update(press("space")) // the sink on: its fields appear
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenPlan(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	cfg.Audit.DataAccessLogs = true
	s := testSession(cfg, e.backend)
	m := sized(s, stepPlan, gw, gh)
	m.Init()
	m.Update(planMsg{seq: 1, plan: mustPlan(t, e, cfg)})
	golden.RequireEqual(t, []byte(m.View()))
}

func TestGoldenApply(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	s := testSession(cfg, e.backend)
	s.plan = mustPlan(t, e, cfg)
	m := sized(s, stepApply, gw, gh)
	a := m.screens[stepApply].(*applyScreen)
	// A run in progress, fed by hand: finished, failed (with its fix) and
	// running steps.
	a.attempt, a.running, a.cancel = 1, true, func() {}
	denied := &engineErr{msg: "googleapi: Error 403: Permission 'iam.serviceAccounts.create' denied", kind: 403}
	for _, ev := range []engine.Event{
		{Step: `enable api["iam.googleapis.com"]`, Status: engine.StepStarted},
		{Step: `enable api["iam.googleapis.com"]`, Status: engine.StepFinished, Elapsed: 2100 * time.Millisecond},
		{Step: `create service_account.admin`, Status: engine.StepStarted},
		{Step: `create service_account.admin`, Status: engine.StepFinished, Elapsed: 400 * time.Millisecond},
		{Step: `create service_account.user["alice@acme.com"]`, Status: engine.StepStarted},
		{Step: `create service_account.user["bob@acme.com"]`, Status: engine.StepStarted},
		{Step: `create service_account.user["bob@acme.com"]`, Status: engine.StepFailed, Elapsed: 300 * time.Millisecond, Err: denied},
	} {
		m.Update(applyEventMsg{attempt: 1, ev: ev})
	}
	golden.RequireEqual(t, []byte(m.View()))
}

// engineErr is an error without Google's shape (its fix is the generic one).
type engineErr struct {
	msg  string
	kind int
}

func (e *engineErr) Error() string { return e.msg }

func TestGoldenVerify(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com", "bob@acme.com")
	cfg.Verifier = "user:operator@example.com"
	s := testSession(cfg, e.backend)
	ctx := context.Background()
	res, err := e.backend.Apply(ctx, mustPlan(t, e, cfg), nil)
	if err != nil {
		t.Fatal(err, res)
	}
	rep, err := e.backend.Verify(ctx, cfg, cfg.Users())
	if err != nil {
		t.Fatal(err)
	}
	m := sized(s, stepVerify, gw, 40)
	m.Init()
	m.Update(verifyMsg{seq: 1, report: rep})
	// The emulator gives service accounts random unique IDs.
	view := regexp.MustCompile(`unique ID \d+`).ReplaceAllStringFunc(m.View(), func(s string) string {
		return "unique ID " + strings.Repeat("N", len(s)-len("unique ID "))
	})
	golden.RequireEqual(t, []byte(view))
}

// The header folds to the current step on a narrow terminal, and the body
// is cut to the window.
func TestGoldenNarrow(t *testing.T) {
	s := testSession(validCfg("alice@acme.com"), nil)
	m := sized(s, stepMode, 50, 12)
	golden.RequireEqual(t, []byte(m.View()))
}
