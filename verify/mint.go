package verify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/fedctl/fedctl/gcp"
)

// How verify mints as the admin (Report.MintedBy).
const (
	MintedByKeyFile    = "admin-key-file"
	MintedByDelegation = "delegation"
)

const permGetAccessToken = "iam.serviceAccounts.getAccessToken"

// minter mints session tokens AS THE ADMIN, as a gateway would: with the
// admin's key (--admin-key-file), or keylessly through a delegation chain
// from the operator (generateAccessToken on the user SA with delegates =
// [admin SA]), which needs the operator to hold Token Creator on the admin
// SA (setup --verifier).
type minter struct {
	c   *gcp.Client
	how string // MintedByKeyFile | MintedByDelegation
	via string // the admin SA: the identity that mints
	ts  oauth2.TokenSource
	// err: the key file cannot be used; every mint row says why.
	err *adminKeyError

	opOnce sync.Once
	opHas  bool // the operator may delegate through the admin SA
	opErr  error

	verOnce   sync.Once
	verifiers []string // who holds Token Creator on the admin SA, SAs aside
}

func newMinter(ctx context.Context, c *gcp.Client, admin string, opts Options) *minter {
	m := &minter{c: c, how: MintedByDelegation, via: admin}
	if opts.AdminKey == nil {
		return m
	}
	m.how = MintedByKeyFile
	name := opts.AdminKeyFile
	if name == "" {
		name = "the admin key file"
	}
	var key struct {
		ClientEmail string `json:"client_email"`
	}
	if err := json.Unmarshal(opts.AdminKey, &key); err != nil || key.ClientEmail == "" {
		m.err = &adminKeyError{name + " is not a service account key file"}
		return m
	}
	if admin != "" && key.ClientEmail != admin {
		m.err = &adminKeyError{fmt.Sprintf("%s holds a key for %s, not for the admin SA %s", name, key.ClientEmail, admin)}
		return m
	}
	m.via = key.ClientEmail
	ts, err := c.TokenSourceFromKeyFile(ctx, opts.AdminKey)
	if err != nil {
		m.err = &adminKeyError{name + ": " + err.Error()}
		return m
	}
	m.ts = oauth2.ReuseTokenSource(nil, ts)
	return m
}

// adminKeyError is an admin key file that cannot be used to mint.
type adminKeyError struct{ msg string }

func (e *adminKeyError) Error() string { return e.msg }

// mint mints a session token for sa as the admin.
func (m *minter) mint(ctx context.Context, sa string, lifetime time.Duration) (*gcp.Token, error) {
	if m.err != nil {
		return nil, m.err
	}
	if m.how == MintedByKeyFile {
		// The admin's own token, fetched once (concurrent first callers
		// wait for the one fetch): a rejected key is its own failure, not
		// a failed mint.
		if _, err := m.ts.Token(); err != nil {
			if transient(err) {
				// Not the key's fault: the token endpoint kept failing
				// (the transport retried it).
				return nil, fmt.Errorf("the admin's token request failed: %w", err)
			}
			return nil, &adminKeyError{"the admin key was rejected: " + errText(err)}
		}
		return m.c.GenerateAccessToken(ctx, sa, nil, nil, lifetime, m.ts)
	}
	return m.c.GenerateAccessToken(ctx, sa, []string{m.via}, nil, lifetime, nil)
}

// operatorMayDelegate reports (once per run) whether the operator holds
// getAccessToken on the admin SA, the first link of the keyless chain. It
// asks testIamPermissions, which mints nothing and logs nothing; when the
// operator may not even ask that, it mints the admin's own token (and
// throws it away). known is false when neither answers.
func (m *minter) operatorMayDelegate(ctx context.Context, project string) (has, known bool) {
	m.opOnce.Do(func() {
		held, err := m.c.TestServiceAccountPermissions(ctx, m.via, []string{permGetAccessToken})
		if err != nil {
			_, err := m.c.GenerateAccessToken(ctx, m.via, nil, nil, 0, nil)
			m.opHas, m.opErr = err == nil, err
			if gcp.IsPermissionDenied(err) {
				m.opErr = nil
			}
			return
		}
		for _, p := range held {
			if p == permGetAccessToken {
				m.opHas = true
			}
		}
	})
	return m.opHas, m.opErr == nil
}

// humanTokenCreators lists (once per run) the members other than service
// accounts that hold Token Creator on the admin SA: the verifiers setup
// --verifier granted. When the operator may not delegate but such a grant
// exists, it may be the operator's own, still propagating.
func (m *minter) humanTokenCreators(ctx context.Context) []string {
	m.verOnce.Do(func() {
		pol, err := m.c.ServiceAccountPolicy(m.via).Get(ctx)
		if err != nil {
			return
		}
		for _, b := range pol.Bindings {
			if b.Role != roleTokenCreator || b.Condition != nil {
				continue
			}
			for _, mem := range b.Members {
				if !strings.HasPrefix(mem, "serviceAccount:") {
					m.verifiers = append(m.verifiers, mem)
				}
			}
		}
	})
	return m.verifiers
}
