package cmd

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/internal/fixhint"
	"github.com/fedctl/fedctl/keys"
)

type keysListOptions struct {
	allSAs    bool
	federated bool
	since     string
	now       func() time.Time
}

func newKeysListCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &keysListOptions{now: time.Now}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List every user-managed key, with its last use",
		Long: `List every user-managed service-account key of the project: its service
account, key ID, creation, expiry, whether it is disabled, whether its
service account is fedctl's or federated (a workload identity target), and
when it was last used according to the audit log
(authenticationInfo.serviceAccountKeyName on Data Access and Admin Activity
entries). A key with no entry reads "no use seen since" the oldest entry
the log holds.

--federated lists only keys on federated or fedctl identities (the keys
that undo federation); --all-sas also lists the service accounts without
keys.`,
		Example: `  fedctl keys list
  fedctl keys list --federated --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.allSAs && opts.federated {
				return cmdutil.FlagErrorf("--all-sas and --federated cannot be used together")
			}
			return runKeysList(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().BoolVar(&opts.allSAs, "all-sas", false, "Also list the service accounts that have no user-managed key")
	cmd.Flags().BoolVar(&opts.federated, "federated", false, "Only keys on federated or fedctl-owned service accounts")
	cmd.Flags().StringVar(&opts.since, "since", "", "Read the audit log from this far back (30d, or an RFC 3339 time; default: all of it)")
	return cmd
}

// readInventory lists the project's keys with their last use.
func readInventory(ctx context.Context, f *cmdutil.Factory, since time.Time, allPolicies bool) (*keys.Inventory, error) {
	project, err := f.Project()
	if err != nil {
		return nil, err
	}
	client, err := f.GCP(ctx)
	if err != nil {
		return nil, err
	}
	f.Progressf("Reading the service accounts and keys of %s, and the audit log's key use…\n", project)
	l := &keys.Lister{Client: client, Reader: audit.NewReader(client), Since: since, AllPolicies: allPolicies}
	return l.List(ctx, project)
}

func runKeysList(ctx context.Context, f *cmdutil.Factory, opts *keysListOptions) error {
	now := opts.now()
	since, err := parseSince(opts.since, now)
	if err != nil {
		return err
	}
	if _, err := f.Project(); err != nil {
		return err
	}
	inv, err := readInventory(ctx, f, since, opts.allSAs)
	if err != nil {
		return err
	}
	if opts.federated {
		inv.Filter(func(k *keys.Key) bool { return k.Federated || k.FedctlOwned })
	}
	if !opts.allSAs {
		var withKeys []*keys.ServiceAccount
		for _, sa := range inv.ServiceAccounts {
			if sa.Keys > 0 && (!opts.federated || sa.Federated || sa.FedctlOwned) {
				withKeys = append(withKeys, sa)
			}
		}
		inv.ServiceAccounts = append([]*keys.ServiceAccount{}, withKeys...)
	}
	ios := f.IOStreams
	if f.Output().IsJSON() {
		return cmdutil.PrintJSON(ios.Out, inv)
	}
	return renderKeysTable(f, inv, opts.allSAs)
}

func renderKeysTable(f *cmdutil.Factory, inv *keys.Inventory, allSAs bool) error {
	ios := f.IOStreams
	cs := ios.ColorScheme()
	if len(inv.Keys) == 0 {
		fmt.Fprintf(ios.Out, "%s No user-managed keys in %s.\n", cs.SuccessIcon(), inv.Project)
	} else {
		tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE ACCOUNT\tKEY\tCREATED\tEXPIRES\tDISABLED\tIDENTITY\tLAST USED")
		for _, k := range inv.Keys {
			exp := "never"
			if k.Expires != nil {
				exp = k.Expires.UTC().Format(time.DateOnly)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ServiceAccount, k.ShortID(), k.Created.UTC().Format(time.DateOnly),
				exp, yesNo(k.Disabled), identityLabel(k.FedctlOwned, k.Federated, k.Gateway), lastUsedLabel(inv, k))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if allSAs {
		fmt.Fprintln(ios.Out)
		tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "SERVICE ACCOUNT\tUSER-MANAGED KEYS\tIDENTITY")
		for _, sa := range inv.ServiceAccounts {
			fmt.Fprintf(tw, "%s\t%d\t%s\n", sa.Email, sa.Keys, identityLabel(sa.FedctlOwned, sa.Federated, false))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	switch {
	case inv.AuditError != "":
		fmt.Fprintf(ios.ErrOut, "%s last use unknown: the audit log could not be read: %s\n", cs.WarningIcon(), inv.AuditError)
	case inv.LogSince.IsZero():
		fmt.Fprintf(ios.ErrOut, "%s last use unknown: the project's audit logs hold no entries\n", cs.WarningIcon())
	}
	var n int
	var sas, gateways []string
	for _, k := range inv.Keys {
		if k.Gateway {
			gateways = append(gateways, k.ShortID())
		}
		if k.Federated || k.FedctlOwned {
			n++
			if len(sas) == 0 || sas[len(sas)-1] != k.ServiceAccount {
				sas = append(sas, k.ServiceAccount)
			}
		}
	}
	if n > 0 {
		fmt.Fprintf(ios.Out, "\n%s %d key(s) on federated or fedctl identities: %s.\n  Remove them: %s\n",
			cs.WarningIcon(), n, keys.FederatedKeyWarning,
			fixhint.Invocation{Sandbox: f.Globals.Sandbox, Project: inv.Project}.Contextualize(keys.PruneCommand(inv.Project, sas), ""))
	}
	if len(gateways) > 0 {
		fmt.Fprintf(ios.Out, "  A gateway uses %s: keep it (--keep ID) until the gateway has keyless credentials.\n", strings.Join(gateways, ", "))
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func identityLabel(owned, federated, gateway bool) string {
	var l []string
	if owned {
		l = append(l, "fedctl")
	}
	if federated {
		l = append(l, "federated")
	}
	if gateway {
		l = append(l, "gateway")
	}
	if len(l) == 0 {
		return "-"
	}
	return strings.Join(l, ",")
}

func lastUsedLabel(inv *keys.Inventory, k *keys.Key) string {
	switch {
	case k.LastUsed != nil:
		return k.LastUsed.UTC().Format(time.RFC3339) + " (" + k.LastUseMethod + ")"
	case inv.AuditError != "" || inv.LogSince.IsZero():
		return "unknown"
	}
	return "no use seen since " + inv.LogSince.UTC().Format(time.RFC3339)
}
