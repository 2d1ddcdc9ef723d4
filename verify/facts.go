package verify

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// projectFacts are the project-wide reads, shared by every user. The eager
// ones are read once, concurrently, before any user is verified; the lazy
// ones (the SA list, the operator's right to delegate) only when a failure
// needs explaining, at most once per run.
type projectFacts struct {
	c       *gcp.Client
	project string

	services    map[string]bool
	servicesErr error

	admin    *gcp.ServiceAccount // nil when missing or unreadable
	adminErr error
	keys     []*gcp.Key // the admin's user-managed keys
	keysErr  error

	policy    *gcp.Policy // the project's IAM policy
	policyErr error

	// keyPolicy is the effective iam.disableServiceAccountKeyCreation
	// policy (SPEC §7.6).
	keyPolicy    *gcp.OrgPolicy
	keyPolicyErr error

	loadOnce sync.Once
	ready    chan struct{} // closed when the eager reads are done

	listOnce sync.Once
	accounts map[string]*gcp.ServiceAccount // by lowercase email
	listErr  error
	listed   atomic.Bool // the list was read: accounts may be used
}

func newProjectFacts(c *gcp.Client, project string) *projectFacts {
	return &projectFacts{c: c, project: project, ready: make(chan struct{})}
}

// load makes the eager reads once, all at once (one round trip); the
// first caller reads, the others wait for it.
func (f *projectFacts) load(ctx context.Context, apis []string, adminEmail string) {
	f.loadOnce.Do(func() {
		f.readEager(ctx, apis, adminEmail)
		close(f.ready)
	})
}

// await waits until load is done.
func (f *projectFacts) await() { <-f.ready }

func (f *projectFacts) readEager(ctx context.Context, apis []string, adminEmail string) {
	var wg sync.WaitGroup
	wg.Go(func() { f.services, f.servicesErr = f.c.ServiceStates(ctx, f.project, apis) })
	wg.Go(func() { f.policy, f.policyErr = f.c.ProjectPolicy(f.project).Get(ctx) })
	wg.Go(func() {
		f.keyPolicy, f.keyPolicyErr = f.c.GetEffectivePolicy(ctx, f.project, gcp.ConstraintDisableKeyCreation)
	})
	if adminEmail != "" {
		wg.Go(func() { f.admin, f.adminErr = f.c.GetServiceAccount(ctx, adminEmail) })
		wg.Go(func() { f.keys, f.keysErr = f.c.ListKeys(ctx, adminEmail, true) })
	}
	wg.Wait()
}

// account looks an SA up in the project's SA list (read once, on first
// use). known is false when the list could not be read.
func (f *projectFacts) account(ctx context.Context, email string) (sa *gcp.ServiceAccount, known bool, err error) {
	f.listOnce.Do(func() {
		f.accounts = map[string]*gcp.ServiceAccount{}
		f.listErr = f.c.ListServiceAccounts(ctx, f.project, func(sa *gcp.ServiceAccount) error {
			f.accounts[strings.ToLower(sa.Email)] = sa
			return nil
		})
		f.listed.Store(f.listErr == nil)
	})
	if f.listErr != nil {
		return nil, false, f.listErr
	}
	return f.accounts[strings.ToLower(email)], true, nil
}

// federationUsers are the users whose enabled per-user SAs federation
// name owns (their ownership mark, SPEC §7.1), from the SA list when some
// row has read it already (nil otherwise). A fix that runs setup must list
// them too: setup offboards an owned identity its user list leaves out.
func (f *projectFacts) federationUsers(name string) []string {
	if !f.listed.Load() {
		return nil
	}
	var out []string
	for _, sa := range f.accounts {
		if m, ok := engine.ParseMark(sa.Description); ok && m.Federation == name && m.User != "" && !sa.Disabled {
			out = append(out, m.User)
		}
	}
	slices.Sort(out)
	return out
}

// projectHas reports whether the project policy grants role to member
// (unconditionally); known is false when the policy could not be read.
func (f *projectFacts) projectHas(role, member string) (has, known bool) {
	if f.policy == nil {
		return false, false
	}
	return f.policy.HasMember(role, member), true
}
