package cmd

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/verify"
)

type tokenOptions struct {
	ff     fedFlags
	user   string
	export bool
}

func newTokenCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &tokenOptions{}
	cmd := &cobra.Command{
		Use:   "token --user EMAIL [--export]",
		Short: "Mint a session token as the gateway would",
		Long: `Mint the session token for --user EMAIL exactly as the gateway (and
fedctl verify) would: generateAccessToken on the user's SA, as the admin SA.

Without --export only a masked prefix and the expiry are shown. With
--export, print shell export lines for CLOUDSDK_AUTH_ACCESS_TOKEN,
CLOUDSDK_CORE_PROJECT and FEDCTL_FEDERATED_PRINCIPAL, to eval:

  eval "$(fedctl token --user alice@acme.com --export)"
  bq query 'SELECT 1'`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runToken(cmd, f, opts)
		},
	}
	addFedFlags(cmd, &opts.ff, fedVerify)
	cmd.Flags().StringVar(&opts.user, "user", "", "The identity to mint for (`EMAIL`)")
	cmd.Flags().BoolVar(&opts.export, "export", false, "Print shell export lines carrying the token (for eval)")
	return cmd
}

// tokenJSON is `token --output json`: everything but the token itself.
type tokenJSON struct {
	User           string    `json:"user"`
	ServiceAccount string    `json:"service_account"`
	Via            string    `json:"via"`
	MintedBy       string    `json:"minted_by"`
	Expiry         time.Time `json:"expiry"`
	TTLSeconds     int64     `json:"ttl_seconds"`
	TokenPrefix    string    `json:"token_prefix"`
}

func runToken(cmd *cobra.Command, f *cmdutil.Factory, opts *tokenOptions) error {
	if opts.user == "" {
		return cmdutil.FlagErrorf("--user EMAIL is required")
	}
	if !config.ValidEmail(opts.user) {
		return cmdutil.FlagErrorf("--user %q is not an email address", opts.user)
	}
	if opts.export && f.Output().IsJSON() {
		return cmdutil.FlagErrorf("--export and --output json cannot be used together")
	}
	cfg, problems, err := loadVerifyConfig(cmd, f, &opts.ff)
	if err != nil {
		return err
	}
	vo, err := verifyRunOptions(cmd, f, cfg, opts.ff.adminKeyFile)
	if err != nil {
		return err
	}
	vo.Preflight = problems
	ctx := cmd.Context()
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	s, err := verify.MintSession(ctx, client, cfg, opts.user, vo)
	if err != nil {
		var me *verify.MintError
		if !errors.As(err, &me) {
			return err
		}
		if f.Output().IsJSON() {
			// One JSON document on stdout even when no token was minted:
			// the verdict and the checks that explain it.
			if jerr := cmdutil.PrintJSON(f.IOStreams.Out, tokenFailureJSON{User: me.User, OK: false, Verdict: me.Verdict, Checks: me.Checks}); jerr != nil {
				return jerr
			}
			return cmdutil.Silence(fmt.Errorf("no session token: %w", err))
		}
		return fmt.Errorf("no session token: %w", err)
	}

	out := f.IOStreams.Out
	switch {
	case opts.export:
		fmt.Fprintf(out, "export CLOUDSDK_AUTH_ACCESS_TOKEN=%s\n", fixhint.Quote(s.Token.AccessToken))
		fmt.Fprintf(out, "export CLOUDSDK_CORE_PROJECT=%s\n", fixhint.Quote(cfg.Project))
		fmt.Fprintf(out, "export FEDCTL_FEDERATED_PRINCIPAL=%s\n", fixhint.Quote(s.ServiceAccount))
		return nil
	case f.Output().IsJSON():
		return cmdutil.PrintJSON(out, tokenJSON{
			User: s.User, ServiceAccount: s.ServiceAccount, Via: s.Via, MintedBy: s.MintedBy,
			Expiry: s.Token.Expiry.UTC(), TTLSeconds: int64(time.Until(s.Token.Expiry).Seconds()),
			TokenPrefix: gcp.Mask(s.Token.AccessToken),
		})
	}
	fmt.Fprintf(out, "Session token for %s: %s via %s\n", s.User, s.ServiceAccount, s.Via)
	fmt.Fprintf(out, "  token:   %s (masked; --export to use it)\n", gcp.Mask(s.Token.AccessToken))
	fmt.Fprintf(out, "  expires: %s (in %d min)\n", s.Token.Expiry.UTC().Format(time.RFC3339), int(time.Until(s.Token.Expiry).Minutes()))
	return nil
}

// tokenFailureJSON is `token --output json` when no token could be minted.
type tokenFailureJSON struct {
	User    string         `json:"user"`
	OK      bool           `json:"ok"`
	Verdict string         `json:"verdict"`
	Checks  []verify.Check `json:"checks"`
}
