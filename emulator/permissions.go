package emulator

import "strings"

// require fails with Google's 403 unless one of policies (the resource's
// own, then its ancestors') grants perm to the caller, after the
// propagation delay. The body is the one the called API sends (permDenied).
func (c *call) require(perm string, policies ...*Policy) error {
	id, err := c.caller()
	if err != nil {
		return err
	}
	for _, p := range policies {
		if p.allows(id, perm, c.now, c.s.opts.PropagationDelay) {
			return nil
		}
	}
	return c.permDenied(perm)
}

// permDenied is the 403 of the API being called for a missing permission.
func (c *call) permDenied(perm string) *apiError {
	e := errIAMPermissionDenied(perm)
	switch c.service {
	case "orgpolicy":
		e.Details[0]["domain"] = "orgpolicy.googleapis.com"
	case "cloudresourcemanager":
		e.Details[0]["domain"] = crmService
	}
	_ = strings.TrimSpace
	return e
}
