package engine

import (
	"fmt"
	"strings"
)

// Well-known roles fedctl grants.
const (
	RoleTokenCreator = "roles/iam.serviceAccountTokenCreator"
)

// PolicyTarget names an IAM policy fedctl edits: the project's, or a service
// account's.
type PolicyTarget struct {
	// Type is "project" or "service_account".
	Type string
	// Name is the project ID or the service account email.
	Name string
}

// Policy target types.
const (
	TargetProject        = "project"
	TargetServiceAccount = "service_account"
)

// ProjectTarget is the project policy of project.
func ProjectTarget(project string) PolicyTarget {
	return PolicyTarget{Type: TargetProject, Name: project}
}

// ServiceAccountTarget is the policy of the service account email.
func ServiceAccountTarget(email string) PolicyTarget {
	return PolicyTarget{Type: TargetServiceAccount, Name: email}
}

// Address is the target's plan address: iam_policy.project or
// iam_policy.service_account["EMAIL"].
func (t PolicyTarget) Address() string {
	if t.Type == TargetProject {
		return "iam_policy.project"
	}
	return fmt.Sprintf("iam_policy.service_account[%q]", t.Name)
}

// Membership is one (policy, role, member) triple fedctl manages: it adds it
// on setup and removes exactly it on teardown, in the unconditional binding
// for the role. Other members and conditional bindings are never touched.
type Membership struct {
	Target PolicyTarget
	Role   string
	Member string
	// Why says what the grant is for ("data role", "Token Creator (Pattern
	// A)", "keyless verifier"), for plans and summaries.
	Why string
}

// AuditLogSpec is a set of Data Access log types fedctl enables for a
// service in the project policy's auditConfigs.
type AuditLogSpec struct {
	Service  string
	LogTypes []string
}

// ServiceAccountMember is the IAM member for a service account email.
func ServiceAccountMember(email string) string { return "serviceAccount:" + email }

func apiAddress(service string) string { return fmt.Sprintf("api[%q]", service) }

// memberEmail is the email of a user:/serviceAccount: member ("" otherwise).
func memberEmail(member string) string {
	_, email, ok := strings.Cut(member, ":")
	if !ok || strings.Contains(member, "://") {
		return ""
	}
	return email
}

func lower(s string) string { return strings.ToLower(s) }
