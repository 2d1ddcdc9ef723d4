package cmd

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

func newSandboxResetCmd(f *cmdutil.Factory) *cobra.Command {
	var statePath string
	var yes bool
	cmd := &cobra.Command{
		Use:   "reset",
		Short: "Reset the sandbox to its initial state",
		Long: `Reset the sandbox's persisted state to a fresh demo-project. Tokens minted
before the reset are rejected afterwards. It asks first on a terminal; pass
--yes in scripts.`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := sandboxStateFile(f, statePath)
			if err != nil {
				return err
			}
			// Everything set up on the sandbox is lost: ask, as setup and
			// teardown do before they change anything.
			if err := confirmWrite(cmd.Context(), f, yes, "Reset the sandbox? Everything in "+emulator.DefaultSeed.ProjectID+" ("+path+") is lost."); err != nil {
				return err
			}
			if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
				return err
			}
			srv, err := emulator.New(emulator.Options{StatePath: path})
			if err != nil {
				return err
			}
			if err := srv.Close(); err != nil {
				return err
			}
			if f.Output().IsJSON() {
				return cmdutil.PrintJSON(f.IOStreams.Out, map[string]string{"state": path, "project": emulator.DefaultSeed.ProjectID})
			}
			fmt.Fprintf(f.IOStreams.Out, "Sandbox reset: %s now holds a fresh %s.\n", path, emulator.DefaultSeed.ProjectID)
			return nil
		},
	}
	cmd.Flags().StringVar(&statePath, "state", "", "State file to reset (default: the --sandbox state file)")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "Reset without asking (required when not on a terminal)")
	return cmd
}
