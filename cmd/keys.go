package cmd

import (
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/internal/lazyregexp"
)

func newKeysCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Find, prune and forbid service-account keys",
		Long: `Static service-account keys undo keyless federation: whoever holds one is
the service account, with no delegation chain and no per-person trail.

  list     every user-managed key, with its last use from the audit log;
  prune    delete (or disable) keys, as a plan you confirm;
  enforce  forbid new keys in the project (iam.disableServiceAccountKeyCreation).

docs/keys.md walks through the migration off a shared key.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(newKeysListCmd(f), newKeysPruneCmd(f), newKeysEnforceCmd(f))
	return cmd
}

// parseAge reads a flag's age: "30d", or a Go duration ("12h", "90m").
func parseAge(flag, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		if d, err := strconv.Atoi(n); err == nil && d > 0 {
			return time.Duration(d) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, cmdutil.FlagErrorf("%s %q: want a positive duration such as 30d, 90d or 12h", flag, s)
	}
	return d, nil
}

var keyIDPattern = lazyregexp.New(`^[0-9a-fA-F]{8,40}$`)

// adminKeyFileID reads the key ID and SA of a key file (never its private
// half, which is not even kept); a file that is no key file is a usage error.
func adminKeyFileID(path string) (id, email string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", cmdutil.FlagErrorf("--admin-key-file: %v", err)
	}
	var kf struct {
		Type         string `json:"type"`
		PrivateKeyID string `json:"private_key_id"`
		ClientEmail  string `json:"client_email"`
	}
	if json.Unmarshal(b, &kf) != nil || kf.Type != "service_account" || kf.PrivateKeyID == "" {
		return "", "", cmdutil.FlagErrorf("--admin-key-file %s is not a service account key file (type service_account, private_key_id)", path)
	}
	return strings.ToLower(kf.PrivateKeyID), kf.ClientEmail, nil
}
