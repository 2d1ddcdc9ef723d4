package config

import (
	"fmt"
	"strings"
)

const iamHost = "//iam.googleapis.com/"

// Wildcard reports whether the principal set is the whole pool ("*"): any
// identity the provider admits could impersonate the target SA. The engine
// refuses it unless forced (--allow-wildcard).
func (w WIF) Wildcard() bool {
	if w.Principal != "" && w.PrincipalSet == "" {
		return false
	}
	rel, _ := relativeToPool(w.PrincipalSet, "principalSet:")
	return rel == "*" || strings.HasSuffix(rel, "/*")
}

// MissingCondition reports whether the provider has no attribute
// condition, so every token the issuer signs is admitted (for a
// multi-tenant issuer, tokens of other tenants too).
func (w WIF) MissingCondition() bool {
	return strings.TrimSpace(w.Provider.AttributeCondition) == ""
}

// PoolName is the pool's resource name. IAM uses the project NUMBER in
// workload identity resource names and members.
func (w WIF) PoolName(projectNumber string) string {
	return fmt.Sprintf("projects/%s/locations/global/workloadIdentityPools/%s", projectNumber, w.Pool.ID)
}

// ProviderName is the provider's resource name.
func (w WIF) ProviderName(projectNumber string) string {
	return w.PoolName(projectNumber) + "/providers/" + w.Provider.ID
}

// Audience is the default STS audience for the provider
// (//iam.googleapis.com/projects/N/…/providers/ID).
func (w WIF) Audience(projectNumber string) string {
	return iamHost + w.ProviderName(projectNumber)
}

// Member is the IAM member that may impersonate the target SA (or, with
// Direct, receives the data roles): principalSet://…/attribute.NAME/VALUE,
// or principal://…/subject/SUB when Principal is set.
func (w WIF) Member(projectNumber string) string {
	prefix := iamHost + w.PoolName(projectNumber) + "/"
	if w.PrincipalSet == "" && w.Principal != "" {
		rel, _ := relativeToPool(w.Principal, "principal:")
		return "principal:" + prefix + rel
	}
	rel, _ := relativeToPool(w.PrincipalSet, "principalSet:")
	return "principalSet:" + prefix + rel
}

// TargetEmail is the target SA's email ("" in direct mode).
func (w WIF) TargetEmail(project string) string {
	if w.Direct || w.ServiceAccount == "" {
		return ""
	}
	return ServiceAccountEmail(w.ServiceAccount, project)
}

// relativeToPool strips a full member URI
// (principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/REST)
// down to REST and returns the POOL it named ("" for a relative value).
func relativeToPool(v, scheme string) (rel, pool string) {
	if !strings.HasPrefix(v, scheme+iamHost) {
		return v, ""
	}
	parts := strings.SplitN(strings.TrimPrefix(v, scheme+iamHost), "/", 7)
	// projects N locations global workloadIdentityPools POOL REST
	if len(parts) < 7 || parts[0] != "projects" || parts[2] != "locations" || parts[4] != "workloadIdentityPools" {
		return v, ""
	}
	return parts[6], parts[5]
}
