package cmd

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

// SandboxOAuthClientOptions are the inputs of `fedctl sandbox oauth-client`.
type SandboxOAuthClientOptions struct {
	StatePath    string
	Name         string
	Type         string
	RedirectURIs []string
	Format       string
	Out          string
}

func newSandboxOAuthClientCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxOAuthClientOptions{}
	cmd := &cobra.Command{
		Use:   "oauth-client",
		Short: "Create an OAuth client in the sandbox and write its JSON",
		Long: `Create an OAuth client in the sandbox project, as "APIs & Services →
Credentials → Create credentials → OAuth client ID" does in the Cloud Console,
and write its JSON to --out (mode 0600, never overwriting): Google's download
({"installed": …} or {"web": …}) or, with --format hoop, Hoop's minimal
{"client_id", "client_secret"}.

A desktop client (--type installed, the default) accepts any loopback
redirect, so verify --mode oauth can use any port. A web client accepts only
its --redirect-uri values (default: Hoop's local gateway callback and
http://127.0.0.1:8085/, the loopback verify uses for web clients).`,
		Example: `  fedctl sandbox oauth-client --out client.json
  fedctl sandbox oauth-client --type web --format hoop --out hoop-client.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandboxOAuthClient(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.StatePath, "state", "", "Sandbox state file (default: the --sandbox state file)")
	fl.StringVar(&opts.Name, "name", "fedctl sandbox app", "The app name the consent page shows")
	fl.StringVar(&opts.Type, "type", "installed", "Application type: installed (Desktop app) or web")
	fl.StringArrayVar(&opts.RedirectURIs, "redirect-uri", nil, "web: an authorized redirect `URI` (repeatable)")
	fl.StringVar(&opts.Format, "format", "google", "File format: google (the Console's download) or hoop ({client_id, client_secret})")
	fl.StringVar(&opts.Out, "out", "", "Write the client JSON to this `FILE` (mode 0600)")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagFilename("out")
	_ = cmd.RegisterFlagCompletionFunc("type", cobra.FixedCompletions([]string{"installed", "web"}, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"google", "hoop"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runSandboxOAuthClient(f *cmdutil.Factory, opts *SandboxOAuthClientOptions) error {
	if opts.Type != "installed" && opts.Type != "web" {
		return cmdutil.FlagErrorf("--type %q: use installed or web", opts.Type)
	}
	if opts.Format != "google" && opts.Format != "hoop" {
		return cmdutil.FlagErrorf("--format %q: use google or hoop", opts.Format)
	}
	if opts.Type == "installed" && len(opts.RedirectURIs) > 0 {
		return cmdutil.FlagErrorf("--redirect-uri is for --type web: a desktop client accepts any loopback redirect")
	}
	if _, err := os.Stat(opts.Out); err == nil {
		return cmdutil.FlagErrorf("%s already exists; remove it or choose another --out", opts.Out)
	}
	redirects := opts.RedirectURIs
	if opts.Type == "web" && len(redirects) == 0 {
		redirects = []string{"http://localhost:8009" + HoopOAuthCallbackPath, "http://127.0.0.1:8085/"}
	}
	var cl *emulator.OAuthClient
	err := withSandboxState(f, opts.StatePath, func(srv *emulator.Server) (err error) {
		// The emulator refuses a bad --name or --redirect-uri: a usage error.
		if cl, err = srv.CreateOAuthClient(emulator.OAuthClientSpec{Name: opts.Name, Type: opts.Type, RedirectURIs: redirects}); err != nil {
			return cmdutil.FlagErrorWrap(err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var doc any = map[string]string{"client_id": cl.ID, "client_secret": cl.Secret}
	if opts.Format == "google" {
		// The Console's download (auth_uri/token_uri as Google writes them).
		inner := map[string]any{"client_id": cl.ID, "project_id": cl.Project, "client_secret": cl.Secret,
			"auth_uri": "https://accounts.google.com/o/oauth2/auth", "token_uri": "https://oauth2.googleapis.com/token",
			"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs"}
		if opts.Type == "installed" {
			inner["redirect_uris"] = []string{"http://localhost"}
		} else {
			inner["redirect_uris"] = redirects
		}
		doc = map[string]any{opts.Type: inner}
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	if err := writeNewSecretFile(opts.Out, append(b, '\n')); err != nil {
		return err
	}
	if f.Output().IsJSON() {
		return cmdutil.PrintJSON(f.IOStreams.Out, map[string]any{"file": opts.Out, "client_id": cl.ID, "type": cl.Type, "format": opts.Format, "redirect_uris": redirects})
	}
	fmt.Fprintf(f.IOStreams.Out, "Created OAuth client %s (%s) and wrote it to %s (the secret is in the file only).\n", cl.ID, cl.Type, opts.Out)
	return nil
}
