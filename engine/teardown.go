package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

// diffTeardown plans the removal of exactly what setup adds, in reverse
// order: first the managed members leave the policies (before their service
// accounts are deleted, or Google would rewrite them as deleted:… members),
// then the service accounts go, users before the admin.
//
// Left in place, on purpose:
//   - APIs: other workloads in the project may depend on them.
//   - auditConfigs: Data Access logs are the evidence of who ran what while
//     the federation existed; turning them off would silently destroy the
//     audit trail the project may be required to keep. `fedctl audit`
//     owns them.
//   - local files (the admin key dies with the admin service account).
//   - the audit sink's dataset (and its access list): it holds the trail
//     the sink exported. The sink itself is deleted.
//
// A wif pool and provider are soft-deleted last (Google keeps them 30 days,
// and a later setup undeletes them).
//
// A service account's own policy goes with it, so memberships on deleted
// service accounts need no separate edit; members fedctl did not add there
// are reported as warnings, since deleting the account drops them too.
func diffTeardown(d *Desired, live *Live) *Plan {
	p := newPlan(OpTeardown, d, live)
	if live.ServiceAccountsUnknown {
		p.Warnings = append(p.Warnings, "The IAM API is disabled, so service accounts could not be listed or deleted; only policy members are removed.")
	}
	// Only what the federation owns is deleted (SPEC §7.1); an adopted SA
	// keeps existing, and loses only the bindings the federation owns.
	deleted := map[string]bool{}
	owners := map[string]Ownership{}
	for _, sa := range d.ServiceAccounts {
		l := live.ServiceAccounts[lower(sa.Email)]
		if l == nil {
			continue
		}
		o, _, why := ownerOf(d.Name, l, sa)
		owners[lower(sa.Email)] = o
		switch o {
		case Owned, Legacy:
			deleted[lower(sa.Email)] = true
		case Foreign:
			p.Warnings = append(p.Warnings, why+": left alone, with its bindings.")
		}
	}
	for _, o := range d.Offboards {
		deleted[lower(o.Email)] = true
	}
	var kept []string
	for _, m := range d.Memberships {
		// A binding is the federation's when its member is: an SA it
		// owns, its verifier, its federated principals, its oauth users.
		if strings.HasPrefix(m.Member, "serviceAccount:") && !deleted[lower(memberEmail(m.Member))] {
			if m.Target.Type == TargetProject || m.Role != RoleTokenCreator {
				kept = append(kept, m.Role+" for "+m.Member)
			}
			continue
		}
		d.Removals = append(d.Removals, Removal{Target: m.Target, Member: m.Member, Roles: []string{m.Role}, Why: m.Why})
	}
	if len(kept) > 0 {
		p.Warnings = append(p.Warnings, "Left in place (their members are adopted service accounts, which other federations may share): "+strings.Join(kept, "; ")+".")
	}

	for _, t := range d.PolicyTargets() {
		if t.Type == TargetServiceAccount && (deleted[lower(t.Name)] || !live.Exists(t.Name)) {
			continue
		}
		c := policyChange(d, live, t, true)
		p.Changes = append(p.Changes, c)
	}

	sas := slices.Clone(d.ServiceAccounts)
	slices.Reverse(sas) // users first, the admin last
	p.Changes = append(p.Changes, offboardChanges(d, live)...)
	for _, sa := range sas {
		st := saState(sa, live)
		st.Ownership = owners[lower(sa.Email)]
		c := &Change{Address: sa.Address, Kind: KindServiceAccount, Action: ActionNoop}
		switch {
		case deleted[lower(sa.Email)]:
			c.Action, c.Before = ActionDelete, st
			if foreign := foreignMembers(d, live, sa.Email); len(foreign) > 0 {
				p.Warnings = append(p.Warnings, fmt.Sprintf("%s carries grants fedctl did not make (%s); they are deleted with it.", sa.Email, strings.Join(foreign, ", ")))
			}
		case live.Exists(sa.Email):
			c.Before, c.After, c.Reason = st, st, AdoptedReason
			if st.Ownership == Foreign {
				c.Reason = "another federation's: left alone"
			}
		default:
			c.Reason = "does not exist"
		}
		p.Changes = append(p.Changes, c)
	}
	if d.WIF != nil {
		p.Changes = append(p.Changes, wifTeardownChanges(d, live)...)
	}
	if d.Sink != nil {
		p.Changes = append(p.Changes, sinkTeardownChanges(d, live)...)
	}
	return p
}

// foreignMembers lists "role: member" grants on the SA's policy that fedctl
// does not manage.
func foreignMembers(d *Desired, live *Live, email string) []string {
	pol := live.Policies[ServiceAccountTarget(email)]
	if pol == nil {
		return nil
	}
	ours := map[string]bool{}
	for _, m := range d.MembershipsOf(ServiceAccountTarget(email)) {
		ours[m.Role+" "+m.Member] = true
	}
	var out []string
	for _, b := range pol.Bindings {
		for _, m := range b.Members {
			if b.Condition != nil || !ours[b.Role+" "+m] {
				out = append(out, b.Role+": "+m)
			}
		}
	}
	return out
}

// deleteServiceAccount deletes a service account and confirms it is gone.
// A 404 is "already gone" only when the listing agrees: a service account
// made moments ago (an interrupted setup) is listed before its own URL
// answers, and deleting it then 404s although it exists. While it is still
// listed the delete is retried with the consistency backoff; one still
// there past the budget fails the step, so teardown never reports as
// destroyed an account it could not delete.
func (e *Engine) deleteServiceAccount(ctx context.Context, email string) error {
	err := e.c.DeleteServiceAccount(ctx, email)
	if !gcp.IsNotFound(err) {
		return err
	}
	project := projectOfEmail(email)
	err = gcp.Do(ctx, e.opts.Consistency, func(err error) bool { return errors.Is(err, errStillListed) }, func() error {
		listed, err := e.listed(ctx, project, email)
		if err != nil || !listed {
			return err
		}
		if err := e.c.DeleteServiceAccount(ctx, email); !gcp.IsNotFound(err) {
			return err
		}
		return errStillListed
	})
	if errors.Is(err, errStillListed) {
		return fmt.Errorf("could not confirm the deletion of %s: it is still listed but answers 404 (IAM has not caught up): re-run teardown in a minute: %w", email, err)
	}
	return err
}

var errStillListed = errors.New("still listed")

// listed reports whether the project's service-account listing shows email.
func (e *Engine) listed(ctx context.Context, project, email string) (bool, error) {
	found := false
	err := e.c.ListServiceAccounts(ctx, project, func(sa *gcp.ServiceAccount) error {
		if strings.EqualFold(sa.Email, email) {
			found = true
			return errFound
		}
		return nil
	})
	if errors.Is(err, errFound) {
		err = nil
	}
	return found, err
}

var errFound = errors.New("found")

// projectOfEmail is the project of a user-managed service account
// (ID@PROJECT.iam.gserviceaccount.com).
func projectOfEmail(email string) string {
	_, domain, _ := strings.Cut(email, "@")
	return strings.TrimSuffix(domain, ".iam.gserviceaccount.com")
}
