package verify

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/fedctl/fedctl/gcp"
)

// CheckMemberDomain: in oauth mode the data roles go to the users' own
// accounts, which the organization policy iam.allowedPolicyMemberDomains
// (domain restricted sharing) may refuse. The row appears only when the
// effective policy can be read and restricts members at all.
const CheckMemberDomain = "member_domain_allowed"

func init() { titles[CheckMemberDomain] = "domain allowed" }

// domainPolicy is the project's effective allowedPolicyMemberDomains,
// read once per run; nil when unreadable or unrestricted.
type domainPolicy struct {
	once sync.Once
	p    *gcp.OrgPolicy
}

func (r *runner) memberDomainPolicy(ctx context.Context) *gcp.OrgPolicy {
	r.domains.once.Do(func() {
		p, err := r.c.GetEffectivePolicy(ctx, r.project, gcp.ConstraintAllowedPolicyMemberDomains)
		if err == nil && p.Restricts() {
			r.domains.p = p
		}
	})
	return r.domains.p
}

// memberDomainRow checks email's domain against the policy; ok=false when
// there is no row to show.
func (r *runner) memberDomainRow(ctx context.Context, email string) (Check, bool) {
	p := r.memberDomainPolicy(ctx)
	if p == nil {
		return Check{}, false
	}
	c := Check{Scope: ScopeUser, Name: CheckMemberDomain, Subject: email}
	_, domain, _ := strings.Cut(email, "@")
	var allowed []string
	customers := false
	for _, rule := range p.Rules {
		for _, v := range rule.Allowed {
			v = strings.TrimPrefix(v, "is:")
			allowed = append(allowed, v)
			// Google lists Workspace customer IDs (C0…), which cannot be
			// mapped to a domain without the Admin SDK.
			customers = customers || !strings.Contains(v, ".")
		}
	}
	fix := fmt.Sprintf("ask an organization policy administrator to allow %s's customer in iam.allowedPolicyMemberDomains on %s (or a parent), or use accounts of an allowed domain", domain, r.project)
	switch {
	case p.Allows(domain) || p.Allows(strings.ToLower(domain)):
		set(&c, Pass, fmt.Sprintf("%s is allowed by iam.allowedPolicyMemberDomains", domain), "")
	case customers:
		set(&c, Warn, fmt.Sprintf("iam.allowedPolicyMemberDomains restricts members to %s: make sure %s belongs to one of them", strings.Join(allowed, ", "), email), fix)
	default:
		set(&c, Fail, fmt.Sprintf("iam.allowedPolicyMemberDomains allows only %s: roles cannot be granted to %s", strings.Join(allowed, ", "), email), fix)
	}
	return c, true
}
