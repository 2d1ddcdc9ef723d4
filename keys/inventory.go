package keys

import (
	"context"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/gcp"
)

// Key is one user-managed key of the inventory (metadata only).
type Key struct {
	ServiceAccount string    `json:"service_account"`
	KeyID          string    `json:"key_id"`
	Name           string    `json:"name"`
	Created        time.Time `json:"created"`
	// Expires is nil for a key that never expires (Google's 9999-12-31).
	Expires  *time.Time `json:"expires"`
	Disabled bool       `json:"disabled"`
	// FedctlOwned: the SA was made by fedctl; Federated: federated
	// workloads may act as the SA (a wif target).
	FedctlOwned bool `json:"fedctl_owned"`
	Federated   bool `json:"federated"`
	// Gateway: the key is a gateway's — it is on fedctl's admin SA, or the
	// audit log shows tokens minted with it.
	Gateway bool `json:"gateway"`
	// Minted: the audit log shows tokens minted with the key
	// (GenerateAccessToken by its SA), as a gcp_iam gateway does.
	Minted bool `json:"minted_tokens"`
	// LastUsed is the newest audit entry made with the key (nil: none seen
	// since Inventory.LogSince); LastUseMethod its methodName.
	LastUsed      *time.Time `json:"last_used"`
	LastUseMethod string     `json:"last_use_method,omitempty"`
	// Uses counts the audit entries made with the key.
	Uses int `json:"uses"`
}

// ShortID is the key ID as tables show it (the first 12 hex digits, as
// unique in practice as the 40).
func (k *Key) ShortID() string {
	if len(k.KeyID) > 12 {
		return k.KeyID[:12]
	}
	return k.KeyID
}

// UnusedSince is when the key was last used, or, with no use seen, the
// later of its creation and the start of the log read: the key is known
// unused from then on.
func (k *Key) UnusedSince(logSince time.Time) time.Time {
	if k.LastUsed != nil {
		return *k.LastUsed
	}
	if logSince.After(k.Created) {
		return logSince
	}
	return k.Created
}

// ServiceAccount is one SA of the inventory.
type ServiceAccount struct {
	Email       string `json:"email"`
	FedctlOwned bool   `json:"fedctl_owned"`
	Federated   bool   `json:"federated"`
	Disabled    bool   `json:"disabled"`
	Keys        int    `json:"user_managed_keys"`
	// PolicyError says why federation could not be told (its policy
	// unreadable).
	PolicyError string `json:"policy_error,omitempty"`
}

// Inventory is every user-managed key of a project.
type Inventory struct {
	Project string `json:"project"`
	// LogSince is how far back the audit log was read: the oldest Data
	// Access or Admin Activity entry at or after the window start. A key
	// with no use seen was not used since then. Zero: the log holds no
	// entry (no use can be told).
	LogSince time.Time `json:"log_since"`
	// LogEntries counts the key-use entries read.
	LogEntries int `json:"log_entries"`
	// AuditError says why the last use is unknown (the log unreadable).
	AuditError      string            `json:"audit_error,omitempty"`
	Keys            []*Key            `json:"keys"`
	ServiceAccounts []*ServiceAccount `json:"service_accounts"`
}

// Lister reads an inventory.
type Lister struct {
	Client *gcp.Client
	// Reader reads the audit log; nil: no last use.
	Reader *audit.Reader
	// Concurrency bounds the parallel key and policy reads (default 16).
	Concurrency int
	// Since starts the audit window (zero: the whole log).
	Since time.Time
	// AllPolicies reads the IAM policy of every SA, not only of those with
	// keys (to tell federated SAs without keys apart).
	AllPolicies bool
}

// List reads every SA of project (pages streamed), their user-managed keys
// and, for SAs with keys, their IAM policy (federated or not) — bounded in
// parallel — while the audit log's key-use entries stream beside.
func (l *Lister) List(ctx context.Context, project string) (*Inventory, error) {
	inv := &Inventory{Project: project, Keys: []*Key{}, ServiceAccounts: []*ServiceAccount{}}
	n := l.Concurrency
	if n <= 0 {
		n = 16
	}

	type use struct {
		last   time.Time
		method string
		n      int
		minted bool
	}
	uses := map[string]*use{} // by key ID
	var logErr error
	var auditDone sync.WaitGroup
	actx, cancelAudit := context.WithCancel(ctx)
	defer cancelAudit()
	if l.Reader != nil {
		auditDone.Add(1)
		go func() {
			defer auditDone.Done()
			oldest, err := l.Reader.OldestAuditEntry(actx, project, l.Since)
			if err != nil {
				logErr = err
				return
			}
			inv.LogSince = oldest
			logErr = l.Reader.ReadKeyUse(actx, project, l.Since, func(e *audit.Event) error {
				inv.LogEntries++
				id := gcp.KeyID(e.KeyName)
				u := uses[id]
				if u == nil {
					u = &use{}
					uses[id] = u
				}
				u.n++
				if !e.Time.Before(u.last) {
					u.last, u.method = e.Time, e.Method
				}
				if e.Kind == audit.KindMint && !e.Failed() {
					u.minted = true
				}
				return nil
			})
		}()
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(n)
	err := l.Client.ListServiceAccounts(gctx, project, func(sa *gcp.ServiceAccount) error {
		g.Go(func() error {
			ks, err := l.Client.ListKeys(gctx, sa.Email, true)
			if err != nil {
				if gcp.IsNotFound(err) {
					return nil // deleted since it was listed
				}
				return err
			}
			row := &ServiceAccount{Email: sa.Email, FedctlOwned: FedctlOwned(sa), Disabled: sa.Disabled}
			var userKeys []*gcp.Key
			for _, k := range ks {
				if k.KeyType == "USER_MANAGED" {
					userKeys = append(userKeys, k)
				}
			}
			row.Keys = len(userKeys)
			if len(userKeys) > 0 || l.AllPolicies {
				p, err := l.Client.ServiceAccountPolicy(sa.Email).Get(gctx)
				switch {
				case err == nil:
					row.Federated = Federated(p)
				case gcp.IsNotFound(err):
					return nil
				default:
					row.PolicyError = err.Error()
				}
			}
			gateway := isAdminSA(sa)
			mu.Lock()
			defer mu.Unlock()
			inv.ServiceAccounts = append(inv.ServiceAccounts, row)
			for _, k := range userKeys {
				key := &Key{ServiceAccount: sa.Email, KeyID: gcp.KeyID(k.Name), Name: k.Name, Created: k.ValidAfter,
					Disabled: k.Disabled, FedctlOwned: row.FedctlOwned, Federated: row.Federated, Gateway: gateway}
				if !k.ValidBefore.IsZero() && k.ValidBefore.Year() < 9999 {
					t := k.ValidBefore
					key.Expires = &t
				}
				inv.Keys = append(inv.Keys, key)
			}
			return nil
		})
		return nil
	})
	if gerr := g.Wait(); err == nil {
		err = gerr
	}
	if err != nil {
		cancelAudit()
		auditDone.Wait()
		return nil, err
	}
	auditDone.Wait()
	if logErr != nil {
		inv.AuditError = logErr.Error()
	} else {
		for _, k := range inv.Keys {
			if u := uses[k.KeyID]; u != nil {
				t := u.last
				k.LastUsed, k.LastUseMethod, k.Uses = &t, u.method, u.n
				k.Minted = u.minted
				k.Gateway = k.Gateway || u.minted
			}
		}
	}
	sort.Slice(inv.Keys, func(i, j int) bool {
		a, b := inv.Keys[i], inv.Keys[j]
		if a.ServiceAccount != b.ServiceAccount {
			return a.ServiceAccount < b.ServiceAccount
		}
		if !a.Created.Equal(b.Created) {
			return a.Created.Before(b.Created)
		}
		return a.KeyID < b.KeyID
	})
	sort.Slice(inv.ServiceAccounts, func(i, j int) bool { return inv.ServiceAccounts[i].Email < inv.ServiceAccounts[j].Email })
	return inv, nil
}

// Filter keeps the keys keep accepts.
func (inv *Inventory) Filter(keep func(*Key) bool) {
	out := inv.Keys[:0]
	for _, k := range inv.Keys {
		if keep(k) {
			out = append(out, k)
		}
	}
	inv.Keys = out
}
