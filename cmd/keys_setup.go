package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/keys"
)

// --enforce-no-keys on setup and plan (SPEC §7.6): the project's
// key-creation policy joins setup's plan.

func addEnforceNoKeysFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, "enforce-no-keys", false, "Also forbid new service-account keys in the project (org policy iam.disableServiceAccountKeyCreation; not with --admin-key-file)")
}

// checkEnforceNoKeys refuses --enforce-no-keys with an admin key file, as a
// usage error before any API call.
func checkEnforceNoKeys(enforce bool, cfg *config.Config) error {
	if enforce && cfg.AdminKeyFile != "" {
		return cmdutil.FlagErrorf("--enforce-no-keys: %s", keys.GatewayKeyConflict)
	}
	return nil
}

// planEnforceNoKeys appends the key-creation policy change to a setup plan.
func planEnforceNoKeys(ctx context.Context, client *gcp.Client, project string, plan *engine.Plan) error {
	ch, err := keys.EnforceChange(ctx, client, project)
	if err != nil {
		return err
	}
	plan.Changes = append(plan.Changes, ch)
	if ch.Action != engine.ActionNoop {
		plan.Warnings = append(plan.Warnings, "--enforce-no-keys: "+keys.ExistingKeysWarning)
	}
	return nil
}
