package wif

import (
	"fmt"
	"slices"
	"strings"
)

const iamHost = "iam.googleapis.com"

// PoolName is a pool's resource name (IAM uses the project NUMBER).
func PoolName(projectNumber, pool string) string {
	return fmt.Sprintf("projects/%s/locations/global/workloadIdentityPools/%s", projectNumber, pool)
}

// Principal is the federated principal STS issues a token for:
// principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/subject/SUB.
func Principal(projectNumber, pool, subject string) string {
	return "principal://" + iamHost + "/" + PoolName(projectNumber, pool) + "/subject/" + subject
}

// DefaultAudiences are the audiences a provider with no allowedAudiences
// accepts: its full resource name, with or without "https:".
func DefaultAudiences(providerName string) []string {
	return []string{"//" + iamHost + "/" + providerName, "https://" + iamHost + "/" + providerName}
}

// MemberMatches reports whether an IAM member names the federated identity
// with mapped attributes attrs in pool (of project number): its
// principal://…/subject/SUB, or a principalSet:// of the pool by attribute
// (attribute.NAME/VALUE), group (group/G, from google.groups) or the whole
// pool (*).
func MemberMatches(member, projectNumber, pool string, attrs map[string]any) bool {
	base := "//" + iamHost + "/" + PoolName(projectNumber, pool) + "/"
	if rest, ok := strings.CutPrefix(member, "principal:"+base); ok {
		sub, ok := strings.CutPrefix(rest, "subject/")
		return ok && sub == attrs["google.subject"]
	}
	sel, ok := strings.CutPrefix(member, "principalSet:"+base)
	if !ok {
		return false
	}
	if sel == "*" {
		return true
	}
	if g, ok := strings.CutPrefix(sel, "group/"); ok {
		return slices.Contains(stringsOf(attrs["google.groups"]), g)
	}
	if name, value, ok := strings.Cut(sel, "/"); ok && strings.HasPrefix(name, "attribute.") {
		return slices.Contains(stringsOf(attrs[name]), value)
	}
	return false
}

// MatchingMembers returns the members (in order) that name the identity.
func MatchingMembers(members []string, projectNumber, pool string, attrs map[string]any) []string {
	var out []string
	for _, m := range members {
		if MemberMatches(m, projectNumber, pool, attrs) {
			out = append(out, m)
		}
	}
	return out
}

func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	}
	return nil
}
