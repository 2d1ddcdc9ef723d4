package wizard

import (
	"testing"

	"github.com/charmbracelet/x/exp/golden"

	"github.com/fedctl/fedctl/config"
)

// The OAuth client screen with a Hoop-format file typed in and checked.
func TestGoldenOAuthClient(t *testing.T) {
	cfg := &config.Config{Project: "demo-project", Mode: config.ModeOAuth}
	cfg.OAuth.Users = []string{"alice@acme.com"}
	s := testSession(cfg, nil)
	m := sized(s, stepOAuthClient, gw, gh)
	m.Init()
	typeText(m, "testdata/oauth-client-hoop.json") // a fixture, not a real client
	m.screens[stepOAuthClient].(*oauthClientScreen).check()
	golden.RequireEqual(t, []byte(m.View()))
}
