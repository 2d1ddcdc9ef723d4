package engine

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/oauthflow"
)

// ServiceAccountSpec is a service account fedctl manages.
type ServiceAccountSpec struct {
	// Address is the plan address: service_account.admin,
	// service_account.user["alice@acme.com"], service_account.shared.
	Address     string
	Kind        SAKind
	AccountID   string
	Email       string
	DisplayName string
	Description string
	// Users are the users this SA stands for (one, or every user for a
	// shared SA; none for the admin).
	Users []string
}

// SAKind says what a managed service account is for.
type SAKind string

const (
	SAAdmin  SAKind = "admin"  // mints tokens for the user SAs (Hoop's gateway identity)
	SAUser   SAKind = "user"   // one per user, from the identity template
	SAShared SAKind = "shared" // one for every user (a template without {user.email})
)

// Desired is everything fedctl manages for one configuration: the APIs it
// enables, the service accounts it creates, the policy memberships and audit
// log types it adds, and the local files it writes. It is pure data, built
// without any API call.
type Desired struct {
	// Name is the federation's name (SPEC §7.1): what it creates carries
	// it in its ownership mark.
	Name          string
	Project       string
	ProjectNumber string // "" until known; only wif members need it
	Mode          config.Mode
	Grant         config.Grant
	// Template is the identity template, as configured.
	Template string

	APIs            []string
	ServiceAccounts []*ServiceAccountSpec // admin first, then users in users order
	Memberships     []Membership
	AuditLogs       []AuditLogSpec
	Identities      []config.Identity // each user → SA

	// Admin is the admin SA (nil in modes without one).
	Admin *ServiceAccountSpec

	AdminKeyFile   string // "" = none
	HoopPolicyFile string // "" = none
	// HoopOAuthClientFile is the configured OAuth client file when it is in
	// Hoop's {client_id, client_secret} format (what gcp_oauth's
	// --credentials-file takes as is); "" otherwise.
	HoopOAuthClientFile string
	// MixedCaseUsers are users typed with capitals (Hoop keeps the case).
	MixedCaseUsers []string
	// HoopTokenTTL is the Hoop policy's token lifetime (0: one hour).
	HoopTokenTTL time.Duration
	Verifier     string // IAM member, "" = none

	// Roles are the data roles.
	Roles []string

	// WIF is the wif mode's pool, provider and principal (nil otherwise).
	WIF *WIFSpec

	// Sink is the audit log sink (config audit.sink) with its dataset; nil
	// when none is configured.
	Sink *audit.SinkSpec

	// Bundle is the --data-role-bundle custom role (nil: none); Roles is
	// then that one role (rolebundle.go).
	Bundle *RoleBundleSpec
	// Offboards are the identities the federation owns that are to be
	// offboarded (SPEC §7.2): users no longer in the config (setup),
	// teardown --user, or every owned SA not in the config (teardown).
	Offboards []*OffboardSpec
	// Removals are the policy members to remove (offboarding, teardown).
	Removals []Removal
	// offboardNotes are PlanOffboard's warnings.
	offboardNotes []string

	byTarget map[PolicyTarget][]Membership // MembershipsOf's index
}

// ErrModeNotSupported is returned for a mode the engine does not build yet.
var ErrModeNotSupported = errors.New("mode not supported by the engine yet")

// NewDesired builds the desired state of cfg, which must have passed
// preflight (cfg.ApplyDefaults and cfg.Validate). projectNumber may be ""
// when the mode does not need it (impersonation, oauth; wif does).
func NewDesired(cfg *config.Config, projectNumber string) (*Desired, error) {
	d := &Desired{
		Name:           cfg.FederationName(),
		Project:        cfg.Project,
		ProjectNumber:  projectNumber,
		Mode:           cfg.Mode,
		APIs:           slices.Clone(cfg.RequiredAPIs()),
		Roles:          slices.Clone(cfg.Roles()),
		AdminKeyFile:   cfg.AdminKeyFile,
		HoopPolicyFile: cfg.HoopPolicy,
		MixedCaseUsers: slices.Clone(cfg.MixedCaseUsers),
		HoopTokenTTL:   cfg.HoopTokenTTL,
		Verifier:       cfg.Verifier,
	}
	if d.Mode == "" {
		d.Mode = config.DefaultMode
	}
	if id := cfg.Preflight.DataRoleBundle; id != "" {
		d.Bundle = &RoleBundleSpec{ID: id, Name: BundleRoleName(cfg.Project, id), Roles: d.Roles}
		d.Roles = []string{d.Bundle.Name}
	}
	if cf, err := cfg.OAuthClient(); err == nil && cf != nil && cf.Format == oauthflow.FormatHoop {
		d.HoopOAuthClientFile = cfg.OAuth.ClientFile
	}
	switch d.Mode {
	case config.ModeImpersonation:
		if err := d.buildImpersonation(cfg); err != nil {
			return nil, err
		}
	case config.ModeOAuth:
		d.buildOAuth(cfg)
	case config.ModeWIF:
		if err := d.buildWIF(cfg); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%w: %s", ErrModeNotSupported, d.Mode)
	}
	sink, err := desiredSink(cfg)
	if err != nil {
		return nil, err
	}
	d.Sink = sink
	d.APIs = withSinkAPI(d.APIs, sink)
	if cfg.Audit.DataAccessLogs {
		d.AuditLogs = DataAccessLogChanges()
	}
	d.index()
	return d, nil
}

func (d *Desired) buildImpersonation(cfg *config.Config) error {
	imp := cfg.Impersonation
	d.Grant = imp.Grant
	if d.Grant == "" {
		d.Grant = config.DefaultGrant
	}
	d.Template = imp.IdentityTemplate
	if d.Template == "" {
		d.Template = config.DefaultIdentityTemplate
	}
	adminID := imp.AdminServiceAccount
	if adminID == "" {
		adminID = config.DefaultAdminSA
	}
	d.Admin = &ServiceAccountSpec{
		Address:     "service_account.admin",
		Kind:        SAAdmin,
		AccountID:   adminID,
		Email:       cfg.AdminEmail(),
		DisplayName: "fedctl admin",
	}
	var verifiers []string
	if cfg.Verifier != "" {
		verifiers = []string{cfg.Verifier}
	}
	if err := d.describe(d.Admin, "Mints short-lived tokens for the per-user service accounts.", Mark{Kind: MarkAdmin, Verifiers: verifiers}); err != nil {
		return err
	}
	d.ServiceAccounts = append(d.ServiceAccounts, d.Admin)

	ids, err := cfg.Identities()
	if err != nil {
		return fmt.Errorf("rendering identities (preflight should have caught this): %w", err)
	}
	d.Identities = ids
	shared := cfg.SharedServiceAccount()
	byEmail := map[string]*ServiceAccountSpec{d.Admin.Email: d.Admin}
	for _, id := range ids {
		sa := byEmail[id.Email]
		if sa == nil {
			sa = &ServiceAccountSpec{
				Kind:        SAUser,
				AccountID:   id.AccountID,
				Email:       id.Email,
				DisplayName: truncate(userSAPrefix+id.User, 100),
				Address:     fmt.Sprintf("service_account.user[%q]", id.User),
			}
			human, mark := "BigQuery identity of "+id.User+".", Mark{User: id.User}
			if shared {
				sa.Kind = SAShared
				sa.Address = "service_account.shared"
				sa.DisplayName = "fedctl shared identity"
				human, mark = "BigQuery identity shared by every user.", Mark{Kind: MarkShared}
			}
			if err := d.describe(sa, human, mark); err != nil {
				return err
			}
			byEmail[id.Email] = sa
			d.ServiceAccounts = append(d.ServiceAccounts, sa)
		}
		if sa.Kind != SAAdmin {
			sa.Users = append(sa.Users, id.User)
		}
	}

	admin := ServiceAccountMember(d.Admin.Email)
	project := ProjectTarget(d.Project)
	for _, sa := range d.ServiceAccounts {
		if sa.Kind == SAAdmin {
			continue
		}
		for _, role := range d.Roles {
			d.Memberships = append(d.Memberships, Membership{Target: project, Role: role, Member: ServiceAccountMember(sa.Email), Why: "data role"})
		}
	}
	if d.Grant == config.GrantProject {
		d.Memberships = append(d.Memberships, Membership{Target: project, Role: RoleTokenCreator, Member: admin, Why: "Token Creator on the project (Pattern B)"})
	} else {
		for _, sa := range d.ServiceAccounts {
			if sa.Kind != SAAdmin {
				d.Memberships = append(d.Memberships, Membership{Target: ServiceAccountTarget(sa.Email), Role: RoleTokenCreator, Member: admin, Why: "Token Creator for the admin (Pattern A)"})
			}
		}
	}
	if d.Verifier != "" {
		d.Memberships = append(d.Memberships, Membership{Target: ServiceAccountTarget(d.Admin.Email), Role: RoleTokenCreator, Member: d.Verifier, Why: "keyless verifier"})
	}
	return nil
}

func (d *Desired) buildOAuth(cfg *config.Config) {
	project := ProjectTarget(d.Project)
	for _, u := range cfg.Users() {
		for _, role := range d.Roles {
			d.Memberships = append(d.Memberships, Membership{Target: project, Role: role, Member: "user:" + u, Why: "data role"})
		}
	}
}

// ServiceAccount returns the managed SA with this email, or nil.
func (d *Desired) ServiceAccount(email string) *ServiceAccountSpec {
	for _, sa := range d.ServiceAccounts {
		if sa.Email == email {
			return sa
		}
	}
	return nil
}

// PolicyTargets lists every policy fedctl edits, the project first, then the
// service accounts in the order their memberships were declared.
func (d *Desired) PolicyTargets() []PolicyTarget {
	var out []PolicyTarget
	seen := map[PolicyTarget]bool{}
	add := func(t PolicyTarget) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if len(d.AuditLogs) > 0 {
		add(ProjectTarget(d.Project))
	}
	for _, m := range d.Memberships {
		if m.Target.Type == TargetProject {
			add(m.Target)
		}
	}
	for _, r := range d.Removals {
		if r.Target.Type == TargetProject {
			add(r.Target)
		}
	}
	for _, m := range d.Memberships {
		add(m.Target)
	}
	for _, r := range d.Removals {
		add(r.Target)
	}
	return out
}

// MembershipsOf returns the memberships on target, in Desired order.
func (d *Desired) MembershipsOf(t PolicyTarget) []Membership {
	if d.byTarget != nil {
		return d.byTarget[t]
	}
	var out []Membership
	for _, m := range d.Memberships {
		if m.Target == t {
			out = append(out, m)
		}
	}
	return out
}

// index builds MembershipsOf's index once the memberships are final (a
// Desired is read-only afterwards, and read from many goroutines).
func (d *Desired) index() {
	d.byTarget = map[PolicyTarget][]Membership{}
	for _, m := range d.Memberships {
		d.byTarget[m.Target] = append(d.byTarget[m.Target], m)
	}
}

// describe sets sa's description: human text, then the federation's mark.
func (d *Desired) describe(sa *ServiceAccountSpec, human string, m Mark) error {
	m.Federation, m.Mode = d.Name, d.Mode
	desc, err := m.Describe(human, maxSADescription)
	if err != nil {
		return fmt.Errorf("%s: %w", sa.Email, err)
	}
	sa.Description = desc
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
