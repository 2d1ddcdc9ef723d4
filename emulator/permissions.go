package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Permission checks on the admin calls (SPEC §5, issue #15): each route
// below needs one permission, held through the resource's own policy (a
// service account's, a dataset's access list) or the project's. Google
// checks before anything else about the resource, so a caller without the
// permission learns nothing (403 whether or not the resource exists).
// Sources: each API's access-control page (IAM "Service account
// permissions", Resource Manager "Access control for projects", Service
// Usage "Access control", Logging "Access control with IAM", BigQuery
// "Access control with IAM", Org Policy "Access control").
var routePermissions = map[string]string{
	"cloudresourcemanager.projects.get":             "resourcemanager.projects.get",
	"cloudresourcemanager.projects.getIamPolicy":    "resourcemanager.projects.getIamPolicy",
	"cloudresourcemanager.projects.setIamPolicy":    "resourcemanager.projects.setIamPolicy",
	"cloudresourcemanager.v3.projects.get":          "resourcemanager.projects.get",
	"cloudresourcemanager.v3.projects.getIamPolicy": "resourcemanager.projects.getIamPolicy",
	"cloudresourcemanager.v3.projects.setIamPolicy": "resourcemanager.projects.setIamPolicy",

	"iam.projects.serviceAccounts.create":       "iam.serviceAccounts.create",
	"iam.projects.serviceAccounts.list":         "iam.serviceAccounts.list",
	"iam.projects.serviceAccounts.get":          "iam.serviceAccounts.get",
	"iam.projects.serviceAccounts.patch":        "iam.serviceAccounts.update",
	"iam.projects.serviceAccounts.delete":       "iam.serviceAccounts.delete",
	"iam.projects.serviceAccounts.enable":       "iam.serviceAccounts.enable",
	"iam.projects.serviceAccounts.disable":      "iam.serviceAccounts.disable",
	"iam.projects.serviceAccounts.undelete":     "iam.serviceAccounts.undelete",
	"iam.projects.serviceAccounts.getIamPolicy": "iam.serviceAccounts.getIamPolicy",
	"iam.projects.serviceAccounts.setIamPolicy": "iam.serviceAccounts.setIamPolicy",

	"iam.projects.serviceAccounts.keys.list":    "iam.serviceAccountKeys.list",
	"iam.projects.serviceAccounts.keys.create":  "iam.serviceAccountKeys.create",
	"iam.projects.serviceAccounts.keys.get":     "iam.serviceAccountKeys.get",
	"iam.projects.serviceAccounts.keys.delete":  "iam.serviceAccountKeys.delete",
	"iam.projects.serviceAccounts.keys.disable": "iam.serviceAccountKeys.disable",
	"iam.projects.serviceAccounts.keys.enable":  "iam.serviceAccountKeys.enable",

	"serviceusage.services.enable":      "serviceusage.services.enable",
	"serviceusage.services.disable":     "serviceusage.services.disable",
	"serviceusage.services.batchEnable": "serviceusage.services.enable",
	"serviceusage.services.get":         "serviceusage.services.get",
	"serviceusage.services.list":        "serviceusage.services.list",
	"serviceusage.services.batchGet":    "serviceusage.services.get",

	"iam.projects.locations.workloadIdentityPools.create":             "iam.workloadIdentityPools.create",
	"iam.projects.locations.workloadIdentityPools.list":               "iam.workloadIdentityPools.list",
	"iam.projects.locations.workloadIdentityPools.get":                "iam.workloadIdentityPools.get",
	"iam.projects.locations.workloadIdentityPools.patch":              "iam.workloadIdentityPools.update",
	"iam.projects.locations.workloadIdentityPools.delete":             "iam.workloadIdentityPools.delete",
	"iam.projects.locations.workloadIdentityPools.undelete":           "iam.workloadIdentityPools.undelete",
	"iam.projects.locations.workloadIdentityPools.providers.create":   "iam.workloadIdentityPoolProviders.create",
	"iam.projects.locations.workloadIdentityPools.providers.list":     "iam.workloadIdentityPoolProviders.list",
	"iam.projects.locations.workloadIdentityPools.providers.get":      "iam.workloadIdentityPoolProviders.get",
	"iam.projects.locations.workloadIdentityPools.providers.patch":    "iam.workloadIdentityPoolProviders.update",
	"iam.projects.locations.workloadIdentityPools.providers.delete":   "iam.workloadIdentityPoolProviders.delete",
	"iam.projects.locations.workloadIdentityPools.providers.undelete": "iam.workloadIdentityPoolProviders.undelete",

	"iam.projects.roles.create":   "iam.roles.create",
	"iam.projects.roles.list":     "iam.roles.list",
	"iam.projects.roles.get":      "iam.roles.get",
	"iam.projects.roles.patch":    "iam.roles.update",
	"iam.projects.roles.delete":   "iam.roles.delete",
	"iam.projects.roles.undelete": "iam.roles.undelete",

	"logging.projects.sinks.create": "logging.sinks.create",
	"logging.projects.sinks.list":   "logging.sinks.list",
	"logging.projects.sinks.get":    "logging.sinks.get",
	"logging.projects.sinks.update": "logging.sinks.update",
	"logging.projects.sinks.patch":  "logging.sinks.update",
	"logging.projects.sinks.delete": "logging.sinks.delete",

	"bigquery.datasets.insert": "bigquery.datasets.create",
	"bigquery.datasets.get":    "bigquery.datasets.get",
	"bigquery.datasets.patch":  "bigquery.datasets.update",
	"bigquery.datasets.update": "bigquery.datasets.update",
	"bigquery.datasets.delete": "bigquery.datasets.delete",

	// Org Policy "Access control": orgpolicy.policy.get for reads,
	// orgpolicy.policies.* for writes.
	"orgpolicy.projects.policies.getEffectivePolicy": "orgpolicy.policy.get",
	"orgpolicy.projects.policies.get":                "orgpolicy.policy.get",
	"orgpolicy.projects.policies.list":               "orgpolicy.policy.get",
	"orgpolicy.projects.policies.create":             "orgpolicy.policies.create",
	"orgpolicy.projects.policies.patch":              "orgpolicy.policies.update",
	"orgpolicy.projects.policies.delete":             "orgpolicy.policies.delete",
}

// authorizeRoute checks the permission a route needs (none for routes not
// in routePermissions). Resources it cannot resolve are left to the
// handler, which answers as Google does for them.
func (c *call) authorizeRoute(name string) error {
	perm := routePermissions[name]
	if perm == "" || len(c.args) == 0 {
		return nil
	}
	var p *Project
	var own *Policy
	var ds *Dataset
	switch {
	case strings.HasPrefix(name, "iam.projects.serviceAccounts.") && name != "iam.projects.serviceAccounts.create" && name != "iam.projects.serviceAccounts.list":
		if c.args[0] == "-" {
			var sa *ServiceAccount
			if p, sa = c.st.FindServiceAccount(c.args[1]); sa != nil {
				own = sa.Policy
			}
		} else if p = c.st.ProjectByIDOrNumber(c.args[0]); p != nil {
			if sa := p.ServiceAccounts[c.args[1]]; sa != nil {
				own = sa.Policy // by email: no scan (10,000 accounts)
			} else {
				for _, sa := range p.ServiceAccounts {
					if sa.UniqueID == c.args[1] {
						own = sa.Policy
					}
				}
			}
		}
	case strings.HasPrefix(name, "bigquery.datasets.") && name != "bigquery.datasets.insert":
		if p = c.st.ProjectByIDOrNumber(c.args[0]); p != nil && len(c.args) > 1 {
			ds = p.Datasets[c.args[1]]
		}
	default:
		p = c.st.ProjectByIDOrNumber(c.args[0])
	}
	if p == nil {
		return nil
	}
	id, err := c.caller()
	if err != nil {
		return err
	}
	roles := c.customRoles()
	for _, pol := range []*Policy{own, p.Policy} {
		if pol.allowsR(roles, id, perm, c.now, c.s.opts.PropagationDelay) {
			return nil
		}
	}
	if ds != nil && c.datasetGrants(p, ds, id, perm) {
		return nil
	}
	return c.routeDenied(name, perm, p)
}

// datasetGrants: a dataset's access list grants roles on it (legacy
// READER/WRITER/OWNER are dataViewer/dataEditor/dataOwner; the special
// groups follow the project's basic roles).
func (c *call) datasetGrants(p *Project, ds *Dataset, id *Identity, perm string) bool {
	legacy := map[string]string{"READER": "roles/bigquery.dataViewer", "WRITER": "roles/bigquery.dataEditor", "OWNER": "roles/bigquery.dataOwner"}
	special := map[string]string{"projectReaders": "roles/viewer", "projectWriters": "roles/editor", "projectOwners": "roles/owner"}
	for _, raw := range ds.Access {
		var e struct {
			Role, UserByEmail, GroupByEmail, IamMember, SpecialGroup string
		}
		if json.Unmarshal(raw, &e) != nil {
			continue
		}
		role := e.Role
		if r, ok := legacy[role]; ok {
			role = r
		}
		if !roleHasR(c.customRoles(), role, perm) {
			continue
		}
		var member string
		switch {
		case e.IamMember != "":
			member = e.IamMember
		case e.UserByEmail != "" && strings.HasSuffix(e.UserByEmail, ".gserviceaccount.com"):
			member = "serviceAccount:" + e.UserByEmail
		case e.UserByEmail != "":
			member = "user:" + e.UserByEmail
		case e.SpecialGroup != "":
			if basic, ok := special[e.SpecialGroup]; ok && policyHasRoleMember(p.Policy, basic, id) {
				return true
			}
			continue
		}
		if member != "" && memberMatches(member, id) {
			return true
		}
	}
	return false
}

func policyHasRoleMember(p *Policy, role string, id *Identity) bool {
	if p == nil {
		return false
	}
	for _, b := range p.Bindings {
		if b.Role != role || b.Condition != nil {
			continue
		}
		for _, m := range b.Members {
			if memberMatches(m, id) {
				return true
			}
		}
	}
	return false
}

// routeDenied is the 403 the called API sends for a missing permission.
func (c *call) routeDenied(name, perm string, p *Project) *apiError {
	switch c.service {
	case "cloudresourcemanager":
		if strings.HasPrefix(name, "cloudresourcemanager.v3.") {
			e := errIAMPermissionDenied(perm)
			e.Message = fmt.Sprintf("Permission '%s' denied on resource '//cloudresourcemanager.googleapis.com/projects/%s' (or it may not exist).", perm, c.args[0])
			e.Details[0]["domain"] = crmService
			return e
		}
		// crm v1 (gcp-wire §4.3).
		return &apiError{HTTP: http.StatusForbidden, Status: "PERMISSION_DENIED", Reason: "forbidden", Message: "The caller does not have permission"}
	case "serviceusage":
		if perm == "serviceusage.services.enable" || perm == "serviceusage.services.disable" {
			verb := strings.TrimPrefix(perm, "serviceusage.services.")
			svc := ""
			if len(c.args) > 1 {
				svc = c.args[1]
			} else {
				var req struct {
					ServiceIds []string `json:"serviceIds"`
				}
				_ = json.Unmarshal(c.body, &req)
				svc = strings.Join(req.ServiceIds, ",")
			}
			// Google's reply (cloud-foundation-fabric#2985, gcli2api#283).
			return &apiError{HTTP: http.StatusForbidden, Status: "PERMISSION_DENIED",
				Message: fmt.Sprintf("Permission denied to %s service [%s]", verb, svc),
				Details: []map[string]any{
					{"@type": "type.googleapis.com/google.rpc.PreconditionFailure", "violations": []map[string]string{{"type": "googleapis.com", "subject": "110002"}}},
					{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "AUTH_PERMISSION_DENIED", "domain": "serviceusage.googleapis.com",
						"metadata": map[string]string{"permission": perm}},
				}}
		}
		e := errIAMPermissionDenied(perm)
		e.Details[0]["domain"] = "serviceusage.googleapis.com"
		return e
	case "logging":
		return &apiError{HTTP: http.StatusForbidden, Status: "PERMISSION_DENIED", Message: "The caller does not have permission"}
	case "bigquery":
		if perm == "bigquery.datasets.create" {
			return errBigQuery(403, "PERMISSION_DENIED", "accessDenied",
				fmt.Sprintf("Access Denied: Project %s: User does not have %s permission in project %s.", p.ID, perm, p.ID))
		}
		ds := p.ID + ":" + c.args[1]
		return errBigQuery(403, "PERMISSION_DENIED", "accessDenied",
			fmt.Sprintf("Access Denied: Dataset %s: Permission %s denied on dataset %s (or it may not exist).", ds, perm, ds))
	}
	return c.permDenied(perm)
}

// permDenied is the IAM-style 403 for a missing permission, in the domain
// of the API being called.
func (c *call) permDenied(perm string) *apiError {
	e := errIAMPermissionDenied(perm)
	switch c.service {
	case "orgpolicy":
		e.Details[0]["domain"] = "orgpolicy.googleapis.com"
	case "cloudresourcemanager":
		e.Details[0]["domain"] = crmService
	}
	return e
}
