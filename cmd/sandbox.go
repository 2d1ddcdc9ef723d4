package cmd

import (
	"context"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

// newSandboxCmd holds the emulator commands, and installs the in-process
// starter behind the --sandbox global flag.
func newSandboxCmd(f *cmdutil.Factory) *cobra.Command {
	if f.SandboxStarter == nil {
		f.SandboxStarter = inProcessSandbox(f)
	}
	cmd := &cobra.Command{
		Use:   "sandbox <command>",
		Short: "Run fedctl against an emulated GCP project",
		Long: `The sandbox is an emulated GCP project (demo-project) that speaks Google's
wire format, so setup, verify and audit can be tried with no GCP project and
no credentials. Use --sandbox on any command to run it in-process, with its
state kept in $XDG_STATE_HOME/fedctl/sandbox.json, or serve it over HTTP.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(
		newSandboxServeCmd(f),
		newSandboxResetCmd(f),
		newSandboxOIDCTokenCmd(f),
		newSandboxOAuthClientCmd(f),
		newSandboxOrgPolicyCmd(f),
	)
	return cmd
}

// sandboxStatePath is where --sandbox keeps the emulated project:
// $XDG_STATE_HOME/fedctl/sandbox.json (default ~/.local/state/...).
func sandboxStatePath(getenv func(string) string) (string, error) {
	if d := getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "fedctl", "sandbox.json"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(home, ".local", "state", "fedctl", "sandbox.json"), nil
}

// sandboxStateFile is statePath (a --state flag), or the --sandbox state
// file when it is empty.
func sandboxStateFile(f *cmdutil.Factory, statePath string) (string, error) {
	if statePath != "" {
		return statePath, nil
	}
	return sandboxStatePath(factoryGetenv(f))
}

// withSandboxState opens the sandbox's persisted state (sandboxStateFile),
// runs fn on it and closes it (which saves it): fn's error first, then
// Close's.
func withSandboxState(f *cmdutil.Factory, statePath string, fn func(*emulator.Server) error) error {
	path, err := sandboxStateFile(f, statePath)
	if err != nil {
		return err
	}
	srv, err := emulator.New(emulator.Options{StatePath: path})
	if err != nil {
		return err
	}
	err = fn(srv)
	if cerr := srv.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeNewSecretFile writes data to a new file of mode 0600 (it holds a
// secret or a token); an existing file is never overwritten.
func writeNewSecretFile(path string, data []byte) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return err
	}
	return fh.Close()
}

func factoryGetenv(f *cmdutil.Factory) func(string) string {
	if f.Getenv != nil {
		return f.Getenv
	}
	return os.Getenv
}

// inProcessSandbox starts the emulator on a loopback port for the length of
// one command. The state file is locked per request, not per command, so
// concurrent fedctl processes (a long `audit tail --follow`, a `sandbox
// serve` on the same file) interleave request by request and see each
// other's writes.
func inProcessSandbox(f *cmdutil.Factory) cmdutil.SandboxStarter {
	return func(ctx context.Context) (string, string, func() error, error) {
		path, err := sandboxStatePath(factoryGetenv(f))
		if err != nil {
			return "", "", nil, err
		}
		srv, err := emulator.New(emulator.Options{StatePath: path})
		if err != nil {
			return "", "", nil, err
		}
		url, err := srv.Listen("127.0.0.1:0")
		if err != nil {
			srv.Close()
			return "", "", nil, err
		}
		return url, srv.OperatorToken(), srv.Close, nil
	}
}
