package emulator

import (
	"regexp"
	"strings"
)

// Admin Activity entries (cloudaudit.googleapis.com/activity, gcp-wire
// §8.2) for the writes a caller makes with a service-account key: the entry
// names the key in authenticationInfo.serviceAccountKeyName, which is how
// `fedctl keys list` sees when a key was last used. Google writes an Admin
// Activity entry for every admin write; the emulator writes only these (a
// subset of what Google writes, never an entry Google would not), so that a
// 10,000-user setup by the operator does not grow the state by as many
// entries.

// activityMethods are Google's methodNames of the admin writes the
// emulator logs (data-plane calls — BigQuery jobs, token mints — go to the
// Data Access log, written by their handlers).
var activityMethods = map[string]string{
	"iam.projects.serviceAccounts.create":                 "google.iam.admin.v1.CreateServiceAccount",
	"iam.projects.serviceAccounts.delete":                 "google.iam.admin.v1.DeleteServiceAccount",
	"iam.projects.serviceAccounts.patch":                  "google.iam.admin.v1.PatchServiceAccount",
	"iam.projects.serviceAccounts.disable":                "google.iam.admin.v1.DisableServiceAccount",
	"iam.projects.serviceAccounts.enable":                 "google.iam.admin.v1.EnableServiceAccount",
	"iam.projects.serviceAccounts.setIamPolicy":           "google.iam.admin.v1.SetIAMPolicy",
	"iam.projects.serviceAccounts.keys.create":            "google.iam.admin.v1.CreateServiceAccountKey",
	"iam.projects.serviceAccounts.keys.delete":            "google.iam.admin.v1.DeleteServiceAccountKey",
	"iam.projects.serviceAccounts.keys.disable":           "google.iam.admin.v1.DisableServiceAccountKey",
	"iam.projects.serviceAccounts.keys.enable":            "google.iam.admin.v1.EnableServiceAccountKey",
	"cloudresourcemanager.projects.setIamPolicy":          "SetIamPolicy",
	"serviceusage.services.enable":                        "google.api.serviceusage.v1.ServiceUsage.EnableService",
	"serviceusage.services.batchEnable":                   "google.api.serviceusage.v1.ServiceUsage.BatchEnableServices",
	"serviceusage.services.disable":                       "google.api.serviceusage.v1.ServiceUsage.DisableService",
	"logging.projects.sinks.create":                       "google.logging.v2.ConfigServiceV2.CreateSink",
	"logging.projects.sinks.delete":                       "google.logging.v2.ConfigServiceV2.DeleteSink",
	"iam.projects.locations.workloadIdentityPools.create": "google.iam.v1.WorkloadIdentityPools.CreateWorkloadIdentityPool",
}

var resourceProject = regexp.MustCompile(`projects/([^/:]+)`)

// auditKeyActivity writes the Admin Activity entry of a successful write
// made by a caller signed in with a service-account key; nothing otherwise.
func (c *call) auditKeyActivity(rt *route) {
	if c.id == nil || c.id.KeyName == "" || activityMethods[rt.Name] == "" {
		return
	}
	var p *Project
	if m := resourceProject.FindStringSubmatch(c.path); m != nil && m[1] != "-" {
		p = c.st.ProjectByIDOrNumber(m[1])
	}
	if p == nil {
		if m := resourceProject.FindStringSubmatch(c.id.KeyName); m != nil {
			p = c.st.ProjectByIDOrNumber(m[1])
		}
	}
	if p == nil {
		return
	}
	method := activityMethods[rt.Name]
	resName := strings.TrimPrefix(c.path, "/")
	if i := strings.Index(resName, "projects/"); i >= 0 {
		resName = resName[i:]
	}
	c.writeAudit(&logEntry{LogName: logName(p.ID, logActivity), Severity: "NOTICE",
		Resource: monitoredResource{Type: "audited_resource", Labels: map[string]string{
			"project_id": p.ID, "service": rt.Service + ".googleapis.com", "method": method}},
		ProtoPayload: &auditLog{ServiceName: rt.Service + ".googleapis.com", MethodName: method,
			AuthenticationInfo: authInfoFor(c.id), ResourceName: resName}})
}
