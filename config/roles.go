package config

import "strings"

// What fedctl knows about data roles without asking Google, shared by the
// plan's preflight and verify's project rows (SPEC §7.3).

// PrivilegedRole reports why a data role grants more than data access
// ("" when it does not): basic roles, *.admin roles, and every role of IAM
// and Resource Manager (Token Creator and Service Account User let the
// holder act as other service accounts). IAM docs: "Basic roles", "Roles
// for service account authentication".
func PrivilegedRole(role string) string {
	name := strings.TrimPrefix(role, "roles/")
	switch {
	case role == "roles/owner" || role == "roles/editor":
		return "a basic role granting (almost) every permission in the project"
	case role == "roles/iam.serviceAccountTokenCreator":
		return "lets each identity mint tokens for every service account it covers (on the project: all of them)"
	case role == "roles/iam.serviceAccountUser":
		return "lets each identity act as service accounts"
	case strings.HasPrefix(role, "roles/iam.") || strings.HasPrefix(role, "roles/resourcemanager."):
		return "an IAM or Resource Manager role: it changes who may do what, not data access"
	case strings.HasPrefix(role, "roles/") && strings.HasSuffix(strings.ToLower(name), "admin"):
		return "an administrator role"
	}
	return ""
}

// queryRoles are the predefined roles granting bigquery.jobs.create
// (BigQuery "Access control with IAM", "BigQuery predefined roles").
var queryRoles = map[string]bool{
	"roles/owner": true, "roles/editor": true, "roles/bigquery.admin": true, "roles/bigquery.user": true,
	"roles/bigquery.jobUser": true, "roles/bigquery.studioUser": true, "roles/bigquery.studioAdmin": true,
}

// RoleGrantsQuery reports whether a role grants bigquery.jobs.create;
// known is false for custom roles (read them with roles.get).
func RoleGrantsQuery(role string) (grants, known bool) {
	if strings.HasPrefix(role, "roles/") {
		return queryRoles[role], true
	}
	return false, false
}
