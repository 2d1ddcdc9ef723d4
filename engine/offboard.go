package engine

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
)

// OffboardOptions say whom teardown --user offboards and how.
type OffboardOptions struct {
	// Users are the identities to offboard (emails).
	Users []string
	// Delete also deletes their SAs (after disabling is the recommended
	// path: a later teardown --user EMAIL --delete completes it).
	Delete bool
}

// OffboardError refuses an offboarding fedctl cannot do safely.
type OffboardError struct{ Problems []string }

func (e *OffboardError) Error() string {
	return "cannot offboard:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// PlanOffboard plans `teardown --user EMAIL` (SPEC §7.1–7.2): each user's
// identity loses the bindings the federation owns and its SA is disabled
// (or deleted with Delete). The admin SA, the pool, the provider and every
// other identity are never part of it.
//
// impersonation: the SA the federation owns for the user (found by its
// mark, else by the template) is offboarded; an adopted one only loses the
// admin's Token Creator (it is never disabled); another federation's is
// refused. oauth: the data roles of user:EMAIL are removed.
func (e *Engine) PlanOffboard(ctx context.Context, cfg *config.Config, o OffboardOptions) (*Plan, error) {
	users, _ := config.NormalizeUsers(o.Users)
	if len(users) == 0 {
		return nil, fmt.Errorf("no users to offboard")
	}
	cc := *cfg
	mode := cc.Mode
	if mode == "" {
		mode = config.DefaultMode
	}
	if mode == config.ModeWIF {
		return nil, &OffboardError{Problems: []string{"wif mode has no per-user identities: narrow --principal-set (or --attribute-condition) and run setup, or tear the federation down"}}
	}
	cc.SetUsers(users)
	prepare := func(d *Desired, live *Live) error { return prepareOffboard(d, live, users, o.Delete) }
	d, live, err := e.read(ctx, func(n string) (*Desired, error) { return NewDesired(&cc, n) }, cc.Project, nil, nil, prepare)
	if err != nil {
		return nil, err
	}
	p := newPlan(OpTeardown, d, live)
	for _, t := range d.PolicyTargets() {
		if t.Type == TargetServiceAccount && !live.Exists(t.Name) {
			continue
		}
		p.Changes = append(p.Changes, policyChange(d, live, t, true))
	}
	p.Changes = append(p.Changes, offboardChanges(d, live)...)
	p.Warnings = append(p.Warnings, d.offboardNotes...)
	return p, nil
}

// prepareOffboard turns d (built for the users) into their offboarding
// only: nothing is created or granted, the shared resources stay.
func prepareOffboard(d *Desired, live *Live, users []string, del bool) error {
	var problems []string
	specs := d.ServiceAccounts
	d.ServiceAccounts, d.Memberships, d.AuditLogs, d.APIs = nil, nil, nil, nil
	if d.Admin != nil {
		d.ServiceAccounts = []*ServiceAccountSpec{d.Admin} // read-only: never planned
	}
	d.WIF, d.Sink = nil, nil
	d.index()
	switch d.Mode {
	case config.ModeOAuth:
		for _, u := range users {
			d.Offboards = append(d.Offboards, &OffboardSpec{Address: fmt.Sprintf("user[%q]", u), User: u})
			d.Removals = append(d.Removals, Removal{Target: ProjectTarget(d.Project), Member: "user:" + u, Roles: slices.Clone(d.Roles), Why: "offboarded: " + u})
		}
		return nil
	case config.ModeImpersonation:
	default:
		return fmt.Errorf("%w: %s", ErrModeNotSupported, d.Mode)
	}
	marked := map[string]bool{}
	// In email order, so the plan lists the offboarded in the same order
	// on every run (live.ServiceAccounts is a map).
	for _, email := range slices.Sorted(maps.Keys(live.ServiceAccounts)) {
		l := live.ServiceAccounts[email]
		if o, m, _ := ownerOf(d.Name, l, nil); (o == Owned || o == Legacy) && m.User != "" && slices.ContainsFunc(users, func(u string) bool { return strings.EqualFold(u, m.User) }) {
			d.offboard(l, strings.ToLower(m.User), del)
			marked[strings.ToLower(m.User)] = true
		}
	}
	for _, sa := range specs {
		if sa.Kind == SAAdmin {
			continue
		}
		if sa.Kind == SAShared {
			problems = append(problems, fmt.Sprintf("%s is one service account shared by every user: fedctl cannot revoke one person from it. Remove them from the gateway instead, or switch to a per-user --template", sa.Email))
			continue
		}
		user := sa.Users[0]
		if marked[strings.ToLower(user)] {
			continue
		}
		l := live.ServiceAccounts[lower(sa.Email)]
		if l == nil {
			d.offboardNotes = append(d.offboardNotes, fmt.Sprintf("%s: no service account of this federation (%s does not exist): nothing to offboard.", user, sa.Email))
			continue
		}
		switch o, _, why := ownerOf(d.Name, l, sa); o {
		case Foreign:
			problems = append(problems, why+": offboard them with the federation that owns it (--name)")
		case Adopted:
			// Never disabled: only the federation's own binding on it goes.
			if d.Admin != nil {
				d.Removals = append(d.Removals, Removal{Target: ServiceAccountTarget(l.Email), Member: ServiceAccountMember(d.Admin.Email),
					Roles: []string{RoleTokenCreator}, Why: "offboarded: " + user})
			}
			d.offboardNotes = append(d.offboardNotes, fmt.Sprintf("%s is adopted (it existed before fedctl): only the admin's Token Creator on it is removed; it is not disabled and its data roles stay.", l.Email))
		}
	}
	if len(problems) > 0 {
		return &OffboardError{Problems: problems}
	}
	return nil
}
