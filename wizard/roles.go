package wizard

import (
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/fedctl/fedctl/config"
)

// commonRoles are the BigQuery roles offered as checkboxes; anything else
// goes into the free-entry field.
var commonRoles = []struct{ role, what string }{
	{"roles/bigquery.user", "run queries, list and create datasets"},
	{"roles/bigquery.jobUser", "run queries only (no dataset listing)"},
	{"roles/bigquery.dataViewer", "read tables and views"},
	{"roles/bigquery.dataEditor", "read and write tables"},
	{"roles/bigquery.metadataViewer", "see datasets and schemas, not data"},
	{"roles/bigquery.readSessionUser", "read through the Storage Read API"},
}

// rolePicker is the data roles question the Identities and wif Access
// screens share: the common roles as checkboxes plus a free-entry field,
// each entry checked with config.CheckRole.
type rolePicker struct {
	checked map[string]bool
	cursor  int // in commonRoles
	custom  textinput.Model
}

func newRolePicker(roles []string) *rolePicker {
	cu := textinput.New()
	cu.Prompt = ""
	cu.Placeholder = "other roles, comma-separated (roles/… or projects/P/roles/…)"
	r := &rolePicker{checked: map[string]bool{}, custom: cu}
	r.set(roles)
	return r
}

// set checks the common roles among roles and puts the rest in the
// free-entry field.
func (r *rolePicker) set(roles []string) {
	clear(r.checked)
	var other []string
	for _, role := range roles {
		if slices.ContainsFunc(commonRoles, func(c struct{ role, what string }) bool { return c.role == role }) {
			r.checked[role] = true
		} else {
			other = append(other, role)
		}
	}
	r.custom.SetValue(strings.Join(other, ", "))
}

// selected are the checked common roles, in list order, then the
// free-entry ones.
func (r *rolePicker) selected() []string {
	var out []string
	for _, c := range commonRoles {
		if r.checked[c.role] {
			out = append(out, c.role)
		}
	}
	for _, role := range config.SplitList(r.custom.Value()) {
		if !slices.Contains(out, role) {
			out = append(out, role)
		}
	}
	return out
}

// updateList moves the cursor or toggles a checkbox.
func (r *rolePicker) updateList(km tea.KeyMsg, k keyMap) {
	switch {
	case key.Matches(km, k.Up):
		r.cursor = max(r.cursor-1, 0)
	case key.Matches(km, k.Down):
		r.cursor = min(r.cursor+1, len(commonRoles)-1)
	case key.Matches(km, k.Toggle):
		role := commonRoles[r.cursor].role
		r.checked[role] = !r.checked[role]
	}
}

// view draws the checkboxes under listLabel (the cursor shown when
// listFocused), the free-entry field after customLabel, and what is wrong
// with the entries inline.
func (r *rolePicker) view(st *Styles, listLabel, customLabel string, listFocused bool) string {
	var b strings.Builder
	b.WriteString(listLabel + st.Muted.Render("  space toggles") + "\n")
	for i, c := range commonRoles {
		box := "[ ]"
		if r.checked[c.role] {
			box = "[x]"
		}
		cur := "  "
		if listFocused && i == r.cursor {
			cur = st.Cursor.Render(markFocus + " ")
		}
		b.WriteString("  " + cur + box + " " + fmt.Sprintf("%-32s", c.role) + st.Muted.Render(c.what) + "\n")
	}
	b.WriteString(customLabel + r.custom.View() + "\n")
	for _, role := range config.SplitList(r.custom.Value()) {
		if err := config.CheckRole(role); err != nil {
			b.WriteString("    " + st.Error.Render(markFail+" "+role+": "+err.Error()) + "\n")
		}
	}
	if len(r.selected()) == 0 {
		b.WriteString("    " + st.Warn.Render(markWarn+" no data roles: the identities could sign in but read nothing") + "\n")
	}
	return b.String()
}
