package cmd

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

// flagConflicts are the federation flags that contradict each other: given
// together, one of them would be silently ignored, so it is a usage error
// (exit 2) naming both, before anything is read or called.
var flagConflicts = []struct{ a, b, why string }{
	{"principal", "principal-set", "who may impersonate is one subject (--principal) or a set (--principal-set), not both"},
	{"direct", "target-sa", "--direct grants the data roles to the principals themselves, with no target service account"},
}

// checkFlagConflicts rejects contradictory or empty federation flags.
func checkFlagConflicts(fl *pflag.FlagSet) error {
	changed := func(name string) bool { return fl.Lookup(name) != nil && fl.Changed(name) }
	for _, c := range flagConflicts {
		if changed(c.a) && changed(c.b) {
			return cmdutil.FlagErrorf("--%s and --%s cannot be used together: %s", c.a, c.b, c.why)
		}
	}
	if changed("roles") && len(config.SplitList(fl.Lookup("roles").Value.String())) == 0 {
		return cmdutil.FlagErrorf("--roles is empty: name at least one role (e.g. --roles roles/bigquery.user), or leave --roles out for the defaults")
	}
	if changed("users") && len(config.SplitList(fl.Lookup("users").Value.String())) == 0 {
		return cmdutil.FlagErrorf("--users is empty: name at least one email (e.g. --users alice@acme.com)")
	}
	if changed("concurrency") {
		if n, _ := fl.GetInt("concurrency"); n < 1 {
			return cmdutil.FlagErrorf("--concurrency %d: must be at least 1 (the number of API calls in flight; default 16)", n)
		}
	}
	return nil
}

// checkModeConflicts rejects flags that do not apply to the configuration's
// mode (known only after --config and --mode are read).
func checkModeConflicts(fl *pflag.FlagSet, cfg *config.Config) error {
	if fl.Lookup("grant") != nil && fl.Changed("grant") && cfg.Mode == config.ModeWIF {
		return cmdutil.FlagErrorf("--grant %s cannot be used with --mode wif: --grant says where the admin service account gets Token Creator in impersonation mode; wif has no admin service account",
			strings.TrimSpace(fl.Lookup("grant").Value.String()))
	}
	return nil
}

// checkGlobalConflicts rejects contradictory global flags.
func checkGlobalConflicts(g *cmdutil.GlobalOptions) error {
	if g.Quiet && g.Verbose {
		return cmdutil.FlagErrorf("--quiet and --verbose cannot be used together: --quiet prints only results and errors, --verbose traces every request")
	}
	return nil
}
