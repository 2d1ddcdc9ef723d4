package emulator

import "strings"

// predefinedRoles lists, for the basic and predefined roles fedctl, its
// docs and the seeds' guides use, the permissions the emulator checks
// (a subset of each role's real list: IAM docs, "IAM basic and predefined
// roles reference", https://cloud.google.com/iam/docs/roles-permissions).
// roles.get answers includedPermissions from here.
var predefinedRoles = map[string][]string{
	// Basic roles are computed (basicRoleHas); viewer is listed.
	"roles/viewer": {
		"resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy",
		"iam.serviceAccounts.get", "iam.serviceAccounts.list", "iam.serviceAccountKeys.get", "iam.serviceAccountKeys.list",
		"iam.roles.get", "iam.roles.list", "iam.workloadIdentityPools.get", "iam.workloadIdentityPools.list",
		"iam.workloadIdentityPoolProviders.get", "iam.workloadIdentityPoolProviders.list",
		"serviceusage.services.get", "serviceusage.services.list",
		"logging.logEntries.list", "logging.sinks.get", "logging.sinks.list",
		"bigquery.datasets.get", "bigquery.datasets.getIamPolicy", "bigquery.tables.get", "bigquery.tables.list", "bigquery.jobs.list",
		"iam.serviceAccounts.getIamPolicy", "orgpolicy.policy.get",
	},
	"roles/browser": {"resourcemanager.projects.get", "resourcemanager.projects.list"},

	"roles/iam.serviceAccountTokenCreator": {
		"iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
		"iam.serviceAccounts.implicitDelegation", "iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt",
		"iam.serviceAccounts.get", "iam.serviceAccounts.list", "resourcemanager.projects.get",
	},
	"roles/iam.serviceAccountOpenIdTokenCreator": {"iam.serviceAccounts.getOpenIdToken"},
	"roles/iam.workloadIdentityUser": {
		"iam.serviceAccounts.getAccessToken", "iam.serviceAccounts.getOpenIdToken",
		"iam.serviceAccounts.signBlob", "iam.serviceAccounts.signJwt", "iam.serviceAccounts.get",
	},
	"roles/iam.serviceAccountUser": {"iam.serviceAccounts.actAs", "iam.serviceAccounts.get", "iam.serviceAccounts.list", "resourcemanager.projects.get"},
	"roles/iam.serviceAccountAdmin": {
		"iam.serviceAccounts.create", "iam.serviceAccounts.delete", "iam.serviceAccounts.disable", "iam.serviceAccounts.enable",
		"iam.serviceAccounts.get", "iam.serviceAccounts.list", "iam.serviceAccounts.update", "iam.serviceAccounts.undelete",
		"iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.setIamPolicy", "resourcemanager.projects.get",
	},
	"roles/iam.serviceAccountKeyAdmin": {
		"iam.serviceAccountKeys.create", "iam.serviceAccountKeys.delete", "iam.serviceAccountKeys.disable",
		"iam.serviceAccountKeys.enable", "iam.serviceAccountKeys.get", "iam.serviceAccountKeys.list",
		"iam.serviceAccounts.get", "iam.serviceAccounts.list", "resourcemanager.projects.get",
	},
	"roles/iam.serviceAccountViewer": {"iam.serviceAccounts.get", "iam.serviceAccounts.list", "iam.serviceAccountKeys.get", "iam.serviceAccountKeys.list", "resourcemanager.projects.get"},
	"roles/iam.workloadIdentityPoolAdmin": {
		"iam.workloadIdentityPools.create", "iam.workloadIdentityPools.delete", "iam.workloadIdentityPools.get",
		"iam.workloadIdentityPools.list", "iam.workloadIdentityPools.undelete", "iam.workloadIdentityPools.update",
		"iam.workloadIdentityPoolProviders.create", "iam.workloadIdentityPoolProviders.delete", "iam.workloadIdentityPoolProviders.get",
		"iam.workloadIdentityPoolProviders.list", "iam.workloadIdentityPoolProviders.undelete", "iam.workloadIdentityPoolProviders.update",
		"resourcemanager.projects.get",
	},
	"roles/iam.workloadIdentityPoolViewer": {
		"iam.workloadIdentityPools.get", "iam.workloadIdentityPools.list",
		"iam.workloadIdentityPoolProviders.get", "iam.workloadIdentityPoolProviders.list",
	},
	"roles/iam.roleAdmin": {
		"iam.roles.create", "iam.roles.delete", "iam.roles.get", "iam.roles.list", "iam.roles.undelete", "iam.roles.update",
		"resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy",
	},
	"roles/iam.roleViewer": {"iam.roles.get", "iam.roles.list"},
	"roles/iam.securityReviewer": {
		"resourcemanager.projects.getIamPolicy", "iam.serviceAccounts.getIamPolicy", "iam.serviceAccounts.list",
		"iam.roles.get", "iam.roles.list", "iam.workloadIdentityPools.list", "iam.workloadIdentityPoolProviders.list",
		"bigquery.datasets.getIamPolicy", "logging.sinks.list", "orgpolicy.policy.get",
	},
	"roles/resourcemanager.projectIamAdmin": {
		"resourcemanager.projects.get", "resourcemanager.projects.getIamPolicy", "resourcemanager.projects.setIamPolicy",
	},
	"roles/serviceusage.serviceUsageAdmin": {
		"serviceusage.services.enable", "serviceusage.services.disable", "serviceusage.services.get", "serviceusage.services.list",
		"serviceusage.services.use", "serviceusage.operations.get", "serviceusage.operations.list", "resourcemanager.projects.get",
	},
	"roles/serviceusage.serviceUsageConsumer": {"serviceusage.services.get", "serviceusage.services.list", "serviceusage.services.use"},
	"roles/serviceusage.serviceUsageViewer":   {"serviceusage.services.get", "serviceusage.services.list"},
	"roles/logging.viewer":                    {"logging.logEntries.list", "logging.sinks.get", "logging.sinks.list", "resourcemanager.projects.get"},
	"roles/logging.privateLogViewer":          {"logging.logEntries.list", "logging.privateLogEntries.list", "logging.sinks.get", "logging.sinks.list"},
	"roles/logging.configWriter": {
		"logging.sinks.create", "logging.sinks.delete", "logging.sinks.get", "logging.sinks.list", "logging.sinks.update",
		"resourcemanager.projects.get",
	},
	"roles/logging.admin": {
		"logging.logEntries.list", "logging.privateLogEntries.list", "logging.sinks.create", "logging.sinks.delete",
		"logging.sinks.get", "logging.sinks.list", "logging.sinks.update", "resourcemanager.projects.get",
	},
	"roles/bigquery.admin": {
		"bigquery.datasets.create", "bigquery.datasets.delete", "bigquery.datasets.get", "bigquery.datasets.getIamPolicy",
		"bigquery.datasets.setIamPolicy", "bigquery.datasets.update", "bigquery.jobs.create", "bigquery.jobs.get", "bigquery.jobs.list",
		"bigquery.tables.create", "bigquery.tables.delete", "bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.list",
		"bigquery.tables.update", "bigquery.tables.updateData", "resourcemanager.projects.get",
	},
	"roles/bigquery.dataOwner": {
		"bigquery.datasets.create", "bigquery.datasets.delete", "bigquery.datasets.get", "bigquery.datasets.getIamPolicy",
		"bigquery.datasets.setIamPolicy", "bigquery.datasets.update", "bigquery.tables.create", "bigquery.tables.delete",
		"bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.list", "bigquery.tables.update", "bigquery.tables.updateData",
		"resourcemanager.projects.get",
	},
	"roles/bigquery.dataEditor": {
		"bigquery.datasets.create", "bigquery.datasets.get", "bigquery.datasets.getIamPolicy", "bigquery.tables.create",
		"bigquery.tables.delete", "bigquery.tables.get", "bigquery.tables.getData", "bigquery.tables.list", "bigquery.tables.update",
		"bigquery.tables.updateData", "resourcemanager.projects.get",
	},
	"roles/bigquery.dataViewer": {
		"bigquery.datasets.get", "bigquery.datasets.getIamPolicy", "bigquery.tables.get", "bigquery.tables.getData",
		"bigquery.tables.list", "resourcemanager.projects.get",
	},
	"roles/bigquery.metadataViewer":  {"bigquery.datasets.get", "bigquery.datasets.getIamPolicy", "bigquery.tables.get", "bigquery.tables.list", "resourcemanager.projects.get"},
	"roles/bigquery.readSessionUser": {"bigquery.readsessions.create", "bigquery.readsessions.getData", "bigquery.readsessions.update", "resourcemanager.projects.get"},
	"roles/bigquery.jobUser":         {"bigquery.jobs.create", "resourcemanager.projects.get"},
	"roles/bigquery.user": {
		"bigquery.datasets.create", "bigquery.datasets.get", "bigquery.jobs.create", "bigquery.jobs.list",
		"bigquery.readsessions.create", "bigquery.readsessions.getData", "bigquery.tables.list", "resourcemanager.projects.get",
	},
	"roles/orgpolicy.policyAdmin":  {"orgpolicy.policies.create", "orgpolicy.policies.delete", "orgpolicy.policies.update", "orgpolicy.policy.get", "orgpolicy.constraints.list"},
	"roles/orgpolicy.policyViewer": {"orgpolicy.policy.get", "orgpolicy.constraints.list"},
}

// basicAllRoles grant every permission but the impersonation ones: in
// Google Cloud even a project Owner must be granted Token Creator (or
// Workload Identity User) to mint tokens for a service account.
var basicAllRoles = map[string]bool{"roles/owner": true, "roles/editor": true}

// impersonationPermissions are withheld from the basic roles.
var impersonationPermissions = map[string]bool{
	"iam.serviceAccounts.getAccessToken":     true,
	"iam.serviceAccounts.getOpenIdToken":     true,
	"iam.serviceAccounts.implicitDelegation": true,
	"iam.serviceAccounts.signBlob":           true,
	"iam.serviceAccounts.signJwt":            true,
}

// editorWithheld: an Editor may change resources but not who may access
// them: no setIamPolicy, no custom roles, no org policies (IAM docs,
// "Basic roles").
func editorWithheld(perm string) bool {
	return strings.HasSuffix(perm, ".setIamPolicy") || strings.HasPrefix(perm, "iam.roles.") && perm != "iam.roles.get" && perm != "iam.roles.list" ||
		strings.HasPrefix(perm, "orgpolicy.policies.")
}

func basicRoleHas(role, perm string) bool {
	if impersonationPermissions[perm] {
		return false
	}
	if role == "roles/editor" && editorWithheld(perm) {
		return false
	}
	return true
}

// roleResolver gives a custom role's permissions (nil: not a known custom role).
type roleResolver func(role string) []string

func roleHas(role, permission string) bool { return roleHasR(nil, role, permission) }

func roleHasR(custom roleResolver, role, permission string) bool {
	if basicAllRoles[role] {
		return basicRoleHas(role, permission)
	}
	perms, ok := predefinedRoles[role]
	if !ok && custom != nil {
		perms = custom(role)
	}
	for _, p := range perms {
		if p == permission {
			return true
		}
	}
	return false
}

// basicRolePermissions lists what a basic role grants among the
// permissions the emulator knows.
func basicRolePermissions(role string) []string {
	all := map[string]bool{}
	for _, perms := range predefinedRoles {
		for _, p := range perms {
			if basicRoleHas(role, p) {
				all[p] = true
			}
		}
	}
	return sortedKeys(all)
}

// RolePermissions is a predefined role's permission list as the emulator
// knows it (nil for unknown or basic roles): tests and docs.
func RolePermissions(role string) []string { return predefinedRoles[role] }
