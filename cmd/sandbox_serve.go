package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

// SandboxServeOptions are the inputs of `fedctl sandbox serve`.
type SandboxServeOptions struct {
	Addr             string
	StatePath        string
	Latency          time.Duration
	PropagationDelay time.Duration
	VisibilityDelay  time.Duration
	// ready, when set, receives the endpoint once serving (tests).
	ready func(endpoint, token string)
}

func newSandboxServeCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxServeOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the emulated GCP project over HTTP",
		Long: `Serve the emulated GCP project over HTTP in the --api-endpoint layout
(URL/SERVICE/PATH), and print the export lines (FEDCTL_API_ENDPOINT,
FEDCTL_ACCESS_TOKEN) that point fedctl at it. The token is the sandbox
operator's (user:operator@example.com, owner of demo-project).

With --state the project persists in that file (the same file --sandbox uses
by default is $XDG_STATE_HOME/fedctl/sandbox.json); without it, in memory.
Stop with Ctrl-C.`,
		Example: `  fedctl sandbox serve --addr 127.0.0.1:8086 --latency 50ms
  fedctl sandbox serve --state ./sandbox.json --propagation-delay 30s`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandboxServe(cmd.Context(), f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Addr, "addr", "127.0.0.1:8086", "Address to listen on")
	fl.StringVar(&opts.StatePath, "state", "", "Persist the emulated project in this file (default: in memory)")
	fl.DurationVar(&opts.Latency, "latency", 0, "Latency added to every request")
	fl.DurationVar(&opts.PropagationDelay, "propagation-delay", 0, "How long a new IAM grant takes to count for authorization")
	fl.DurationVar(&opts.VisibilityDelay, "visibility-delay", 0, "How long a new service account stays invisible to reads")
	return cmd
}

func runSandboxServe(ctx context.Context, f *cmdutil.Factory, opts *SandboxServeOptions) error {
	srv, err := emulator.New(emulator.Options{
		StatePath:        opts.StatePath,
		Latency:          opts.Latency,
		PropagationDelay: opts.PropagationDelay,
		VisibilityDelay:  opts.VisibilityDelay,
	})
	if err != nil {
		return err
	}
	url, err := srv.Listen(opts.Addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listening on %s: %w (choose another address with --addr, e.g. --addr 127.0.0.1:0 for any free port)", opts.Addr, err)
	}
	defer srv.Close()
	tok := srv.OperatorToken()
	ios := f.IOStreams
	if f.Output().IsJSON() {
		if err := cmdutil.PrintJSON(ios.Out, map[string]string{
			"endpoint": url, "access_token": tok, "project": emulator.DefaultSeed.ProjectID,
			"operator": emulator.DefaultSeed.Operator,
		}); err != nil {
			return err
		}
	} else {
		// The operator token is a sandbox credential, printed so the export
		// lines work; it is worthless outside this emulator.
		fmt.Fprintf(ios.Out, "export FEDCTL_API_ENDPOINT=%s\nexport FEDCTL_ACCESS_TOKEN=%s\nexport CLOUDSDK_CORE_PROJECT=%s\n",
			url, tok, emulator.DefaultSeed.ProjectID)
		f.Progressf("Serving the emulated GCP project %s at %s (Ctrl-C to stop)\n", emulator.DefaultSeed.ProjectID, url)
	}
	if opts.ready != nil {
		opts.ready(url, tok)
	}
	<-ctx.Done()
	f.Progressf("Stopping the sandbox.\n")
	return nil
}
