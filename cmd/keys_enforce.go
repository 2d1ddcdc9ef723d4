package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/keys"
)

type keysEnforceOptions struct {
	adminKeyFile string
	dryRun, yes  bool
}

func newKeysEnforceCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &keysEnforceOptions{}
	cmd := &cobra.Command{
		Use:   "enforce",
		Short: "Forbid new service-account keys in the project",
		Long: `Set the project's own iam.disableServiceAccountKeyCreation policy (Org
Policy API v2, enforce: true), after showing it as a plan and asking (or
with --yes). Nobody can then create a user-managed key in the project;
keys that exist keep working until they are deleted (fedctl keys prune).

Refused with --admin-key-file: Hoop's gcp_iam mode signs its token
requests with the admin service account's key, which the policy forbids.`,
		Example: `  fedctl keys enforce --dry-run
  fedctl keys enforce --yes`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runKeysEnforce(cmd.Context(), f, opts) },
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.adminKeyFile, "admin-key-file", "", "The gateway's admin key `FILE` (refused: a gateway with a key cannot live with the policy)")
	fl.BoolVar(&opts.dryRun, "dry-run", false, "Show the plan and change nothing")
	fl.BoolVarP(&opts.yes, "yes", "y", false, "Apply without asking (required when not on a terminal)")
	return cmd
}

func runKeysEnforce(ctx context.Context, f *cmdutil.Factory, opts *keysEnforceOptions) error {
	if opts.adminKeyFile != "" {
		return cmdutil.FlagErrorf("%s", keys.GatewayKeyConflict)
	}
	project, err := f.Project()
	if err != nil {
		return err
	}
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	f.Progressf("Reading the key-creation policy and the keys of %s…\n", project)
	inv, err := (&keys.Lister{Client: client}).List(ctx, project)
	if err != nil {
		return err
	}
	plan, err := keys.PlanEnforce(ctx, client, project, len(inv.Keys))
	if err != nil {
		return err
	}
	return runKeysPlan(ctx, f, plan, keysPlanRun{none: "Key creation is already forbidden.", question: "Forbid new service-account keys in " + project + "?", dryRun: opts.dryRun, yes: opts.yes},
		func() ([]engine.Outcome, error) { return keys.Apply(ctx, client, plan, 1, nil), nil })
}
