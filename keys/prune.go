package keys

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// PruneOptions select the keys `keys prune` removes. Criteria combine:
// a key is pruned when it meets every one given.
type PruneOptions struct {
	Now time.Time
	// OlderThan: created before Now-OlderThan (0: any age).
	OlderThan time.Duration
	// UnusedFor: no use seen in the audit log since Now-UnusedFor, and the
	// log reaches back that far (0: used or not).
	UnusedFor time.Duration
	// ServiceAccounts limits pruning to these SAs (emails; empty: all).
	ServiceAccounts []string
	// DisableOnly disables the keys instead of deleting them.
	DisableOnly bool
	// Keep are key IDs (or unique prefixes of them) never touched.
	Keep []string
	// AdminKeyID is the key --admin-key-file holds: never touched.
	AdminKeyID, AdminKeyFile string
}

// FederatedKeyWarning is the reason a key on a federated identity goes.
const FederatedKeyWarning = "a fallback key undoes the lifecycle: whoever holds it acts as the federated identity with no federation, condition or revocation in the way"

// KeyAddress is a key's plan address.
func KeyAddress(k *Key) string {
	return fmt.Sprintf("service_account_key[%q]", k.ServiceAccount+"/"+k.ShortID())
}

// PlanPrune is the plan of `keys prune` over inv: `-` per key deleted (or
// `~` per key disabled), the kept keys as no-ops with the reason they stay.
func PlanPrune(inv *Inventory, o PruneOptions) *engine.Plan {
	p := engine.NewPlan(engine.OpKeysPrune, inv.Project)
	if inv.AuditError != "" && o.UnusedFor > 0 {
		p.Warnings = append(p.Warnings, "the audit log could not be read ("+inv.AuditError+"): no key is known unused, so --unused-for prunes none")
	}
	keepHit := map[string]bool{}
	var shortLog int
	for _, k := range inv.Keys {
		if !saSelected(k.ServiceAccount, o.ServiceAccounts) {
			continue
		}
		st := keyState(k)
		c := &engine.Change{Address: KeyAddress(k), Kind: engine.KindKey, Action: engine.ActionNoop, Before: st, After: st}
		p.Changes = append(p.Changes, c)
		if id := keptBy(k, o.Keep); id != "" {
			keepHit[id] = true
			c.Reason = "kept: --keep " + id
			continue
		}
		if o.AdminKeyID != "" && k.KeyID == o.AdminKeyID {
			c.Reason = "kept: the key of --admin-key-file " + o.AdminKeyFile
			continue
		}
		if o.OlderThan > 0 && k.Created.After(o.Now.Add(-o.OlderThan)) {
			c.Reason = "kept: created " + ago(o.Now, k.Created) + ", within --older-than " + days(o.OlderThan)
			continue
		}
		if o.UnusedFor > 0 {
			cut := o.Now.Add(-o.UnusedFor)
			switch {
			case inv.AuditError != "":
				c.Reason = "kept: last use unknown (audit log unreadable)"
				continue
			case k.LastUsed != nil && !k.LastUsed.Before(cut):
				c.Reason = "kept: last used " + ago(o.Now, *k.LastUsed) + ", within --unused-for " + days(o.UnusedFor)
				continue
			case k.LastUsed == nil && (inv.LogSince.IsZero() || inv.LogSince.After(cut)) && k.Created.Before(cut):
				// No use seen, but the log does not reach back far enough
				// to say the key was unused all that time.
				shortLog++
				c.Reason = "kept: no use seen, but the audit log reaches back only " + logReach(o.Now, inv.LogSince)
				continue
			case k.LastUsed == nil && k.Created.After(cut):
				c.Reason = "kept: created " + ago(o.Now, k.Created) + ", within --unused-for " + days(o.UnusedFor)
				continue
			}
		}
		if o.DisableOnly && k.Disabled {
			c.Reason = "already disabled"
			continue
		}
		why := []string{usage(o.Now, k, inv.LogSince)}
		if k.Federated {
			why = append(why, "on a federated identity: "+FederatedKeyWarning)
		}
		if o.DisableOnly {
			after := *st
			after.Disabled = true
			c.Action, c.After = engine.ActionUpdate, &after
		} else {
			c.Action, c.After = engine.ActionDelete, nil
		}
		if k.Gateway {
			why = append(why, "A GATEWAY USES THIS KEY")
			p.Warnings = append(p.Warnings, gatewayWarning(k, o.DisableOnly))
		}
		c.Reason = strings.Join(why, "; ")
	}
	if shortLog > 0 {
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d key(s) kept: no use seen, but the audit log reaches back only %s, less than --unused-for %s (Data Access logs are kept 30 days by default).",
			shortLog, logReach(o.Now, inv.LogSince), days(o.UnusedFor)))
	}
	for _, id := range o.Keep {
		if !keepHit[id] {
			p.Warnings = append(p.Warnings, "--keep "+id+" matches no user-managed key of the selected service accounts")
		}
	}
	return p
}

func keyState(k *Key) *engine.KeyState {
	return &engine.KeyState{Name: k.Name, ServiceAccount: k.ServiceAccount, KeyID: k.KeyID, Created: k.Created,
		Disabled: k.Disabled, LastUsed: k.LastUsed}
}

func gatewayWarning(k *Key, disable bool) string {
	verb := "Deleting"
	if disable {
		verb = "Disabling"
	}
	evidence := "it is the key of fedctl's admin service account, which a Hoop gcp_iam gateway holds"
	if k.Minted {
		evidence = "the audit log shows tokens minted with it"
		if k.LastUsed != nil {
			evidence += ", last use " + k.LastUsed.UTC().Format(time.RFC3339)
		}
	}
	return fmt.Sprintf("key %s of %s is a gateway's: %s. %s it stops that gateway until it is given another credential; keep it with --keep %s.",
		k.ShortID(), k.ServiceAccount, evidence, verb, k.ShortID())
}

func saSelected(email string, sas []string) bool {
	if len(sas) == 0 {
		return true
	}
	for _, s := range sas {
		if strings.EqualFold(s, email) {
			return true
		}
	}
	return false
}

// keptBy is the --keep value that names k ("" for none).
func keptBy(k *Key, keep []string) string {
	for _, id := range keep {
		if id != "" && strings.HasPrefix(k.KeyID, strings.ToLower(id)) {
			return id
		}
	}
	return ""
}

func usage(now time.Time, k *Key, logSince time.Time) string {
	if k.LastUsed != nil {
		return "last used " + ago(now, *k.LastUsed)
	}
	if logSince.IsZero() {
		return "no use seen (the audit log holds no entries)"
	}
	return "no use seen since " + logSince.UTC().Format(time.RFC3339)
}

func logReach(now, since time.Time) string {
	if since.IsZero() {
		return "nowhere (it holds no entries)"
	}
	return "to " + since.UTC().Format(time.RFC3339) + " (" + ago(now, since) + ")"
}

// ago is a coarse "3d ago" / "5h ago" / "just now".
func ago(now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d/time.Hour))
	}
	return fmt.Sprintf("%dd ago", int(d/(24*time.Hour)))
}

// days writes a duration the way the flags take it ("30d", "12h").
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	return d.String()
}

// Apply carries out a keys plan: keys deleted or disabled in parallel
// (bounded), each reported to progress as it ends. A key already gone
// counts as deleted.
func Apply(ctx context.Context, c *gcp.Client, p *engine.Plan, concurrency int, progress func(engine.Outcome)) []engine.Outcome {
	if concurrency <= 0 {
		concurrency = 8
	}
	out := make([]engine.Outcome, len(p.Changes))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	g.SetLimit(concurrency)
	for i, ch := range p.Changes {
		o := engine.Outcome{Address: ch.Address, Action: ch.Action, Status: engine.OutcomeUnchanged}
		if ch.Action == engine.ActionNoop {
			out[i] = o
			continue
		}
		if ctx.Err() != nil {
			o.Status = engine.OutcomeSkipped
			out[i] = o
			continue
		}
		g.Go(func() error {
			if ctx.Err() != nil {
				// Ctrl-C while this one waited for a slot: it does not start.
				o.Status = engine.OutcomeSkipped
				mu.Lock()
				out[i] = o
				mu.Unlock()
				return nil
			}
			start := time.Now()
			err := applyChange(gctx, c, p.Project, ch)
			o.Elapsed = time.Since(start)
			o.Status = engine.OutcomeApplied
			if err != nil {
				o.Status, o.Error = engine.OutcomeFailed, err.Error()
			}
			mu.Lock()
			out[i] = o
			if progress != nil {
				progress(o)
			}
			mu.Unlock()
			return nil
		})
	}
	_ = g.Wait()
	return out
}

func applyChange(ctx context.Context, c *gcp.Client, project string, ch *engine.Change) error {
	switch ch.Kind {
	case engine.KindKey:
		st, _ := ch.Before.(*engine.KeyState)
		if st == nil {
			return fmt.Errorf("%s: no key", ch.Address)
		}
		if ch.Action == engine.ActionDelete {
			if err := c.DeleteKey(ctx, st.Name); err != nil && !gcp.IsNotFound(err) {
				return err
			}
			return nil
		}
		return c.DisableKey(ctx, st.Name)
	case engine.KindOrgPolicy:
		return applyOrgPolicy(ctx, c, project, ch)
	}
	return fmt.Errorf("%s: cannot apply a %s change", ch.Address, ch.Kind)
}

// PruneCommand is the command that removes the keys of sas (emails).
func PruneCommand(project string, sas []string) string {
	var b strings.Builder
	b.WriteString("fedctl keys prune --project " + project)
	for _, sa := range sas {
		b.WriteString(" --sa " + sa)
	}
	return b.String()
}
