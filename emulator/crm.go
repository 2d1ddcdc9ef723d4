package emulator

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"

	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	crmv3 "google.golang.org/api/cloudresourcemanager/v3"
)

// Cloud Resource Manager v1 and v3: projects.get and the project IAM policy
// (gcp-wire §4). Paths are after the "cloudresourcemanager" prefix.

const crmService = "cloudresourcemanager.googleapis.com"

// googleTime is the timestamp format of CRM and serviceusage (millis, Z).
const googleTime = "2006-01-02T15:04:05.000Z"

func init() {
	registerAPI(func(s *Server) {
		for _, v := range []string{"v1", "v3"} {
			name := "cloudresourcemanager."
			if v == "v3" {
				name += "v3." // distinct stats keys; the discovery ids are the same
			}
			v3 := v == "v3"
			s.handle(&route{Service: "cloudresourcemanager", Method: "GET", Pattern: `^/` + v + `/projects/([^/:]+)$`,
				Name: name + "projects.get", Handler: func(c *call) (any, error) { return crmGetProject(c, v3) }})
			s.handle(&route{Service: "cloudresourcemanager", Method: "POST", Pattern: `^/` + v + `/projects/([^/:]+):getIamPolicy$`,
				Name: name + "projects.getIamPolicy", Handler: func(c *call) (any, error) { return crmGetIamPolicy(c, v3) }})
			s.handle(&route{Service: "cloudresourcemanager", Method: "POST", Pattern: `^/` + v + `/projects/([^/:]+):setIamPolicy$`,
				Name: name + "projects.setIamPolicy", Mutates: true, Handler: func(c *call) (any, error) { return crmSetIamPolicy(c, v3) }})
			s.handle(&route{Service: "cloudresourcemanager", Method: "POST", Pattern: `^/` + v + `/projects/([^/:]+):testIamPermissions$`,
				Name: name + "projects.testIamPermissions", Handler: func(c *call) (any, error) { return crmTestIamPermissions(c, v3) }})
			s.handle(&route{Service: "cloudresourcemanager", Method: "GET", Pattern: `^/` + v + `/(operations/[^/]+)$`,
				Name: name + "operations.get", Handler: func(c *call) (any, error) {
					return c.pollOperation(c.args[0], "operations/cp.", "operations/cf.")
				}})
		}
	})
}

// crmProject resolves the project a CRM request names and checks that the
// API is on. A missing project is 403 (never 404), in the style of the
// version: v1 legacy "forbidden", v3 IAM_PERMISSION_DENIED on the resource.
func crmProject(c *call, v3 bool, permission string) (*Project, error) {
	named := c.args[0]
	p := c.st.ProjectByIDOrNumber(named)
	if p == nil {
		if v3 {
			e := errIAMPermissionDenied(permission)
			e.Message = fmt.Sprintf("Permission '%s' denied on resource '//cloudresourcemanager.googleapis.com/projects/%s' (or it may not exist).", permission, named)
			e.Details[0]["domain"] = crmService
			return nil, e
		}
		return c.project(named)
	}
	if err := c.requireService(p, crmService, named); err != nil {
		return nil, err
	}
	return p, nil
}

func crmGetProject(c *call, v3 bool) (any, error) {
	p, err := crmProject(c, v3, "resourcemanager.projects.get")
	if err != nil {
		return nil, err
	}
	created := p.CreatedAt.UTC().Format(googleTime)
	if v3 {
		sum := sha256.Sum256([]byte(p.ID + p.Number + created + p.Name + p.State))
		return &crmv3.Project{Name: "projects/" + p.Number, ProjectId: p.ID, State: p.State, DisplayName: p.Name,
			CreateTime: created, UpdateTime: created,
			Etag: `W/"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`}, nil
	}
	num, err := strconv.ParseInt(p.Number, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("project %s has a non-numeric number %q", p.ID, p.Number)
	}
	return &crmv1.Project{ProjectNumber: num, ProjectId: p.ID, LifecycleState: p.State, Name: p.Name, CreateTime: created}, nil
}

func crmGetIamPolicy(c *call, v3 bool) (any, error) {
	p, err := crmProject(c, v3, "resourcemanager.projects.getIamPolicy")
	if err != nil {
		return nil, err
	}
	var req getIamPolicyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	var version int64
	if req.Options != nil {
		version = req.Options.RequestedPolicyVersion
	}
	return readPolicy(p.Policy, version)
}

func crmSetIamPolicy(c *call, v3 bool) (any, error) {
	p, err := crmProject(c, v3, "resourcemanager.projects.setIamPolicy")
	if err != nil {
		return nil, err
	}
	var req setIamPolicyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	next, err := c.writePolicy(p.Policy, &req, true)
	if err != nil {
		return nil, err
	}
	if err := c.checkMemberDomains(p, p.Policy, next); err != nil {
		return nil, err
	}
	p.Policy = next
	return readPolicy(next, 3)
}

func crmTestIamPermissions(c *call, v3 bool) (any, error) {
	p, err := crmProject(c, v3, "resourcemanager.projects.get")
	if err != nil {
		return nil, err
	}
	var req permissionsMessage
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	return c.heldPermissions(req.Permissions, p.Policy)
}
