package wizard

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/internal/fixhint"
)

// The replay line after "write config file" works when pasted: on the
// sandbox it runs on the sandbox.
func TestReplayLineCarriesSandbox(t *testing.T) {
	e := newEmu(t)
	cfg := validCfg("alice@acme.com")
	s := testSession(cfg, e.backend)
	s.inv = fixhint.Invocation{Sandbox: true, Project: "demo-project"}
	m := sized(s, stepPlan, 100, 40)
	p := m.screens[stepPlan].(*planScreen)
	p.loading, s.plan = false, mustPlan(t, e, cfg)
	path := filepath.Join(t.TempDir(), "fed.yaml")
	m.Update(press("w"))
	p.save.SetValue(path)
	cmd := p.update(press("enter"))
	m.Update(cmd())
	want := "fedctl --sandbox setup --config " + path + " --yes"
	if !strings.Contains(p.savedNote, want) {
		t.Fatalf("saved note = %q, want %q", p.savedNote, want)
	}
}
