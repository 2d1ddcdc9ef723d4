package cmd

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/engine"
)

// preflightFlags are the flags of the SPEC §7.3 checks (docs/preflight.md):
// per-invocation, never configuration keys.
type preflightFlags struct {
	saQuota              int
	allowPrivilegedRoles bool
	dataRoleBundle       string
}

// addPreflightFlags registers them for setup and plan (all three), and
// --data-role-bundle alone for teardown (a resource to remove) and verify
// (the role the identities hold).
func addPreflightFlags(fl *pflag.FlagSet, pf *preflightFlags, scope fedScope) {
	fl.StringVar(&pf.dataRoleBundle, "data-role-bundle", "", "Bind one custom role `ID` holding the data roles' permissions instead of each role (default ID "+engine.DefaultDataRoleBundle+")")
	fl.Lookup("data-role-bundle").NoOptDefVal = engine.DefaultDataRoleBundle
	if scope&fedOutputs == 0 {
		return
	}
	fl.IntVar(&pf.saQuota, "sa-quota", 0, "The project's service-account quota, when raised above Google's default of 100")
	fl.BoolVar(&pf.allowPrivilegedRoles, "allow-privileged-roles", false, "Accept data roles that grant more than data access (owner, editor, *.admin, Token Creator, roles/iam.*)")
}

// apply copies the flags into the configuration; a bad value is a usage error.
func (pf *preflightFlags) apply(cfg *config.Config) error {
	if pf.saQuota < 0 {
		return cmdutil.FlagErrorf("--sa-quota must be a positive number (the quota Google granted the project)")
	}
	if pf.dataRoleBundle != "" && !engine.ValidCustomRoleID(pf.dataRoleBundle) {
		return cmdutil.FlagErrorf("invalid --data-role-bundle %q: a custom role ID is 3 to 64 letters, digits, underscores or periods", pf.dataRoleBundle)
	}
	cfg.Preflight = config.Preflight{SAQuota: pf.saQuota, AllowPrivilegedRoles: pf.allowPrivilegedRoles, DataRoleBundle: pf.dataRoleBundle}
	return nil
}

// preflightErr is the plan's preflight refusal, typed for the exit code:
// a usage error (2) when it is about the input, else a plain error (1).
func preflightErr(p *engine.Plan) error {
	err := p.PreflightErr()
	var pe *engine.PreflightError
	if errors.As(err, &pe) && pe.BadInput() {
		return cmdutil.FlagErrorWrap(err)
	}
	return err
}
