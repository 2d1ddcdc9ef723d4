package cmd

import (
	"encoding/json"
	"strings"
	"testing"
)

// A command that only holds subcommands, run bare with --output json,
// prints the one JSON error document (exit 2), not its help text; without
// --output json it still shows its help (exit 0).
func TestGroupCommandWithJSONOutputIsAUsageError(t *testing.T) {
	for _, group := range [][]string{nil, {"keys"}, {"audit"}, {"audit", "sink"}, {"sandbox"}, {"sandbox", "org-policy"}} {
		args := append([]string{"--output", "json"}, group...)
		r := runCLI(t, args...)
		var doc struct {
			Error struct {
				Message  string `json:"message"`
				ExitCode int    `json:"exit_code"`
				Fix      string `json:"fix"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || r.code != 2 || doc.Error.ExitCode != 2 ||
			!strings.Contains(doc.Error.Message, "subcommand") || !strings.Contains(doc.Error.Fix, "--help") {
			t.Errorf("%v: exit %d, stdout is not the JSON error document (%v):\n%s", args, r.code, err, r.stdout)
		}
		text := runCLI(t, group...)
		if text.code != 0 || !strings.Contains(text.stdout, "Usage:") {
			t.Errorf("%v without --output json: exit %d\n%s", group, text.code, text.stdout)
		}
	}
	// Help asked for is still help.
	if r := runCLI(t, "--output", "json", "keys", "--help"); r.code != 0 || !strings.Contains(r.stdout, "Usage:") {
		t.Errorf("keys --help with --output json: exit %d\n%s", r.code, r.stdout)
	}
}
