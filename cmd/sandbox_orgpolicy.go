package cmd

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/emulator"
)

// SandboxOrgPolicyOptions are the inputs of `fedctl sandbox org-policy set|clear|list`.
type SandboxOrgPolicyOptions struct {
	StatePath  string
	Constraint string
	Enforce    bool
	Allow      []string
	Deny       []string
	AllowAll   bool
	DenyAll    bool
	Clear      bool
}

func newSandboxOrgPolicyCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "org-policy <command>",
		Short: "Set the sandbox project's organization policies (for rehearsals)",
		Long: `The sandbox serves the Org Policy API v2 and enforces the constraints fedctl's
writes can run into: iam.disableServiceAccountKeyCreation (and its managed
twin), iam.allowedPolicyMemberDomains (allowed values are email domains in the
sandbox), iam.workloadIdentityPoolProviders (issuer URIs) and
iam.allowServiceAccountCredentialLifetimeExtension (service-account emails).
Set one to rehearse what a locked-down organization refuses.`,
		RunE: groupRunE,
	}
	cmd.AddCommand(newSandboxOrgPolicySetCmd(f), newSandboxOrgPolicyClearCmd(f), newSandboxOrgPolicyListCmd(f))
	return cmd
}

func newSandboxOrgPolicySetCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxOrgPolicyOptions{}
	cmd := &cobra.Command{
		Use:   "set CONSTRAINT",
		Short: "Set a constraint's policy on the sandbox project",
		Example: `  fedctl sandbox org-policy set iam.disableServiceAccountKeyCreation --enforce
  fedctl sandbox org-policy set iam.allowedPolicyMemberDomains --allow example.com
  fedctl sandbox org-policy set iam.workloadIdentityPoolProviders --allow https://token.actions.githubusercontent.com`,
		Args: cmdutil.ExactArgs(1, "set takes one argument: the constraint, e.g. iam.disableServiceAccountKeyCreation"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Constraint = args[0]
			return runSandboxOrgPolicy(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.StatePath, "state", "", "Sandbox state file (default: the --sandbox state file)")
	fl.BoolVar(&opts.Enforce, "enforce", false, "Enforce a boolean constraint")
	fl.StringArrayVar(&opts.Allow, "allow", nil, "An allowed value of a list constraint (repeatable)")
	fl.StringArrayVar(&opts.Deny, "deny", nil, "A denied value of a list constraint (repeatable)")
	fl.BoolVar(&opts.AllowAll, "allow-all", false, "Allow every value of a list constraint")
	fl.BoolVar(&opts.DenyAll, "deny-all", false, "Deny every value of a list constraint")
	return cmd
}

func newSandboxOrgPolicyClearCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxOrgPolicyOptions{Clear: true}
	cmd := &cobra.Command{
		Use:   "clear CONSTRAINT",
		Short: "Remove a constraint's policy from the sandbox project (back to the default)",
		Args:  cmdutil.ExactArgs(1, "clear takes one argument: the constraint"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Constraint = args[0]
			return runSandboxOrgPolicy(f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.StatePath, "state", "", "Sandbox state file (default: the --sandbox state file)")
	return cmd
}

func newSandboxOrgPolicyListCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &SandboxOrgPolicyOptions{}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the policies set on the sandbox project",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSandboxOrgPolicy(f, opts)
		},
	}
	cmd.Flags().StringVar(&opts.StatePath, "state", "", "Sandbox state file (default: the --sandbox state file)")
	return cmd
}

// sandboxConstraints are the constraints the sandbox enforces (SPEC §7.3);
// `set` takes only these, so a typo is not mistaken for a list constraint.
var sandboxConstraints = []string{
	emulator.ConstraintDisableKeyCreation, emulator.ConstraintManagedDisableKeyCreation,
	emulator.ConstraintAllowedPolicyMemberDomain, emulator.ConstraintWIFPoolProviders, emulator.ConstraintLifetimeExtension,
}

// orgPolicyRules turns the flags into rules; bad combinations are usage errors.
func orgPolicyRules(opts *SandboxOrgPolicyOptions) ([]emulator.OrgPolicyRule, error) {
	c := strings.TrimPrefix(opts.Constraint, "constraints/")
	boolean := c == emulator.ConstraintDisableKeyCreation || c == emulator.ConstraintManagedDisableKeyCreation
	if !slices.Contains(sandboxConstraints, c) {
		return nil, cmdutil.FlagErrorf("unknown constraint %s: the sandbox enforces %s", c, strings.Join(sandboxConstraints, ", "))
	}
	list := opts.AllowAll || opts.DenyAll || len(opts.Allow) > 0 || len(opts.Deny) > 0
	switch {
	case boolean && list:
		return nil, cmdutil.FlagErrorf("%s is a boolean constraint: use --enforce (or clear it)", c)
	case boolean:
		e := opts.Enforce
		return []emulator.OrgPolicyRule{{Enforce: &e}}, nil
	case opts.Enforce:
		return nil, cmdutil.FlagErrorf("%s is a list constraint: use --allow, --deny, --allow-all or --deny-all", c)
	case !list:
		return nil, cmdutil.FlagErrorf("say what %s allows: --allow VALUE, --deny VALUE, --allow-all or --deny-all", c)
	case opts.AllowAll && opts.DenyAll:
		return nil, cmdutil.FlagErrorf("--allow-all and --deny-all cannot be used together")
	}
	return []emulator.OrgPolicyRule{{AllowAll: opts.AllowAll, DenyAll: opts.DenyAll, AllowedValues: opts.Allow, DeniedValues: opts.Deny}}, nil
}

func runSandboxOrgPolicy(f *cmdutil.Factory, opts *SandboxOrgPolicyOptions) error {
	var rules []emulator.OrgPolicyRule
	if opts.Constraint != "" && !opts.Clear {
		var err error
		if rules, err = orgPolicyRules(opts); err != nil {
			return err
		}
	}
	project := emulator.DefaultSeed.ProjectID
	var set map[string][]emulator.OrgPolicyRule
	err := withSandboxState(f, opts.StatePath, func(srv *emulator.Server) error {
		return srv.WithState(func(st *emulator.State) error {
			if opts.Constraint != "" {
				if err := emulator.SetOrgPolicy(st, project, opts.Constraint, rules, time.Now()); err != nil {
					return err
				}
			}
			set = emulator.OrgPolicies(st, project)
			return nil
		})
	})
	if err != nil {
		return err
	}
	if f.Output().IsJSON() {
		out := map[string]any{"project": project, "policies": set}
		if set == nil {
			out["policies"] = map[string]any{}
		}
		return cmdutil.PrintJSON(f.IOStreams.Out, out)
	}
	w := f.IOStreams.Out
	switch {
	case opts.Constraint != "" && opts.Clear:
		fmt.Fprintf(w, "Cleared constraints/%s on %s: its default applies.\n", strings.TrimPrefix(opts.Constraint, "constraints/"), project)
	case opts.Constraint != "":
		fmt.Fprintf(w, "Set constraints/%s on %s.\n", strings.TrimPrefix(opts.Constraint, "constraints/"), project)
	default:
		if len(set) == 0 {
			fmt.Fprintf(w, "No organization policies set on %s: every constraint has its default.\n", project)
		}
		keys := make([]string, 0, len(set))
		for k := range set {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "constraints/%s: %s\n", k, describeRules(set[k]))
		}
	}
	return nil
}

func describeRules(rules []emulator.OrgPolicyRule) string {
	var parts []string
	for _, r := range rules {
		switch {
		case r.Enforce != nil:
			parts = append(parts, fmt.Sprintf("enforce=%t", *r.Enforce))
		case r.AllowAll:
			parts = append(parts, "allow all")
		case r.DenyAll:
			parts = append(parts, "deny all")
		}
		if len(r.AllowedValues) > 0 {
			parts = append(parts, "allow "+strings.Join(r.AllowedValues, ", "))
		}
		if len(r.DeniedValues) > 0 {
			parts = append(parts, "deny "+strings.Join(r.DeniedValues, ", "))
		}
	}
	return strings.Join(parts, "; ")
}
