package audit

import (
	"context"
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/config"
)

// Federation is who may legitimately appear in BigQuery job entries, and
// through whom (SPEC §1): in impersonation mode the user SAs, delegated
// through the admin SA; in wif mode the target SA, delegated from a
// federated principal:// (or that principal itself with --direct); in
// oauth mode the users' own Google accounts.
type Federation struct {
	Mode config.Mode
	// AdminSA is the admin SA's email (impersonation).
	AdminSA string
	// ServiceAccounts are the federated SAs known by name: rendered user
	// SAs, the wif target SA.
	ServiceAccounts []string
	// saPrefix and saSuffix match any SA the identity template renders, so
	// that users not listed in the configuration are still recognised.
	saPrefix, saSuffix string
	// Users are Google accounts that query as themselves (oauth).
	Users []string
}

// templateProbe stands in for a user's local part when the identity
// template is turned into a prefix/suffix matcher.
const templateProbe = "zfedctlprobez"

// FederationFromConfig derives the federation from a configuration after
// ApplyDefaults.
func FederationFromConfig(cfg *config.Config) (*Federation, error) {
	f := &Federation{Mode: cfg.Mode}
	switch cfg.Mode {
	case config.ModeWIF:
		if !cfg.WIF.Direct {
			f.ServiceAccounts = []string{cfg.WIF.TargetEmail(cfg.Project)}
		}
	case config.ModeOAuth:
		f.Users = cfg.OAuth.Users
	default:
		f.Mode = config.ModeImpersonation
		f.AdminSA = cfg.AdminEmail()
		email, _, _ := config.RenderIdentity(cfg.Impersonation.IdentityTemplate, templateProbe+"@example.com", cfg.Project)
		if pre, suf, ok := strings.Cut(email, templateProbe); ok {
			f.saPrefix, f.saSuffix = pre, suf
		} else if email != "" {
			f.ServiceAccounts = append(f.ServiceAccounts, email) // a shared SA
		}
		for _, u := range cfg.Impersonation.Users {
			if id, err := cfg.IdentityFor(u); err == nil {
				f.ServiceAccounts = append(f.ServiceAccounts, id.Email)
			}
		}
	}
	return f, nil
}

// IsFederatedSA reports whether email is one of the federation's SAs.
func (f *Federation) IsFederatedSA(email string) bool {
	for _, s := range f.ServiceAccounts {
		if s == email {
			return true
		}
	}
	return f.saPrefix+f.saSuffix != "" && len(email) > len(f.saPrefix)+len(f.saSuffix) &&
		strings.HasPrefix(email, f.saPrefix) && strings.HasSuffix(email, f.saSuffix) && email != f.AdminSA
}

// Inside reports whether principal belongs to the federation at all.
func (f *Federation) Inside(principal string) bool {
	if principal == f.AdminSA && f.AdminSA != "" {
		return true
	}
	if f.IsFederatedSA(principal) {
		return true
	}
	for _, u := range f.Users {
		if strings.EqualFold(u, principal) {
			return true
		}
	}
	// With wif --direct, the federated principal queries as itself.
	return f.Mode == config.ModeWIF && strings.HasPrefix(principal, "principal")
}

// brokered reports whether a federated SA's delegation chain went through
// the federation's broker: the admin SA (impersonation) or a federated
// principal (wif).
func (f *Federation) brokered(e *Event) bool {
	if f.Mode == config.ModeWIF {
		for _, v := range e.Via {
			if strings.HasPrefix(v, "principal://") || strings.HasPrefix(v, "principalSet://") {
				return true
			}
		}
		return false
	}
	return f.AdminSA != "" && e.ViaContains(f.AdminSA)
}

// Bypass rules.
const (
	// RuleAdminDirect: the admin SA ran a job itself.
	RuleAdminDirect = "admin-direct"
	// RuleNoDelegation: a federated SA ran a job without a delegation chain
	// through the broker (its key, or someone else's impersonation).
	RuleNoDelegation = "no-delegation"
	// RuleOutside: an identity outside the federation ran a job (--strict).
	RuleOutside = "outside-federation"
)

// Bypass is a BigQuery job that did not go through federation.
type Bypass struct {
	Rule     string `json:"rule"`
	Evidence string `json:"evidence"`
	Event    *Event `json:"event"`
}

// Check classifies a BigQuery job event; nil means it went through
// federation (or is not a job). strict also flags identities outside it.
func (f *Federation) Check(e *Event, strict bool) *Bypass {
	if e.Kind != KindQuery {
		return nil
	}
	switch {
	case f.AdminSA != "" && e.Principal == f.AdminSA:
		ev := "the admin SA ran a BigQuery job as itself"
		if e.KeyName != "" {
			ev += ", authenticated with key " + e.KeyName
		}
		if len(e.Via) > 0 {
			ev += ", delegated by " + strings.Join(e.Via, " → ")
		}
		return &Bypass{Rule: RuleAdminDirect, Evidence: ev, Event: e}
	case f.IsFederatedSA(e.Principal):
		if f.brokered(e) {
			return nil
		}
		var ev string
		switch {
		case e.KeyName != "":
			ev = fmt.Sprintf("%s authenticated with its key %s (no delegation chain)", e.Principal, e.KeyName)
		case len(e.Via) == 0:
			ev = fmt.Sprintf("%s ran the job with its own credentials (no delegation chain)", e.Principal)
		default:
			broker := "the admin SA " + f.AdminSA
			if f.Mode == config.ModeWIF {
				broker = "a federated principal"
			}
			ev = fmt.Sprintf("%s was impersonated by %s, not through %s", e.Principal, strings.Join(e.Via, " → "), broker)
		}
		return &Bypass{Rule: RuleNoDelegation, Evidence: ev, Event: e}
	case strict && !f.Inside(e.Principal):
		ev := fmt.Sprintf("%s is not part of the federation", e.Principal)
		if len(e.Via) > 0 {
			ev += " (delegated by " + strings.Join(e.Via, " → ") + ")"
		}
		return &Bypass{Rule: RuleOutside, Evidence: ev, Event: e}
	}
	return nil
}

// FindBypasses reads the BigQuery jobs of the selection and calls fn once
// per job that went around federation (a job's several entries count once).
func FindBypasses(ctx context.Context, r *Reader, sel Selection, fed *Federation, strict bool, fn func(*Bypass) error) error {
	sel.Kinds = []Kind{KindQuery}
	jobs := newJobSet(100_000)
	return r.Read(ctx, sel, func(e *Event) error {
		b := fed.Check(e, strict)
		if b == nil || !jobs.add(e, "") {
			return nil
		}
		return fn(b)
	})
}
