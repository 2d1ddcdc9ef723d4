package wizard

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/oauthflow"
)

// oauthClientScreen asks, in oauth mode, for the OAuth client file (Hoop's
// {client_id, client_secret} or Google's download): it is what the last
// screen's consent-based verification signs in with. It says where the
// client is created, since that is manual. Leaving it empty skips the
// consent rows (the data roles are still set up and checked).
type oauthClientScreen struct {
	s     *session
	path  textinput.Model
	width int
	// client is the parsed file, err why it could not be read.
	client *oauthflow.ClientFile
	err    string
}

func newOAuthClientScreen(s *session) *oauthClientScreen {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = 300
	in.Placeholder = "client.json"
	in.SetValue(s.cfg.OAuth.ClientFile)
	return &oauthClientScreen{s: s, path: in}
}

func (sc *oauthClientScreen) enter() tea.Cmd { return sc.path.Focus() }
func (sc *oauthClientScreen) typing() bool   { return true }
func (sc *oauthClientScreen) setSize(w, _ int) {
	sc.width = w
	sc.path.Width = min(w-20, 60)
}

// check reads the file named; "" is accepted (no consent rows).
func (sc *oauthClientScreen) check() bool {
	sc.client, sc.err = nil, ""
	p := strings.TrimSpace(sc.path.Value())
	if p == "" {
		return true
	}
	c, err := oauthflow.ReadClientFile(p)
	if err != nil {
		sc.err = err.Error()
		return false
	}
	sc.client = c
	return true
}

func (sc *oauthClientScreen) update(msg tea.Msg) tea.Cmd {
	km, ok := msg.(tea.KeyMsg)
	if !ok {
		// Cursor blinks (every screen hears every non-key message).
		var cmd tea.Cmd
		sc.path, cmd = sc.path.Update(msg)
		return cmd
	}
	k := sc.s.keys
	switch {
	case key.Matches(km, k.Quit):
		return abort
	case key.Matches(km, k.Back):
		return goTo(sc.s.before(stepOAuthClient))
	case key.Matches(km, k.Next):
		if !sc.check() {
			return nil
		}
		sc.s.cfg.OAuth.ClientFile = strings.TrimSpace(sc.path.Value())
		return goTo(sc.s.after(stepOAuthClient))
	}
	var cmd tea.Cmd
	sc.path, cmd = sc.path.Update(km)
	sc.err = ""
	return cmd
}

func (sc *oauthClientScreen) view() string {
	st := sc.s.styles
	var b strings.Builder
	b.WriteString(st.Title.Render("The OAuth client") + "\n\n")
	b.WriteString(para(st.Muted, "", "Each user signs in with their own Google account through one OAuth client. Creating it is manual: Cloud Console → APIs & Services → Credentials → + Create credentials → OAuth client ID (Web application for Hoop; authorized redirect URIs: https://GATEWAY/api/federation/oauth/callback and http://127.0.0.1:8085/ for this wizard's check), then Download JSON.", sc.width))
	b.WriteString("\n" + st.Label.Render("Client file ") + sc.path.View() + "\n\n")
	switch {
	case sc.err != "":
		b.WriteString(para(st.Error, "  ", markFail+" "+sc.err, sc.width))
	case sc.client != nil:
		b.WriteString(para(st.OK, "  ", markOK+" "+sc.client.String(), sc.width))
	default:
		b.WriteString(para(st.Muted, "  ", "Hoop's {\"client_id\", \"client_secret\"} or Google's download. Empty: set up the data roles only; the last screen then cannot sign in as a user.", sc.width))
	}
	return b.String()
}

func (sc *oauthClientScreen) help() bindings {
	k := sc.s.keys
	short := []key.Binding{k.Next, k.Back, k.Quit}
	return bindings{short: short, full: [][]key.Binding{short}}
}
