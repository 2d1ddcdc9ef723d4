package verify

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// Keys on federated identities (SPEC §7.6): a user-managed key on an
// identity fedctl federates into — a per-user SA, the wif target — lets
// whoever holds it act as that identity with no federation in the way.

// CheckIdentityKeys is the project row for keys on the per-user SAs.
const CheckIdentityKeys = "identity_keys"

// fallbackKey is the warning's reason, as `fedctl keys` words it.
const fallbackKey = "a fallback key undoes the lifecycle"

func init() { titles[CheckIdentityKeys] = "keys on identities" }

// fixPruneKeys is the command that removes the keys of sas.
func fixPruneKeys(project string, sas []string) string {
	var b strings.Builder
	b.WriteString("fedctl keys prune --project " + project)
	for _, sa := range sas {
		b.WriteString(" --sa " + sa)
	}
	return b.String()
}

// identityKeys lists the user-managed keys of the users' SAs, beside the
// user runs.
type identityKeys struct {
	done chan struct{}
	sas  int
	keys map[string]int // SA email → user-managed keys
	err  error
}

func (r *runner) startIdentityKeys(ctx context.Context, users []string) *identityKeys {
	ik := &identityKeys{done: make(chan struct{}), keys: map[string]int{}}
	seen := map[string]bool{}
	var emails []string
	for _, u := range users {
		id, err := r.cfg.IdentityFor(u)
		if err != nil || seen[strings.ToLower(id.Email)] {
			continue
		}
		seen[strings.ToLower(id.Email)] = true
		emails = append(emails, id.Email)
	}
	ik.sas = len(emails)
	go func() {
		defer close(ik.done)
		var mu sync.Mutex
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(r.opts.Concurrency)
		for _, e := range emails {
			g.Go(func() error {
				ks, err := r.c.ListKeys(gctx, e, true)
				if gcp.IsNotFound(err) {
					return nil // the user rows say so
				}
				if err != nil {
					return err
				}
				n := 0
				for _, k := range ks {
					if k.KeyType == "USER_MANAGED" {
						n++
					}
				}
				if n > 0 {
					mu.Lock()
					ik.keys[e] = n
					mu.Unlock()
				}
				return nil
			})
		}
		ik.err = g.Wait()
	}()
	return ik
}

// check is the identity_keys row.
func (ik *identityKeys) check(project string) Check {
	<-ik.done
	c := Check{Scope: ScopeProject, Name: CheckIdentityKeys, Subject: project}
	switch {
	case ik.err != nil:
		c.Status, c.Seen = unreadable(ik.err, Skip), "cannot list keys: "+errText(ik.err)
	case len(ik.keys) == 0:
		c.Status, c.Seen = Pass, fmt.Sprintf("no user-managed keys on the %d identity SA(s)", ik.sas)
	default:
		sas := make([]string, 0, len(ik.keys))
		n := 0
		for sa, k := range ik.keys {
			sas = append(sas, sa)
			n += k
		}
		sort.Strings(sas)
		c.Status = Warn
		c.Seen = fmt.Sprintf("%d user-managed key(s) on %d identity SA(s) (%s): %s — whoever holds one acts as that user with no admin in the chain",
			n, len(sas), strings.Join(sas, ", "), fallbackKey)
		c.Fix = fixPruneKeys(project, sas)
	}
	return c
}

// targetKeysRow words the wif target's keys row: the target is a federated
// identity.
func targetKeysRow(project, sa string, keys int) (seen, fix string) {
	return fmt.Sprintf("%d user-managed key(s) on the federated target SA: %s — whoever holds one is %s with no provider, condition or pool in the way",
		keys, fallbackKey, sa), fixPruneKeys(project, []string{sa})
}

// CheckKeyPolicy shows the project's key-creation policy.
const CheckKeyPolicy = "key_creation_policy"

func init() { titles[CheckKeyPolicy] = "key creation policy" }

// keyPolicyCheck is the key_creation_policy row: the effective
// iam.disableServiceAccountKeyCreation. Not enforced is a warning in wif
// mode only: impersonation and oauth may still have a gcp_iam gateway that
// needs the admin's key.
func (r *runner) keyPolicyCheck() Check {
	f := r.facts
	c := Check{Scope: ScopeProject, Name: CheckKeyPolicy, Subject: gcp.ConstraintDisableKeyCreation}
	switch {
	case f.keyPolicyErr != nil:
		c.Status, c.Seen, c.Fix = Skip, "cannot read: "+errText(f.keyPolicyErr), fixForReadError(f.keyPolicyErr, r.project)
	case f.keyPolicy.Enforced():
		c.Status, c.Seen = Pass, "enforced: no new keys"
	case r.cfg.Mode == config.ModeWIF:
		c.Status, c.Seen = Warn, "not enforced: a fallback key for the target SA can be made"
		c.Fix = "fedctl keys enforce --project " + r.project
	default:
		c.Status, c.Seen = Pass, "not enforced: new keys can be made"
	}
	return c
}
