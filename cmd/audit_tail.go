package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

type auditTailOptions struct {
	af        auditFedFlags
	since     string
	users     []string
	events    []string
	adminOnly bool
	limit     int
	follow    bool
	interval  time.Duration
	lifetime  time.Duration
}

func newAuditTailCmd(f *cmdutil.Factory) *cobra.Command {
	opts := &auditTailOptions{}
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Show token mints and BigQuery jobs from the audit log",
		Long: `Read GenerateAccessToken and BigQuery job entries from the Data Access audit
log, oldest first, one line each: time, event (mint or query), principal,
via (the delegation chain, first caller first), the target SA or the query
text, and the status. A query is paired with the mint that produced its
token where the log allows ([token HH:MM:SS]).

--user EMAIL selects a user's events: in impersonation mode their service
account (from the identity template) and the account itself. --admin-sa ID
(or --admin-only, with the configured admin) keeps the events that went
through the admin SA: its mints and the queries delegated through it. Entries are read page by
page; --follow keeps polling for new ones.

On a terminal the query text is shortened to fit; --output json prints it
whole (a JSON array, or JSON lines with --follow).`,
		Example: `  fedctl audit tail --since 1h
  fedctl audit tail --user alice@acme.com --event query --limit 20
  fedctl audit tail --follow --output json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runAuditTail(cmd, f, opts) },
	}
	addAuditFedFlags(cmd, &opts.af)
	fl := cmd.Flags()
	fl.StringVar(&opts.since, "since", "1h", "Start of the window: a duration back from now (30m, 24h, 7d) or an RFC 3339 time")
	fl.StringArrayVar(&opts.users, "user", nil, "Only this user's events (`EMAIL`; repeatable)")
	fl.StringArrayVar(&opts.events, "event", nil, "Only these events: mint, query (repeatable)")
	fl.BoolVar(&opts.adminOnly, "admin-only", false, "Only events that went through the admin SA (see --admin-sa)")
	fl.IntVar(&opts.limit, "limit", 0, "Show only the newest `N` events, as gcloud logging read --limit (with --follow: stop after N; 0: no limit)")
	fl.BoolVarP(&opts.follow, "follow", "f", false, "Keep polling for new events")
	fl.DurationVar(&opts.interval, "interval", 5*time.Second, "How often --follow polls")
	fl.DurationVar(&opts.lifetime, "token-lifetime", audit.DefaultTokenLifetime, "Token lifetime, for pairing queries with mints")
	_ = cmd.RegisterFlagCompletionFunc("event", cobra.FixedCompletions([]string{"mint", "query"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runAuditTail(cmd *cobra.Command, f *cmdutil.Factory, opts *auditTailOptions) error {
	if opts.limit < 0 {
		return cmdutil.FlagErrorf("--limit must not be negative")
	}
	if opts.interval <= 0 {
		return cmdutil.FlagErrorf("--interval must be positive")
	}
	since, err := parseSince(opts.since, time.Now())
	if err != nil {
		return err
	}
	cfg, err := auditConfig(cmd, f, &opts.af)
	if err != nil {
		return err
	}
	sel := audit.Selection{Project: cfg.Project, Since: since}
	for _, e := range opts.events {
		switch audit.Kind(e) {
		case audit.KindMint, audit.KindQuery:
			sel.Kinds = append(sel.Kinds, audit.Kind(e))
		default:
			return cmdutil.FlagErrorf("--event %q: want mint or query", e)
		}
	}
	for _, u := range opts.users {
		ps, err := userPrincipals(cfg, u)
		if err != nil {
			return err
		}
		sel.Principals = append(sel.Principals, ps...)
	}
	if opts.adminOnly || cmd.Flags().Changed("admin-sa") {
		sel.AdminSA = cfg.AdminEmail()
	}

	ctx := cmd.Context()
	client, err := f.GCP(ctx)
	if err != nil {
		return err
	}
	ios := f.IOStreams
	jsonOut := f.Output().IsJSON()
	lw := &audit.LineWriter{W: ios.Out, JSON: jsonOut}
	if ios.IsStdoutTTY() && !jsonOut {
		lw.Width = ios.TerminalWidth()
		cs := ios.ColorScheme()
		lw.Status = func(e *audit.Event, s string) string {
			if e.Failed() {
				return cs.Red(s)
			}
			return cs.Green(s)
		}
	}
	write := lw.Write
	var arr *jsonArray
	if jsonOut && !opts.follow {
		// One JSON document, streamed: an array written element by element.
		arr = &jsonArray{w: ios.Out}
		write = arr.add
	}
	reader := audit.NewReader(client)
	var follower *audit.Follower
	if opts.follow {
		follower = &audit.Follower{Reader: reader, Interval: opts.interval}
	}
	n := 0
	err = audit.Tail(ctx, reader, follower, audit.TailOptions{Selection: sel, Limit: opts.limit, Follow: opts.follow,
		TokenLifetime: opts.lifetime}, func(e *audit.Event) error { n++; return write(e) })
	if arr != nil {
		if cerr := arr.close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return err
	}
	if reader.Skipped > 0 {
		f.Progressf("%d entries could not be parsed and were skipped", reader.Skipped)
	}
	if n == 0 && !jsonOut && !opts.follow {
		f.Progressf("No token mints or BigQuery jobs since %s. (GenerateAccessToken entries need `%s`.)", sinceLabel(since), fedctlCommand(f, "audit enable"))
	}
	return nil
}

// userPrincipals are the identities a user's events carry: their SA in
// impersonation mode (and the account itself, which appears as the first
// caller of keyless chains), the account alone otherwise.
func userPrincipals(cfg *config.Config, user string) ([]string, error) {
	if !config.ValidEmail(user) {
		return nil, cmdutil.FlagErrorf("--user %q: want an email address", user)
	}
	out := []string{user}
	if cfg.Mode == config.ModeImpersonation {
		id, err := cfg.IdentityFor(user)
		if err != nil {
			return nil, cmdutil.FlagErrorWrap(err)
		}
		out = append(out, id.Email)
	}
	return out, nil
}

// jsonArray streams a JSON array.
type jsonArray struct {
	w io.Writer
	n int
}

func (a *jsonArray) add(e *audit.Event) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	sep := ",\n  "
	if a.n == 0 {
		sep = "[\n  "
	}
	a.n++
	_, err = fmt.Fprintf(a.w, "%s%s", sep, b)
	return err
}

func (a *jsonArray) close() error {
	if a.n == 0 {
		_, err := io.WriteString(a.w, "[]\n")
		return err
	}
	_, err := io.WriteString(a.w, "\n]\n")
	return err
}
