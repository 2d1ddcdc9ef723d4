// Package wizard is `fedctl setup` on a terminal: a bubbletea TUI that takes
// an admin from nothing to a verified federation. It collects the same
// *config.Config the flags and --config build, then drives the same engine
// (plan, apply) and the same verification table (verify.Run) as the scripted
// path — it has no second implementation of either.
//
// The shape follows Charm's huh and soft-serve: one model per screen, a small
// root router that owns navigation, the header and the help footer, I/O only
// in tea.Cmds that return typed messages, and styles and key bindings
// defined once.
//
// Where things live:
//
//	wizard.go      Run, Options: the entry point cmd/setup.go calls
//	backend.go     Backend: the Google/engine/verify calls the screens make
//	session.go     the answers and results the screens share; messages
//	router.go      the root model: steps, navigation, header, footer, resize
//	keys.go        every key binding, with its help text
//	styles.go      every lipgloss style (adaptive to light and dark terminals)
//	fix.go         what to do about an error from Google
//	text.go        wrapping and per-line styling helpers
//	project.go     screen 1: the project, its number, its APIs
//	mode.go        screen 2: impersonation / wif / oauth
//	identities.go  screen 3: users, identity template preview, pattern, roles
//	users.go       parsing typed or pasted users, per entry
//	roles.go       the data roles question (Identities and wif Access)
//	wif_provider.go screen 3 in wif mode: preset, issuer, mapping, condition
//	               compiled live with cel-go, audiences, pool/provider IDs
//	wif_access.go  screen 4 in wif mode: principal set, target SA or
//	               direct, roles; the wildcard refusal; engine.PreflightWIF
//	wif_text.go    mapping lines, located CEL problems, integration values
//	audit.go       screen 4: Data Access logs and the optional sink
//	plan.go        screen 5: the engine's plan; apply, back, save, quit
//	apply.go       screen 6: one row per step; retry; Ctrl-C stops cleanly
//	verify.go      screen 7: the verification table; re-run for one user
//	accessible.go  the same flow as line prompts (TERM=dumb, --accessible)
//	accessible_wif.go the wif questions as line prompts
//
// Which screens a run walks through depends on the mode (session.flow):
// wif replaces Identities with Provider and Access.
//
// Tests: testdata/*.golden are each screen's View() at a fixed size
// (-update rewrites them and the captures in docs/wizard.md); flow_test.go
// drives whole runs through teatest against the emulator.
package wizard
