package cmd

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

// auditFedFlags are the federation flags the audit commands read: enough
// to know the admin SA, the identity template and the users (to resolve
// --user and to tell federated principals from others). The full setup
// flag set is not needed, and the configuration is not validated as a
// whole: auditing a half-configured federation must still work.
type auditFedFlags struct {
	configFile, mode, adminSA, template, users, targetSA string
}

func addAuditFedFlags(cmd *cobra.Command, af *auditFedFlags) {
	fl := cmd.Flags()
	fl.StringVar(&af.configFile, "config", "", "Federation configuration `FILE` (YAML, SPEC §2); flags override it")
	fl.StringVar(&af.mode, "mode", "", "Federation mode: impersonation, wif or oauth (default impersonation)")
	fl.StringVar(&af.adminSA, "admin-sa", "", "Admin service account `ID` or email (default fedctl-admin)")
	fl.StringVar(&af.template, "template", "", "Identity template (default fedctl-{user.email}@{project}.iam.gserviceaccount.com)")
	fl.StringVar(&af.users, "users", "", "Federated identities, comma-separated (`a@x.com,b@x.com`)")
	fl.StringVar(&af.targetSA, "target-sa", "", "wif: target service account `ID`")
	_ = cmd.RegisterFlagCompletionFunc("mode", cobra.FixedCompletions([]string{"impersonation", "wif", "oauth"}, cobra.ShellCompDirectiveNoFileComp))
}

// auditConfig loads --config and overlays the flags given; the project
// comes from --project / the environment when neither names one.
func auditConfig(cmd *cobra.Command, f *cmdutil.Factory, af *auditFedFlags) (*config.Config, error) {
	cfg := &config.Config{}
	if af.configFile != "" {
		var err error
		if cfg, err = config.Load(af.configFile); err != nil {
			return nil, cmdutil.FlagErrorWrap(err)
		}
	}
	fl := cmd.Flags()
	var ov config.Flags
	str := func(name string, v *string) *string {
		if fl.Changed(name) {
			return v
		}
		return nil
	}
	if f.Globals.Project != "" {
		ov.Project = &f.Globals.Project
	}
	ov.Mode = str("mode", &af.mode)
	adminID := af.adminSA
	if i := strings.IndexByte(af.adminSA, '@'); i >= 0 {
		adminID = af.adminSA[:i] // an email: its account ID
	}
	ov.AdminSA = str("admin-sa", &adminID)
	ov.Template = str("template", &af.template)
	ov.TargetSA = str("target-sa", &af.targetSA)
	if fl.Changed("users") {
		l := config.SplitList(af.users)
		ov.Users = &l
	}
	if err := cfg.Apply(ov); err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	if err := sandboxProject(f, cfg); err != nil {
		return nil, err
	}
	if cfg.Project == "" {
		p, err := f.Project()
		if err != nil {
			return nil, err
		}
		cfg.Project = p
	}
	cfg.ApplyDefaults()
	return cfg, nil
}

func auditFederation(cfg *config.Config) (*audit.Federation, error) {
	fed, err := audit.FederationFromConfig(cfg)
	if err != nil {
		return nil, cmdutil.FlagErrorWrap(err)
	}
	return fed, nil
}

// parseSince reads --since: a duration back from now ("90m", "24h", "7d")
// or an RFC 3339 timestamp.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.Add(-time.Duration(n) * 24 * time.Hour), nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return time.Time{}, cmdutil.FlagErrorf("--since %q: want a duration (30m, 24h, 7d) or an RFC 3339 time (2024-05-01T00:00:00Z)", s)
	}
	return now.Add(-d), nil
}

// confirmWrite applies SPEC §2's rule for commands that write: --yes goes
// ahead; otherwise ask on a terminal, and fail naming --yes without one.
func confirmWrite(ctx context.Context, f *cmdutil.Factory, yes bool, question string) error {
	if yes {
		return nil
	}
	if !f.IOStreams.CanPrompt() {
		return cmdutil.NoTTYError("--yes")
	}
	ok, err := cmdutil.Confirm(ctx, f.IOStreams, question)
	if err != nil {
		return err
	}
	if !ok {
		return cmdutil.ErrCancel
	}
	return nil
}

// sinceLabel describes a --since window for messages.
func sinceLabel(t time.Time) string {
	if t.IsZero() {
		return "the start of the log"
	}
	return t.UTC().Format(time.RFC3339)
}
