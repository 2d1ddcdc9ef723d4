package emulator

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	orgpolicy "google.golang.org/api/orgpolicy/v2"
)

// Organization Policy API v2 (orgpolicy.googleapis.com), project scope:
// policies.create/get/patch/delete/list and getEffectivePolicy. The sandbox
// has no organization, so a project's effective policy is its own policy
// or, when none is set, the constraint's default. Policies live in the
// state (feature "orgpolicy"), settable through the API or, for
// rehearsals, `fedctl sandbox org-policy set` (SetOrgPolicy).
//
// The emulator enforces the four constraints SPEC §7.3 names on the writes
// they govern (enforcement points: iam_keys.go keyCreate, crm.go and
// iam_serviceaccounts.go setIamPolicy, wif_pools.go provider create/patch,
// iamcredentials.go generateAccessToken), with Google's error bodies.

// Constraint names (without the "constraints/" prefix), as in policy names.
const (
	ConstraintDisableKeyCreation        = "iam.disableServiceAccountKeyCreation"
	ConstraintManagedDisableKeyCreation = "iam.managed.disableServiceAccountKeyCreation"
	ConstraintAllowedPolicyMemberDomain = "iam.allowedPolicyMemberDomains"
	ConstraintWIFPoolProviders          = "iam.workloadIdentityPoolProviders"
	ConstraintLifetimeExtension         = "iam.allowServiceAccountCredentialLifetimeExtension"
)

const orgPolicyFeature = "orgpolicy"

// booleanConstraints are enforce/not-enforce; the others are list constraints.
var booleanConstraints = map[string]bool{ConstraintDisableKeyCreation: true, ConstraintManagedDisableKeyCreation: true}

// OrgPolicyRule is one rule of a policy spec (Google's PolicyRule fields).
type OrgPolicyRule struct {
	Enforce       *bool    `json:"enforce,omitempty"`
	AllowAll      bool     `json:"allowAll,omitempty"`
	DenyAll       bool     `json:"denyAll,omitempty"`
	AllowedValues []string `json:"allowedValues,omitempty"`
	DeniedValues  []string `json:"deniedValues,omitempty"`
	// Condition limits the rule to the resources it matches (Org Policy v2
	// PolicySpec.PolicyRule.condition, a google.type.Expr on tags). The
	// sandbox has no tags: it stores and returns conditions but a
	// conditional rule never applies to its resources.
	Condition *OrgPolicyCondition `json:"condition,omitempty"`
}

// OrgPolicyCondition is google.type.Expr.
type OrgPolicyCondition struct {
	Expression  string `json:"expression,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Location    string `json:"location,omitempty"`
}

type orgPolicyStored struct {
	Rules []OrgPolicyRule `json:"rules"`
	// DryRunSpec is the policy's audit-only spec, stored and returned as
	// sent, never enforced (Policy.dryRunSpec).
	DryRunSpec *orgpolicy.GoogleCloudOrgpolicyV2PolicySpec `json:"dryRunSpec,omitempty"`
	Etag       string                                      `json:"etag"`
	UpdateTime time.Time                                   `json:"updateTime"`
}

// orgPolicies: project ID → constraint → policy.
type orgPolicies map[string]map[string]*orgPolicyStored

func loadOrgPolicies(st *State) orgPolicies {
	var ops orgPolicies
	if err := st.GetExt(orgPolicyFeature, &ops); err != nil || ops == nil {
		ops = orgPolicies{}
	}
	return ops
}

// SetOrgPolicy sets (rules non-empty) or clears (rules empty) the policy of
// constraint on project in st: the `fedctl sandbox org-policy` way.
func SetOrgPolicy(st *State, project, constraint string, rules []OrgPolicyRule, now time.Time) error {
	return setOrgPolicy(st, project, constraint, rules, nil, now)
}

func setOrgPolicy(st *State, project, constraint string, rules []OrgPolicyRule, dryRun *orgpolicy.GoogleCloudOrgpolicyV2PolicySpec, now time.Time) error {
	p := st.ProjectByIDOrNumber(project)
	if p == nil {
		return fmt.Errorf("no project %s in the sandbox", project)
	}
	constraint = strings.TrimPrefix(constraint, "constraints/")
	ops := loadOrgPolicies(st)
	if len(rules) == 0 {
		delete(ops[p.ID], constraint)
	} else {
		if ops[p.ID] == nil {
			ops[p.ID] = map[string]*orgPolicyStored{}
		}
		ops[p.ID][constraint] = &orgPolicyStored{Rules: rules, DryRunSpec: dryRun, Etag: newEtag(), UpdateTime: now}
	}
	return st.PutExt(orgPolicyFeature, ops)
}

// OrgPolicies lists the policies set on project, by constraint.
func OrgPolicies(st *State, project string) map[string][]OrgPolicyRule {
	out := map[string][]OrgPolicyRule{}
	p := st.ProjectByIDOrNumber(project)
	if p == nil {
		return out
	}
	for k, v := range loadOrgPolicies(st)[p.ID] {
		out[k] = v.Rules
	}
	return out
}

func init() {
	registerAPI(func(s *Server) {
		const p = "orgpolicy.projects.policies."
		const pols = `^/v2/projects/([^/]+)/policies`
		for _, r := range []*route{
			{Method: "GET", Pattern: pols + `/([^/:]+):getEffectivePolicy$`, Name: p + "getEffectivePolicy", Handler: orgPolicyGetEffective},
			{Method: "GET", Pattern: pols + `/([^/:]+)$`, Name: p + "get", Handler: orgPolicyGet},
			{Method: "GET", Pattern: pols + `$`, Name: p + "list", Handler: orgPolicyList},
			{Method: "POST", Pattern: pols + `$`, Name: p + "create", Mutates: true, Handler: orgPolicyCreate},
			{Method: "PATCH", Pattern: pols + `/([^/:]+)$`, Name: p + "patch", Mutates: true, Handler: orgPolicyPatch},
			{Method: "DELETE", Pattern: pols + `/([^/:]+)$`, Name: p + "delete", Mutates: true, Handler: orgPolicyDelete},
		} {
			r.Service = "orgpolicy"
			s.handle(r)
		}
	})
}

// orgPolicyProject is the project the request names; a missing one is the
// 403 Org Policy gives for projects the caller cannot see. (The permission
// itself is checked by routePermissions before the handler runs.)
func orgPolicyProject(c *call) (*Project, error) {
	p := c.st.ProjectByIDOrNumber(c.args[0])
	if p == nil {
		return nil, &apiError{HTTP: 403, Status: "PERMISSION_DENIED", Message: "The caller does not have permission"}
	}
	return p, nil
}

func orgPolicyName(p *Project, constraint string) string {
	return "projects/" + p.Number + "/policies/" + constraint
}

func orgPolicyWire(p *Project, constraint string, sp *orgPolicyStored) *orgpolicy.GoogleCloudOrgpolicyV2Policy {
	spec := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpec{Etag: sp.Etag}
	if !sp.UpdateTime.IsZero() {
		spec.UpdateTime = sp.UpdateTime.UTC().Format(time.RFC3339Nano)
	}
	for _, r := range sp.Rules {
		wr := &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRule{AllowAll: r.AllowAll, DenyAll: r.DenyAll}
		if r.Enforce != nil {
			wr.Enforce = *r.Enforce
			wr.ForceSendFields = []string{"Enforce"}
		}
		if len(r.AllowedValues) > 0 || len(r.DeniedValues) > 0 {
			wr.Values = &orgpolicy.GoogleCloudOrgpolicyV2PolicySpecPolicyRuleStringValues{AllowedValues: r.AllowedValues, DeniedValues: r.DeniedValues}
		}
		if e := r.Condition; e != nil {
			wr.Condition = &orgpolicy.GoogleTypeExpr{Expression: e.Expression, Title: e.Title, Description: e.Description, Location: e.Location}
		}
		spec.Rules = append(spec.Rules, wr)
	}
	return &orgpolicy.GoogleCloudOrgpolicyV2Policy{Name: orgPolicyName(p, constraint), Spec: spec, DryRunSpec: sp.DryRunSpec, Etag: sp.Etag}
}

// defaultOrgPolicy is a constraint's default when no policy is set: boolean
// constraints not enforced; list constraints allow all, except the lifetime
// extension, whose default allows no service account (docs: "By default,
// the maximum lifetime for these access tokens is 1 hour").
func defaultOrgPolicy(constraint string) *orgPolicyStored {
	f := false
	switch {
	case booleanConstraints[constraint]:
		return &orgPolicyStored{Rules: []OrgPolicyRule{{Enforce: &f}}}
	case constraint == ConstraintLifetimeExtension:
		return &orgPolicyStored{Rules: []OrgPolicyRule{{DenyAll: true}}}
	}
	return &orgPolicyStored{Rules: []OrgPolicyRule{{AllowAll: true}}}
}

func knownConstraint(c string) bool {
	switch c {
	case ConstraintDisableKeyCreation, ConstraintManagedDisableKeyCreation, ConstraintAllowedPolicyMemberDomain,
		ConstraintWIFPoolProviders, ConstraintLifetimeExtension:
		return true
	}
	// Other constraints are stored and served, never enforced.
	return strings.HasPrefix(c, "iam.") || strings.HasPrefix(c, "gcp.") || strings.HasPrefix(c, "compute.") || strings.HasPrefix(c, "storage.")
}

// effective returns the stored policy of constraint on p, or its default.
func effectiveOrgPolicy(st *State, p *Project, constraint string) *orgPolicyStored {
	if sp := loadOrgPolicies(st)[p.ID][constraint]; sp != nil {
		return sp
	}
	return defaultOrgPolicy(constraint)
}

// enforced reports whether a boolean constraint is enforced (conditional
// rules never match the sandbox's untagged resources).
func (sp *orgPolicyStored) enforced() bool {
	for _, r := range sp.Rules {
		if r.Enforce != nil && *r.Enforce && r.Condition == nil {
			return true
		}
	}
	return false
}

// allows evaluates a list constraint for value (Google: denied values win,
// then allowAll/denyAll, then allowedValues when any are listed).
func (sp *orgPolicyStored) allows(value string) bool {
	anyAllowed := false
	for _, r := range sp.Rules {
		if r.Condition == nil && (slices.Contains(r.DeniedValues, value) || r.DenyAll) {
			return false
		}
	}
	for _, r := range sp.Rules {
		if r.Condition != nil {
			continue
		}
		if r.AllowAll || slices.Contains(r.AllowedValues, value) {
			return true
		}
		anyAllowed = anyAllowed || len(r.AllowedValues) > 0
	}
	return !anyAllowed
}

func orgPolicyGetEffective(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	constraint := c.args[1]
	if !knownConstraint(constraint) {
		return nil, errInvalid(fmt.Sprintf("Constraint constraints/%s is not supported.", constraint))
	}
	sp := effectiveOrgPolicy(c.st, p, constraint)
	w := orgPolicyWire(p, constraint, &orgPolicyStored{Rules: sp.Rules})
	w.Etag, w.Spec.Etag = "", ""
	return w, nil
}

func orgPolicyGet(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	sp := loadOrgPolicies(c.st)[p.ID][c.args[1]]
	if sp == nil {
		return nil, errNotFound(fmt.Sprintf("Requested entity was not found."))
	}
	return orgPolicyWire(p, c.args[1], sp), nil
}

func orgPolicyList(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	ops := loadOrgPolicies(c.st)[p.ID]
	out := &orgpolicy.GoogleCloudOrgpolicyV2ListPoliciesResponse{}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out.Policies = append(out.Policies, orgPolicyWire(p, k, ops[k]))
	}
	return out, nil
}

// orgPolicyBody is a decoded create/patch body.
type orgPolicyBody struct {
	constraint string
	rules      []OrgPolicyRule
	dryRun     *orgpolicy.GoogleCloudOrgpolicyV2PolicySpec
	etag       string
}

func decodeOrgPolicy(c *call, p *Project) (*orgPolicyBody, error) {
	var in orgpolicy.GoogleCloudOrgpolicyV2Policy
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	constraint, rules, etag, err := orgPolicyRulesOf(&in, p)
	if err != nil {
		return nil, err
	}
	return &orgPolicyBody{constraint: constraint, rules: rules, dryRun: in.DryRunSpec, etag: etag}, nil
}

// orgPolicyRulesOf reads a Policy body into rules and the constraint its name names.
func orgPolicyRulesOf(in *orgpolicy.GoogleCloudOrgpolicyV2Policy, p *Project) (string, []OrgPolicyRule, string, error) {
	i := strings.LastIndex(in.Name, "/policies/")
	if i < 0 || in.Name[i+len("/policies/"):] == "" {
		return "", nil, "", errInvalid("Policy name must be of the form projects/{project}/policies/{constraint}.")
	}
	owner := strings.TrimPrefix(in.Name[:i], "projects/")
	if owner != p.ID && owner != p.Number {
		return "", nil, "", errInvalid(fmt.Sprintf("Policy name %s does not match its parent.", in.Name))
	}
	constraint := in.Name[i+len("/policies/"):]
	if !knownConstraint(constraint) {
		return "", nil, "", errInvalid(fmt.Sprintf("Constraint constraints/%s is not supported.", constraint))
	}
	var rules []OrgPolicyRule
	if in.Spec != nil {
		for _, r := range in.Spec.Rules {
			if r == nil {
				continue
			}
			or := OrgPolicyRule{AllowAll: r.AllowAll, DenyAll: r.DenyAll}
			if booleanConstraints[constraint] {
				e := r.Enforce
				or.Enforce = &e
			} else if r.Enforce {
				return "", nil, "", errInvalid(fmt.Sprintf("Enforce is only allowed in rules of boolean constraints; constraints/%s is a list constraint.", constraint))
			}
			if r.Values != nil {
				or.AllowedValues, or.DeniedValues = r.Values.AllowedValues, r.Values.DeniedValues
			}
			if e := r.Condition; e != nil {
				or.Condition = &OrgPolicyCondition{Expression: e.Expression, Title: e.Title, Description: e.Description, Location: e.Location}
			}
			rules = append(rules, or)
		}
	}
	if len(rules) == 0 {
		return "", nil, "", errInvalid("Policy spec must contain at least one rule.")
	}
	return constraint, rules, in.Etag, nil
}

func orgPolicyCreate(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	b, err := decodeOrgPolicy(c, p)
	if err != nil {
		return nil, err
	}
	constraint := b.constraint
	if loadOrgPolicies(c.st)[p.ID][constraint] != nil {
		return nil, errAlreadyExists(fmt.Sprintf("Policy already exists on '%s'.", orgPolicyName(p, constraint)))
	}
	if err := setOrgPolicy(c.st, p.ID, constraint, b.rules, b.dryRun, c.now); err != nil {
		return nil, err
	}
	return orgPolicyWire(p, constraint, loadOrgPolicies(c.st)[p.ID][constraint]), nil
}

func orgPolicyPatch(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	b, err := decodeOrgPolicy(c, p)
	if err != nil {
		return nil, err
	}
	constraint, etag := b.constraint, b.etag
	if constraint != c.args[1] {
		return nil, errInvalid("The policy name in the body does not match the URL.")
	}
	cur := loadOrgPolicies(c.st)[p.ID][constraint]
	if cur == nil {
		return nil, errNotFound(fmt.Sprintf("Policy for constraint '%s' on '%s' does not exist.", constraint, "projects/"+p.Number))
	}
	if etag != "" && etag != cur.Etag {
		return nil, &apiError{HTTP: 409, Status: "ABORTED", Message: "The etag of the policy does not match the current etag."}
	}
	if err := setOrgPolicy(c.st, p.ID, constraint, b.rules, b.dryRun, c.now); err != nil {
		return nil, err
	}
	return orgPolicyWire(p, constraint, loadOrgPolicies(c.st)[p.ID][constraint]), nil
}

func orgPolicyDelete(c *call) (any, error) {
	p, err := orgPolicyProject(c)
	if err != nil {
		return nil, err
	}
	if loadOrgPolicies(c.st)[p.ID][c.args[1]] == nil {
		return nil, errNotFound("Requested entity was not found.")
	}
	return nil, SetOrgPolicy(c.st, p.ID, c.args[1], nil, c.now)
}

// ---- enforcement on the writes the constraints govern ----

// orgPolicyViolation is Google's refusal of a write an org policy forbids:
// 400 FAILED_PRECONDITION with a google.rpc.PreconditionFailure naming the
// constraint (issue google-github-actions/auth#201 for providers;
// terraform-example-foundation#1454 for allowedPolicyMemberDomains).
func orgPolicyViolation(msg, reason, constraint, subject, description string) *apiError {
	return &apiError{HTTP: http.StatusBadRequest, Status: "FAILED_PRECONDITION", Message: msg, Reason: reason,
		Details: []map[string]any{{
			"@type": "type.googleapis.com/google.rpc.PreconditionFailure",
			"violations": []map[string]string{{
				"type": "constraints/" + constraint, "subject": subject, "description": description,
			}},
		}}}
}

// checkKeyCreation: SPEC §7.3's exact refusal of a user-managed key while
// either key-creation constraint is enforced.
func (c *call) checkKeyCreation(p *Project, sa *ServiceAccount) error {
	for _, k := range []string{ConstraintDisableKeyCreation, ConstraintManagedDisableKeyCreation} {
		if effectiveOrgPolicy(c.st, p, k).enforced() {
			const msg = "Key creation is not allowed on this service account."
			e := orgPolicyViolation(msg, "", ConstraintDisableKeyCreation, "projects/"+p.ID+"/serviceAccounts/"+sa.Email, msg)
			if k == ConstraintManagedDisableKeyCreation {
				e.Details[0]["violations"].([]map[string]string)[0]["type"] = "constraints/" + k
			}
			return e
		}
	}
	return nil
}

// checkMemberDomains refuses members added to a policy on p whose domain
// the allowedPolicyMemberDomains constraint does not allow. Existing members
// are kept (the constraint is not retroactive). The sandbox has no Cloud
// Identity customers, so allowed values are matched against the member's
// email domain (or a "domain:" member's value), case-insensitively; service
// accounts of the sandbox's projects and workload identity principals
// belong to the organization and always pass.
func (c *call) checkMemberDomains(p *Project, cur, next *Policy) error {
	sp := effectiveOrgPolicy(c.st, p, ConstraintAllowedPolicyMemberDomain)
	if loadOrgPolicies(c.st)[p.ID][ConstraintAllowedPolicyMemberDomain] == nil {
		return nil
	}
	had := map[string]bool{}
	if cur != nil {
		for _, b := range cur.Bindings {
			for _, m := range b.Members {
				had[m] = true
			}
		}
	}
	for _, b := range next.Bindings {
		for _, m := range b.Members {
			if had[m] || memberInOrganization(c.st, m) {
				continue
			}
			if d := memberDomain(m); d != "" && sp.allowsFold(d) {
				continue
			}
			email := m
			if _, v, ok := strings.Cut(m, ":"); ok {
				email = v
			}
			return orgPolicyViolation("One or more users named in the policy do not belong to a permitted customer,  perhaps due to an organization policy.",
				"failedPrecondition", ConstraintAllowedPolicyMemberDomain,
				"orgpolicy:projects/"+p.ID+"?configvalue="+email,
				fmt.Sprintf("User %s is not in permitted organization.", email))
		}
	}
	return nil
}

func (sp *orgPolicyStored) allowsFold(v string) bool {
	return sp.allows(strings.ToLower(v)) || sp.allows(v)
}

// MemberDomain is the domain an allow-policy member belongs to for
// iam.allowedPolicyMemberDomains ("" for allUsers and the like).
func memberDomain(m string) string {
	typ, v, ok := strings.Cut(m, ":")
	if !ok {
		return ""
	}
	if typ == "domain" {
		return strings.ToLower(v)
	}
	if i := strings.LastIndex(v, "@"); i >= 0 {
		return strings.ToLower(v[i+1:])
	}
	return ""
}

// memberInOrganization: SAs of the sandbox's projects and federated
// principals (they live in the project's pools) pass the domain check.
func memberInOrganization(st *State, m string) bool {
	if strings.HasPrefix(m, "principal://") || strings.HasPrefix(m, "principalSet://") || strings.HasPrefix(m, "deleted:") {
		return true
	}
	if email, ok := strings.CutPrefix(m, "serviceAccount:"); ok {
		if proj, ok := saProjectOf(email); ok && st.ProjectByIDOrNumber(proj) != nil {
			return true
		}
	}
	return false
}

// checkProviderIssuer refuses a provider whose issuer the
// workloadIdentityPoolProviders constraint does not allow (the error
// google-github-actions/auth#201 shows from gcloud).
func (c *call) checkProviderIssuer(p *Project, poolID, issuer string) error {
	sp := effectiveOrgPolicy(c.st, p, ConstraintWIFPoolProviders)
	if sp.allows(issuer) || sp.allows(strings.TrimSuffix(issuer, "/")) {
		return nil
	}
	return orgPolicyViolation("Precondition check failed.", "", ConstraintWIFPoolProviders,
		"orgpolicy:projects/"+p.ID+"/locations/global/workloadIdentityPools/"+poolID,
		fmt.Sprintf("Org Policy violated for value: '%s'.", issuer))
}

// lifetimeExtensionAllowed: may sa be issued tokens living longer than 1h?
func (c *call) lifetimeExtensionAllowed(p *Project, sa *ServiceAccount) bool {
	return p != nil && sa != nil && effectiveOrgPolicy(c.st, p, ConstraintLifetimeExtension).allows(sa.Email)
}
