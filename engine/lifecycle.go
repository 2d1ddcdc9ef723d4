package engine

import (
	"context"
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

// AdoptedReason explains an adopted resource in plans.
const AdoptedReason = "adopted: it existed before fedctl, which adds its bindings but never marks, disables or deletes it"

// saSetupChange plans one desired SA: create it (marked), re-mark one an
// earlier fedctl made, re-enable one that was offboarded, update the admin's
// recorded verifiers, or adopt one that existed before fedctl.
func saSetupChange(d *Desired, sa *ServiceAccountSpec, live *Live) *Change {
	after := saState(sa, live)
	c := &Change{Address: sa.Address, Kind: KindServiceAccount, Action: ActionNoop, After: after}
	l := live.ServiceAccounts[lower(sa.Email)]
	switch {
	case l != nil:
		before := *after
		c.Before = &before
		o, _, _ := ownerOf(d.Name, l, sa)
		after.Ownership, before.Ownership = o, o
		if o == Adopted {
			c.Reason = AdoptedReason
			break
		}
		var why []string
		if o == Legacy {
			why = append(why, "made by an earlier fedctl: marked as federation "+d.Name)
		} else if l.Description != sa.Description {
			why = append(why, "ownership mark updated")
		}
		if l.Disabled {
			why = append(why, "disabled (offboarded): re-enabled")
		}
		after.Description, after.Disabled = sa.Description, false
		if o == Legacy {
			after.Ownership = Owned
		}
		if len(why) > 0 {
			c.Action, c.Reason = ActionUpdate, strings.Join(why, "; ")
		}
	case live.ServiceAccountsUnknown:
		c.Action = ActionCreate
		c.Reason = "IAM API still off: accounts not listed yet (an existing one is adopted)"
	default:
		c.Action = ActionCreate
	}
	return c
}

// offboardChanges plans the SA side of each offboarding: disable (or
// delete). An SA already disabled is a no-op unless it is to be deleted.
func offboardChanges(d *Desired, live *Live) []*Change {
	var out []*Change
	for _, o := range d.Offboards {
		c := offboardChange(o, live)
		out = append(out, c)
	}
	return out
}

func offboardChange(o *OffboardSpec, live *Live) *Change {
	c := &Change{Address: o.Address, Kind: KindServiceAccount, Action: ActionNoop, Offboard: true}
	if o.Email == "" { // oauth: only bindings
		c.Kind, c.Reason = KindUser, "offboarded: data roles of user:"+o.User+" removed"
		c.Action = ActionDelete
		c.Before = &UserState{User: o.User}
		return c
	}
	l := live.ServiceAccounts[lower(o.Email)]
	if l == nil {
		c.Reason = "does not exist"
		return c
	}
	st := &ServiceAccountState{Email: l.Email, AccountID: strings.SplitN(l.Email, "@", 2)[0], DisplayName: l.DisplayName,
		UniqueID: l.UniqueID, Description: l.Description, Disabled: l.Disabled, Ownership: Owned}
	if o.User != "" {
		st.Users = []string{o.User}
	}
	c.Before = st
	switch {
	case o.Delete:
		c.Action = ActionDelete
		c.Reason = "offboarded: bindings removed, deleted (undelete within 30 days: " + UndeleteCommand(l) + ")"
	case l.Disabled:
		c.Reason = "already disabled (offboarded earlier); --delete deletes it"
	default:
		after := *st
		after.Disabled = true
		c.After = &after
		c.Action = ActionDelete
		c.Reason = "offboarded: bindings removed, disabled (undo: " + EnableCommand(l.Email) + ")"
	}
	return c
}

// EnableCommand is the undo of a disable.
func EnableCommand(email string) string {
	return "gcloud iam service-accounts enable " + email
}

// UndeleteCommand is the undo of a delete (Google keeps a deleted SA
// undeletable by its unique ID for 30 days).
func UndeleteCommand(l *gcp.ServiceAccount) string {
	return "gcloud beta iam service-accounts undelete " + l.UniqueID
}

// KindUser is an oauth user's access (no resource of its own).
const KindUser Kind = "user"

// UserState is a user change's state (oauth offboarding).
type UserState struct {
	User string `json:"user"`
}

// updateSAStep re-enables an offboarded SA and writes its mark.
func (e *Engine) updateSAStep(c *Change, live *Live, sa *ServiceAccountSpec) step {
	l := live.ServiceAccounts[lower(sa.Email)]
	return step{name: "update " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		if l == nil {
			return nil
		}
		if l.Disabled {
			if err := e.c.EnableServiceAccount(ctx, sa.Email); err != nil {
				return err
			}
		}
		if l.Description != sa.Description {
			return e.c.SetServiceAccountDescription(ctx, sa.Email, sa.Description)
		}
		return nil
	}}
}

// offboardStep disables (or deletes) an offboarded SA. Deleting an SA
// already deleted (and no longer listed) is success.
func (e *Engine) offboardStep(c *Change, o *OffboardSpec) step {
	verb := "disable "
	if o.Delete {
		verb = "delete "
	}
	return step{name: verb + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		if o.Email == "" {
			return nil // oauth: the policy write did it
		}
		if o.Delete {
			// A 404 is "already deleted" only once the listing agrees
			// (teardown.go's deleteServiceAccount).
			return e.deleteServiceAccount(ctx, o.Email)
		}
		err := e.c.DisableServiceAccount(ctx, o.Email)
		if gcp.IsNotFound(err) {
			return nil // already deleted
		}
		return err
	}}
}
