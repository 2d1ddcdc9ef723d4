package cmd

import (
	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/internal/completion"
)

func init() {
	// Run the root's PersistentPreRunE (--no-color, flag conflicts) even
	// when a subcommand defines its own persistent hooks.
	cobra.EnableTraverseRunHooks = true
}

// NewRootCmd builds the fedctl command tree over f, for the tools that
// document it (man pages, completions, the docs test).
func NewRootCmd(f *cmdutil.Factory) *cobra.Command { return newRootCmd(f) }

// newRootCmd builds the fedctl command tree over f. Every global flag of
// SPEC §2 binds into f.Globals.
func newRootCmd(f *cmdutil.Factory) *cobra.Command {
	ios := f.IOStreams
	root := &cobra.Command{
		Use:   "fedctl <command> [flags]",
		Short: "Keyless, per-identity, auditable access to BigQuery",
		Long: `fedctl gives people and agents keyless, per-identity, auditable access to
BigQuery on Google Cloud, through service-account impersonation, Workload
Identity Federation or OAuth. It sets the GCP side up, proves it works for
every identity, and reads the audit trail that shows who ran what, and
through whom.`,
		Example: `  fedctl setup --users alice@acme.com,bob@acme.com
  fedctl verify --all
  fedctl audit tail --since 1h
  fedctl --sandbox setup --users alice@example.com --yes`,
		// Main prints errors exactly once; cobra prints neither errors nor
		// the full usage text.
		SilenceErrors: true,
		SilenceUsage:  true,
		// Bare: help, or with --output json a usage error (groupRunE).
		RunE: groupRunE,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if f.Globals.NoColor {
				ios.SetColorEnabled(false)
			}
			trackStdout(f)
			if f.Globals.Sandbox && f.Globals.APIEndpoint != "" {
				return cmdutil.FlagErrorf("--sandbox and --api-endpoint cannot be used together")
			}
			if err := checkGlobalConflicts(&f.Globals); err != nil {
				return err
			}
			return nil
		},
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.FlagErrorWrap(suggestFlag(c, err))
	})

	g := &f.Globals
	pf := root.PersistentFlags()
	pf.StringVar(&g.Project, "project", "", "Google Cloud project ID (default: $CLOUDSDK_CORE_PROJECT, $GOOGLE_CLOUD_PROJECT, gcloud's core/project)")
	pf.Var(&g.Output, "output", "Output format: text or json")
	pf.BoolVar(&g.NoColor, "no-color", false, "Disable colour (also when $NO_COLOR is set)")
	pf.BoolVar(&g.Quiet, "quiet", false, "Print only results and errors, no progress")
	pf.BoolVar(&g.Verbose, "verbose", false, "Trace HTTP requests on stderr (tokens masked)")
	pf.StringVar(&g.APIEndpoint, "api-endpoint", "", "Send every Google API call to this emulator root URL (also $FEDCTL_API_ENDPOINT)")
	pf.BoolVar(&g.Sandbox, "sandbox", false, "Run against the built-in emulated GCP project (no credentials needed)")
	pf.StringVar(&g.ImpersonateServiceAccount, "impersonate-service-account", "", "Make every call as this service account (by email)")
	_ = root.RegisterFlagCompletionFunc("output",
		cobra.FixedCompletions(cmdutil.OutputFormats, cobra.ShellCompDirectiveNoFileComp))

	root.AddCommand(
		newSetupCmd(f),
		newPlanCmd(f),
		newTeardownCmd(f),
		newVerifyCmd(f),
		newTokenCmd(f),
		newAuditCmd(f),
		newKeysCmd(f),
		newSandboxCmd(f),
		newVersionCmd(f),
	)
	// Free-form flags (--users, --roles ...) must not offer file names.
	completion.NoFilesByDefault(root)
	return root
}
