package engine

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/wif"
)

// Workload Identity Federation (SPEC §1 wif): the pool, its OIDC provider,
// the target service account with the data roles, and
// roles/iam.workloadIdentityUser on it for the configured principal set
// (or, with Direct, the data roles on the principal set itself).

// Resource kinds of wif mode.
const (
	KindWIFPool     Kind = "workload_identity_pool"
	KindWIFProvider Kind = "workload_identity_pool_provider"
)

// RoleWorkloadIdentityUser lets a federated principal impersonate an SA.
const RoleWorkloadIdentityUser = "roles/iam.workloadIdentityUser"

// SATarget is wif mode's target service account.
const SATarget SAKind = "target"

// Loud warnings for what --allow-unconditioned / --allow-wildcard force.
const (
	UnconditionedWarning = "The provider has NO attribute condition: every token its issuer signs is accepted — for a multi-tenant issuer (GitHub, GitLab, Gumloop) that includes other customers' tokens. Add --attribute-condition to pin your tenant."
	WildcardWarning      = "The principal set is the WHOLE pool (/*): any identity the provider admits can use the target service account. Scope it with --principal-set attribute.NAME/VALUE."
)

// WIFSpec is the desired wif resources.
type WIFSpec struct {
	PoolID, ProviderID string
	PoolName           string // projects/N/locations/global/workloadIdentityPools/P
	ProviderName       string
	PoolDisplayName    string // "" = not managed
	// PoolDescription carries the ownership mark (SPEC §7.1), written when
	// fedctl creates the pool; the provider's is Provider.Description.
	PoolDescription string
	Provider        gcp.WorkloadIdentityProvider
	// Member is who may federate: principalSet://… or principal://….
	Member string
	// Target is the target SA (nil with Direct).
	Target *ServiceAccountSpec
	Direct bool
	// Audience is the STS audience of the provider.
	Audience string
}

// WIFSafetyError is preflight's refusal of an unsafe provider or principal
// set (a usage error: the fix is a flag).
type WIFSafetyError struct{ Problems []string }

func (e *WIFSafetyError) Error() string {
	return "refusing an unsafe federation:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// WIFAllow are the per-invocation overrides of PreflightWIF's refusals.
type WIFAllow struct {
	Unconditioned bool // --allow-unconditioned
	Wildcard      bool // --allow-wildcard
}

// PreflightWIF checks a wif configuration before any API call: the
// attribute mapping and condition compile with cel-go (errors located at
// their column), google.subject is mapped, the condition reads mapped
// claims, constant values fit 127 bytes; and it refuses a provider without
// a condition and a wildcard principal set unless allowed. It returns the
// warnings to show (the forced risks among them, loudly).
func PreflightWIF(cfg *config.Config, allow WIFAllow) (warnings []string, err error) {
	if cfg.Mode != config.ModeWIF {
		return nil, nil
	}
	w := cfg.WIF
	_, problems := wif.Check(w.Provider.AttributeMapping, w.Provider.AttributeCondition)
	var refusals []string
	for _, p := range problems {
		if p.Severity == wif.Error {
			refusals = append(refusals, p.String())
		} else {
			warnings = append(warnings, p.String())
		}
	}
	if w.MissingCondition() {
		if allow.Unconditioned {
			warnings = append(warnings, UnconditionedWarning)
		} else {
			refusals = append(refusals, "the provider has no attribute condition, so any token its issuer signs would be accepted: pass --attribute-condition CEL (or a --preset), or --allow-unconditioned to accept the risk")
		}
	}
	if w.Wildcard() {
		if allow.Wildcard {
			warnings = append(warnings, WildcardWarning)
		} else {
			refusals = append(refusals, "the principal set is the whole pool (*): pass --principal-set attribute.NAME/VALUE, or --allow-wildcard to accept the risk")
		}
	}
	if len(refusals) > 0 {
		return warnings, &WIFSafetyError{Problems: refusals}
	}
	return warnings, nil
}

// buildWIF fills the desired state of wif mode; it needs the project number.
func (d *Desired) buildWIF(cfg *config.Config) (err error) {
	if d.ProjectNumber == "" {
		return errors.New("wif mode needs the project number (read it first)")
	}
	w := cfg.WIF
	spec := &WIFSpec{
		PoolID: w.Pool.ID, ProviderID: w.Provider.ID,
		PoolName: w.PoolName(d.ProjectNumber), ProviderName: w.ProviderName(d.ProjectNumber),
		PoolDisplayName: w.Pool.DisplayName,
		Provider: gcp.WorkloadIdentityProvider{
			IssuerURI: w.Provider.IssuerURI, AllowedAudiences: slices.Clone(w.Provider.AllowedAudiences),
			AttributeMapping: maps.Clone(w.Provider.AttributeMapping), AttributeCondition: w.Provider.AttributeCondition,
			JWKSJSON: w.Provider.JWKSJSON,
		},
		Member:   w.Member(d.ProjectNumber),
		Direct:   w.Direct,
		Audience: w.Audience(d.ProjectNumber),
	}
	d.WIF = spec
	pm := Mark{Federation: d.Name, Mode: d.Mode, Kind: MarkPool}
	if spec.PoolDescription, err = pm.Describe("", maxSADescription); err != nil {
		return err
	}
	vm := Mark{Federation: d.Name, Mode: d.Mode, Kind: MarkProvider}
	if spec.Provider.Description, err = vm.Describe("", maxSADescription); err != nil {
		return err
	}
	project := ProjectTarget(d.Project)
	if w.Direct {
		for _, role := range d.Roles {
			d.Memberships = append(d.Memberships, Membership{Target: project, Role: role, Member: spec.Member, Why: "data role (direct federation)"})
		}
		return nil
	}
	email := w.TargetEmail(cfg.Project)
	spec.Target = &ServiceAccountSpec{
		Address: "service_account.target", Kind: SATarget, AccountID: w.ServiceAccount, Email: email,
		DisplayName: "fedctl wif target",
	}
	if err := d.describe(spec.Target, "BigQuery identity of workloads federated through "+w.Pool.ID+"/"+w.Provider.ID+".", Mark{Kind: MarkTarget}); err != nil {
		return err
	}
	d.ServiceAccounts = append(d.ServiceAccounts, spec.Target)
	for _, role := range d.Roles {
		d.Memberships = append(d.Memberships, Membership{Target: project, Role: role, Member: ServiceAccountMember(email), Why: "data role"})
	}
	d.Memberships = append(d.Memberships, Membership{Target: ServiceAccountTarget(email), Role: RoleWorkloadIdentityUser,
		Member: spec.Member, Why: "federated principals may impersonate the target"})
	return nil
}

func poolAddress(id string) string { return fmt.Sprintf("workload_identity_pool[%q]", id) }
func providerAddress(s *WIFSpec) string {
	return fmt.Sprintf("workload_identity_pool_provider[%q]", s.PoolID+"/"+s.ProviderID)
}

// PoolState is a workload_identity_pool change's state.
type PoolState struct {
	Name        string `json:"name"`
	State       string `json:"state"` // ACTIVE | DELETED
	Disabled    bool   `json:"disabled"`
	DisplayName string `json:"display_name,omitempty"`
	ExpireTime  string `json:"expire_time,omitempty"`
}

// ProviderState is a workload_identity_pool_provider change's state.
type ProviderState struct {
	Name               string            `json:"name"`
	State              string            `json:"state"`
	Disabled           bool              `json:"disabled"`
	IssuerURI          string            `json:"issuer_uri"`
	AllowedAudiences   []string          `json:"allowed_audiences"`
	AttributeMapping   map[string]string `json:"attribute_mapping"`
	AttributeCondition string            `json:"attribute_condition"`
	// JWKS summarises the inline key set ("" = none): key IDs, not keys.
	JWKS string `json:"jwks,omitempty"`
}

func poolState(p *gcp.WorkloadIdentityPool) *PoolState {
	if p == nil {
		return nil
	}
	return &PoolState{Name: p.Name, State: p.State, Disabled: p.Disabled, DisplayName: p.DisplayName, ExpireTime: p.ExpireTime}
}

func providerState(p *gcp.WorkloadIdentityProvider, name, state string) *ProviderState {
	if p == nil {
		return nil
	}
	st := &ProviderState{Name: name, State: state, Disabled: p.Disabled, IssuerURI: p.IssuerURI,
		AllowedAudiences: slices.Clone(p.AllowedAudiences), AttributeMapping: maps.Clone(p.AttributeMapping),
		AttributeCondition: p.AttributeCondition, JWKS: jwksSummary(p.JWKSJSON)}
	if st.AllowedAudiences == nil {
		st.AllowedAudiences = []string{}
	}
	if st.AttributeMapping == nil {
		st.AttributeMapping = map[string]string{}
	}
	return st
}

func jwksSummary(j string) string {
	if j == "" {
		return ""
	}
	set, err := wif.ParseJWKS([]byte(j))
	if err != nil {
		return "invalid"
	}
	kids := make([]string, len(set.Keys))
	for i, k := range set.Keys {
		kids[i] = k.Kid
	}
	return fmt.Sprintf("%d key(s): %s", len(set.Keys), strings.Join(kids, ", "))
}

// wifChanges plans the pool and the provider for setup.
func wifChanges(d *Desired, live *Live) []*Change {
	s := d.WIF
	after := &PoolState{Name: s.PoolName, State: gcp.StateActive, DisplayName: s.PoolDisplayName}
	if after.DisplayName == "" && live.Pool != nil {
		after.DisplayName = live.Pool.DisplayName // not managed: shown as it is
	}
	pc := &Change{Address: poolAddress(s.PoolID), Kind: KindWIFPool, Action: ActionNoop, Before: poolState(live.Pool), After: after}
	switch lp := live.Pool; {
	case lp == nil && live.WIFUnknown:
		pc.Action, pc.Reason = ActionCreate, "the IAM API is off, so the pool could not be read: an existing one is adopted"
	case lp == nil:
		pc.Action = ActionCreate
	case lp.State == gcp.StateDeleted:
		pc.Action, pc.Reason = ActionUpdate, "soft-deleted (DELETED until "+lp.ExpireTime+"): undeleted"
	case lp.Disabled:
		pc.Action, pc.Reason = ActionUpdate, "disabled: re-enabled"
	case s.PoolDisplayName != "" && lp.DisplayName != s.PoolDisplayName:
		pc.Action, pc.Reason = ActionUpdate, "display name changed"
	}

	want := s.Provider
	vc := &Change{Address: providerAddress(s), Kind: KindWIFProvider, Action: ActionNoop,
		After: providerState(&want, s.ProviderName, gcp.StateActive)}
	if lv := live.Provider; lv != nil {
		vc.Before = providerState(lv, lv.Name, lv.State)
	}
	switch lv := live.Provider; {
	case lv == nil && live.WIFUnknown:
		vc.Action, vc.Reason = ActionCreate, "the IAM API is off, so the provider could not be read: an existing one is adopted"
	case lv == nil:
		vc.Action = ActionCreate
	default:
		var why []string
		if lv.State == gcp.StateDeleted {
			why = append(why, "soft-deleted: undeleted")
		}
		if lv.Disabled {
			why = append(why, "disabled: re-enabled")
		}
		for _, f := range providerDrift(lv, &want) {
			why = append(why, f+" changed")
		}
		if len(why) > 0 {
			vc.Action, vc.Reason = ActionUpdate, strings.Join(why, "; ")
		}
	}
	return []*Change{pc, vc}
}

// providerDrift lists the update mask paths where live differs from want.
func providerDrift(live, want *gcp.WorkloadIdentityProvider) []string {
	var out []string
	if live.IssuerURI != want.IssuerURI {
		out = append(out, gcp.MaskIssuerURI)
	}
	if !slices.Equal(live.AllowedAudiences, want.AllowedAudiences) && len(live.AllowedAudiences)+len(want.AllowedAudiences) > 0 {
		out = append(out, gcp.MaskAllowedAudiences)
	}
	if !maps.Equal(live.AttributeMapping, want.AttributeMapping) {
		out = append(out, gcp.MaskAttributeMapping)
	}
	if strings.TrimSpace(live.AttributeCondition) != strings.TrimSpace(want.AttributeCondition) {
		out = append(out, gcp.MaskAttributeCondition)
	}
	if live.JWKSJSON != want.JWKSJSON {
		out = append(out, gcp.MaskJWKSJSON)
	}
	return out
}

// wifTeardownChanges soft-deletes the provider and the pool (active ones).
func wifTeardownChanges(d *Desired, live *Live) []*Change {
	s := d.WIF
	owned := func(desc string) bool {
		m, ok := ParseMark(desc)
		return ok && m.Federation == d.Name
	}
	vc := &Change{Address: providerAddress(s), Kind: KindWIFProvider, Action: ActionNoop}
	if lv := live.Provider; lv != nil {
		vc.Before = providerState(lv, lv.Name, lv.State)
		if !owned(lv.Description) {
			vc.After, vc.Reason = vc.Before, AdoptedReason
		} else if lv.State != gcp.StateDeleted {
			vc.Action, vc.Reason = ActionDelete, "soft-deleted: restorable for 30 days"
			vc.After = providerState(lv, lv.Name, gcp.StateDeleted)
		} else {
			vc.After, vc.Reason = vc.Before, "already deleted"
		}
	} else {
		vc.Reason = "does not exist"
	}
	pc := &Change{Address: poolAddress(s.PoolID), Kind: KindWIFPool, Action: ActionNoop}
	if lp := live.Pool; lp != nil {
		pc.Before = poolState(lp)
		if !owned(lp.Description) {
			pc.After, pc.Reason = pc.Before, AdoptedReason
		} else if lp.State != gcp.StateDeleted {
			after := *pc.Before.(*PoolState)
			after.State = gcp.StateDeleted
			pc.Action, pc.Reason, pc.After = ActionDelete, "soft-deleted: restorable for 30 days", &after
		} else {
			pc.After, pc.Reason = pc.Before, "already deleted"
		}
	} else {
		pc.Reason = "does not exist"
	}
	return []*Change{vc, pc}
}

// readWIF reads the pool and the provider into live (absent: nil; IAM
// disabled: unknown).
func (e *Engine) readWIF(ctx context.Context, s *WIFSpec, live *Live) error {
	return e.call(ctx, func() error {
		p, err := e.c.GetPool(ctx, s.PoolName)
		switch {
		case gcp.IsServiceDisabled(err):
			live.WIFUnknown = true
			return nil
		case gcp.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("reading pool %s: %w", s.PoolID, err)
		}
		live.Pool = p
		v, err := e.c.GetProvider(ctx, s.ProviderName)
		switch {
		case gcp.IsNotFound(err):
			return nil
		case err != nil:
			return fmt.Errorf("reading provider %s: %w", s.ProviderID, err)
		}
		live.Provider = v
		return nil
	})
}

// poolStep creates, undeletes or re-enables the pool.
func (e *Engine) poolStep(c *Change, d *Desired) step {
	s := d.WIF
	return step{name: verbFor(c.Action) + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		want := &gcp.WorkloadIdentityPool{DisplayName: s.PoolDisplayName, Description: s.PoolDescription}
		if c.Action == ActionCreate {
			err := e.c.CreatePool(ctx, d.Project, s.PoolID, want)
			if !gcp.IsAlreadyExists(err) {
				return err
			}
			// Unread, or soft-deleted: converge on what is there.
		}
		cur, err := e.c.GetPool(ctx, s.PoolName)
		if err != nil {
			return err
		}
		if cur.State == gcp.StateDeleted {
			if err := e.c.UndeletePool(ctx, s.PoolName); err != nil {
				return err
			}
		}
		var mask []string
		if cur.Disabled {
			mask = append(mask, gcp.MaskDisabled)
		}
		if s.PoolDisplayName != "" && cur.DisplayName != s.PoolDisplayName {
			mask = append(mask, gcp.MaskDisplayName)
		}
		if len(mask) == 0 {
			return nil
		}
		return e.c.UpdatePool(ctx, s.PoolName, want, mask)
	}}
}

// providerStep creates, undeletes, re-enables or updates the provider.
func (e *Engine) providerStep(c *Change, d *Desired) step {
	s := d.WIF
	return step{name: verbFor(c.Action) + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		want := s.Provider
		if c.Action == ActionCreate {
			err := e.c.CreateProvider(ctx, s.PoolName, s.ProviderID, &want)
			if !gcp.IsAlreadyExists(err) {
				return err
			}
		}
		cur, err := e.c.GetProvider(ctx, s.ProviderName)
		if err != nil {
			return err
		}
		if cur.State == gcp.StateDeleted {
			if err := e.c.UndeleteProvider(ctx, s.ProviderName); err != nil {
				return err
			}
		}
		mask := providerDrift(cur, &want)
		if cur.Disabled {
			mask = append(mask, gcp.MaskDisabled)
		}
		if len(mask) == 0 {
			return nil
		}
		return e.c.UpdateProvider(ctx, s.ProviderName, &want, mask)
	}}
}

// wifDeleteStep soft-deletes the provider or the pool.
func (e *Engine) wifDeleteStep(c *Change, d *Desired) step {
	return step{name: "delete " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		var err error
		if c.Kind == KindWIFProvider {
			err = e.c.DeleteProvider(ctx, d.WIF.ProviderName)
		} else {
			err = e.c.DeletePool(ctx, d.WIF.PoolName)
		}
		if gcp.IsNotFound(err) {
			return nil
		}
		return err
	}}
}

func verbFor(a Action) string {
	if a == ActionCreate {
		return "create "
	}
	return "update "
}

// WIFOutputs are the three values an integrator pastes (Gumloop's guide
// asks for exactly these), plus what a credential configuration needs.
type WIFOutputs struct {
	ProjectNumber  string `json:"project_number"`
	Provider       string `json:"provider"` // the full provider resource name
	ServiceAccount string `json:"service_account,omitempty"`
	Audience       string `json:"audience"`
	Member         string `json:"member"`
	CredConfigFile string `json:"cred_config_file,omitempty"`
	// Project is the project ID (a workflow's bq commands name it).
	Project string `json:"project_id"`
	// GitHub: the provider trusts GitHub Actions' issuer; GitHubActions is
	// then the YAML a job needs (permissions and the auth step).
	GitHub        bool   `json:"-"`
	GitHubActions string `json:"github_actions,omitempty"`
	WorkflowFile  string `json:"workflow_file,omitempty"`
}

// WIFOutputs returns the wif values of a plan's desired state (nil in other
// modes).
func (d *Desired) WIFOutputs() *WIFOutputs {
	if d.WIF == nil {
		return nil
	}
	out := &WIFOutputs{ProjectNumber: d.ProjectNumber, Provider: d.WIF.ProviderName, Audience: d.WIF.Audience, Member: d.WIF.Member}
	if d.WIF.Target != nil {
		out.ServiceAccount = d.WIF.Target.Email
	}
	out.Project = d.Project
	if d.WIF.Provider.IssuerURI == wif.GitHubIssuerURI {
		out.GitHub = true
		out.GitHubActions = string(wif.GitHubJobSnippet(out.Provider, out.ServiceAccount))
	}
	return out
}

// RenderWIFOutputs writes the integration values block.
func RenderWIFOutputs(tw *errWriter, w *WIFOutputs, cs *iostreams.ColorScheme) {
	tw.printf("\n%s\n", cs.Bold("Integration values (paste these into the workload's settings)"))
	tw.printf("  project number:  %s\n", w.ProjectNumber)
	tw.printf("  provider:        %s\n", w.Provider)
	if w.ServiceAccount != "" {
		tw.printf("  service account: %s\n", w.ServiceAccount)
	} else {
		tw.printf("  service account: (none: direct federation, roles granted to %s)\n", w.Member)
	}
	tw.printf("  audience:        %s\n", w.Audience)
	if w.CredConfigFile != "" {
		tw.printf("  credential file: %s\n", w.CredConfigFile)
	}
	if w.WorkflowFile != "" {
		tw.printf("  workflow file:   %s\n", w.WorkflowFile)
	}
	if w.GitHubActions != "" {
		tw.printf("\n%s\n", cs.Bold("GitHub Actions (add to the job that queries BigQuery)"))
		for _, line := range strings.SplitAfter(strings.TrimRight(w.GitHubActions, "\n"), "\n") {
			tw.printf("  %s", line)
		}
		tw.printf("\n")
	}
}

func renderPool(tw *errWriter, c *Change, st *PoolState) {
	if b, ok := c.Before.(*PoolState); ok && b != nil && b.State != st.State {
		tw.printf("        state: %s → %s\n", b.State, st.State)
	} else {
		tw.printf("        state: %s\n", st.State)
	}
	tw.printf("        name:  %s\n", st.Name)
}

// renderProvider shows the provider, and for an update each drifted field
// as before → after.
func renderProvider(tw *errWriter, c *Change, st *ProviderState, cs *iostreams.ColorScheme) {
	b, _ := c.Before.(*ProviderState)
	if c.Action != ActionUpdate || b == nil {
		tw.printf("        issuer:    %s\n", st.IssuerURI)
		tw.printf("        mapping:   %s\n", config.FormatAttributeMapping(st.AttributeMapping))
		tw.printf("        condition: %s\n", orNone(st.AttributeCondition))
		if len(st.AllowedAudiences) > 0 {
			tw.printf("        audiences: %s\n", strings.Join(st.AllowedAudiences, ", "))
		}
		if st.JWKS != "" {
			tw.printf("        jwks:      %s\n", st.JWKS)
		}
		return
	}
	field := func(name, before, after string) {
		if before != after {
			tw.printf("      %s %s: %s → %s\n", cs.Yellow("~"), name, orNone(before), orNone(after))
		}
	}
	field("state", b.State, st.State)
	field("disabled", fmt.Sprint(b.Disabled), fmt.Sprint(st.Disabled))
	field("issuer_uri", b.IssuerURI, st.IssuerURI)
	field("allowed_audiences", strings.Join(b.AllowedAudiences, ","), strings.Join(st.AllowedAudiences, ","))
	field("attribute_mapping", config.FormatAttributeMapping(b.AttributeMapping), config.FormatAttributeMapping(st.AttributeMapping))
	field("attribute_condition", b.AttributeCondition, st.AttributeCondition)
	field("jwks", b.JWKS, st.JWKS)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

// RenderWIFOutputsTo writes the integration values block to w (setup with
// nothing to apply still shows them).
func RenderWIFOutputsTo(w io.Writer, out *WIFOutputs, cs *iostreams.ColorScheme) error {
	tw := &errWriter{w: w}
	RenderWIFOutputs(tw, out, cs)
	return tw.err
}
