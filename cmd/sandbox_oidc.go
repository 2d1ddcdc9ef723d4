package cmd

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

// SandboxOIDCTokenOptions are the inputs of `fedctl sandbox oidc-token`.
type SandboxOIDCTokenOptions struct {
	StatePath string
	Issuer    string
	Subject   string
	Audience  string
	Claims    []string // k=v
	Out       string
}

func newSandboxOIDCTokenCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxOIDCTokenOptions{}
	cmd := &cobra.Command{
		Use:   "oidc-token",
		Short: "Mint a subject token from the sandbox's demo OIDC issuer",
		Long: `Mint a JWT signed by one of the sandbox's demo OIDC issuers
(https://oidc.fedctl.invalid/NAME), as a workload's identity provider would,
and write it to --out (mode 0600). Use it to rehearse Workload Identity
Federation on the sandbox: point a provider's --issuer-uri at the demo issuer,
then verify with --subject-token-file, or reference the file from a credential
configuration (--cred-config).`,
		Example: `  fedctl sandbox oidc-token --sub repo:acme/app:ref:refs/heads/main \
    --aud //iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/gh/providers/gh \
    --claim repository=acme/app --claim repository_owner_id=42 --out token.jwt`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandboxOIDCToken(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.StatePath, "state", "", "Sandbox state file (default: the --sandbox state file)")
	fl.StringVar(&opts.Issuer, "issuer", emulator.DefaultDemoIssuer, "Demo issuer name")
	fl.StringVar(&opts.Subject, "sub", "", "The token's subject (sub claim)")
	fl.StringVar(&opts.Audience, "aud", "", "The token's audience (aud claim): the provider's audience")
	fl.StringArrayVar(&opts.Claims, "claim", nil, "Another claim, as NAME=VALUE (repeatable)")
	fl.StringVar(&opts.Out, "out", "", "Write the token to this file (mode 0600)")
	_ = cmd.MarkFlagRequired("sub")
	_ = cmd.MarkFlagRequired("out")
	_ = cmd.MarkFlagFilename("out")
	return cmd
}

func runSandboxOIDCToken(f *cmdutil.Factory, opts *SandboxOIDCTokenOptions) error {
	claims := map[string]any{"sub": opts.Subject}
	if opts.Audience != "" {
		claims["aud"] = opts.Audience
	}
	for _, kv := range opts.Claims {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return cmdutil.FlagErrorf("invalid --claim %q: want NAME=VALUE", kv)
		}
		claims[k] = v
	}
	// Checked before the state is opened: a token is never overwritten.
	if _, err := os.Stat(opts.Out); err == nil {
		return cmdutil.FlagErrorf("%s already exists; remove it or choose another --out", opts.Out)
	}
	var tok string
	err := withSandboxState(f, opts.StatePath, func(srv *emulator.Server) (err error) {
		tok, err = srv.MintSubjectToken(opts.Issuer, claims)
		return err
	})
	if err != nil {
		return err
	}
	if err := writeNewSecretFile(opts.Out, []byte(tok)); err != nil {
		return err
	}
	issuer := emulator.DemoIssuerURI(opts.Issuer)
	if f.Output().IsJSON() {
		return cmdutil.PrintJSON(f.IOStreams.Out, map[string]any{"file": opts.Out, "issuer": issuer, "claims": claims})
	}
	fmt.Fprintf(f.IOStreams.Out, "Wrote a token from %s for sub %q to %s (valid 1 hour).\n", issuer, opts.Subject, opts.Out)
	return nil
}
