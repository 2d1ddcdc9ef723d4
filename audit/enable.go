package audit

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

// AuditServices are the services whose Data Access logs federation evidence
// needs. GenerateAccessToken is an ADMIN_READ Data Access log of
// iamcredentials.googleapis.com, which is switched on through
// iam.googleapis.com (or allServices) — there is no auditConfig of its own.
var AuditServices = []string{"iam.googleapis.com", "bigquery.googleapis.com"}

// AuditLogTypes are the Data Access log types turned on for each service.
var AuditLogTypes = []string{"ADMIN_READ", "DATA_READ", "DATA_WRITE"}

// LogChange is one log type to turn on for a service.
type LogChange struct {
	Service string `json:"service"`
	LogType string `json:"logType"`
}

// MissingAuditLogs lists the log types not yet on, directly or through
// allServices.
func MissingAuditLogs(p *gcp.Policy) []LogChange {
	var out []LogChange
	for _, svc := range AuditServices {
		for _, lt := range AuditLogTypes {
			if !p.AuditLogsEnabled(svc, lt) {
				out = append(out, LogChange{Service: svc, LogType: lt})
			}
		}
	}
	return out
}

// EnableAuditLogs turns the missing log types on in p, keeping every other
// auditConfig and every exemption, and reports whether p changed. It is the
// edit function for gcp.Client.ModifyPolicy.
func EnableAuditLogs(p *gcp.Policy) (bool, error) {
	changed := false
	for _, c := range MissingAuditLogs(p) {
		if p.EnableAuditLogs(c.Service, c.LogType) {
			changed = true
		}
	}
	return changed, nil
}

// AuditConfigDiff renders the auditConfigs of before and after, marking
// added log types with "+" (and removed ones, which fedctl never makes,
// with "-"), so the edit can be shown before it is made.
func AuditConfigDiff(before, after *gcp.Policy) string {
	var b strings.Builder
	b.WriteString("auditConfigs:\n")
	services := []string{}
	for _, p := range []*gcp.Policy{before, after} {
		for _, ac := range p.AuditConfigs {
			if !slices.Contains(services, ac.Service) {
				services = append(services, ac.Service)
			}
		}
	}
	for _, svc := range services {
		old, cur := logConfigs(before, svc), logConfigs(after, svc)
		mark := " "
		if len(old) == 0 {
			mark = "+"
		}
		fmt.Fprintf(&b, "%s - service: %s\n", mark, svc)
		types := []string{}
		for _, m := range []map[string][]string{old, cur} {
			for lt := range m {
				if !slices.Contains(types, lt) {
					types = append(types, lt)
				}
			}
		}
		slices.Sort(types)
		for _, lt := range types {
			ex, inOld := old[lt]
			exNew, inNew := cur[lt]
			m := " "
			switch {
			case inNew && !inOld:
				m, ex = "+", exNew
			case inOld && !inNew:
				m = "-"
			}
			line := fmt.Sprintf("%s     %s", m, lt)
			if len(ex) > 0 {
				line += " (exempted: " + strings.Join(ex, ", ") + ")"
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func logConfigs(p *gcp.Policy, svc string) map[string][]string {
	m := map[string][]string{}
	for _, ac := range p.AuditConfigs {
		if ac.Service == svc {
			for _, lc := range ac.AuditLogConfigs {
				m[lc.LogType] = lc.ExemptedMembers
			}
		}
	}
	return m
}

// EnablePlan is the auditConfigs edit `audit enable` would make.
type EnablePlan struct {
	Before, After *gcp.Policy
	Changes       []LogChange
}

// PlanEnable reads the policy and computes the edit (nothing is written).
func PlanEnable(ctx context.Context, r gcp.PolicyResource) (*EnablePlan, error) {
	before, err := r.Get(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the IAM policy of %s: %w", r.Name(), err)
	}
	after := before.Clone()
	if _, err := EnableAuditLogs(after); err != nil {
		return nil, err
	}
	return &EnablePlan{Before: before, After: after, Changes: MissingAuditLogs(before)}, nil
}

// ApplyEnable makes the edit as an etag-safe read-modify-write (re-read and
// retried on a concurrent change) and reports whether a write was made.
func ApplyEnable(ctx context.Context, c *gcp.Client, r gcp.PolicyResource) (bool, error) {
	_, wrote, err := c.ModifyPolicy(ctx, r, EnableAuditLogs)
	if err != nil {
		return false, fmt.Errorf("enabling Data Access audit logs on %s: %w", r.Name(), err)
	}
	return wrote, nil
}
