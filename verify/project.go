package verify

import (
	"context"
	"fmt"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// evidenceLogs are the Data Access logs federation evidence needs (SPEC §2
// "audit enable"): GenerateAccessToken is an ADMIN_READ entry of
// iamcredentials, switched on through iam.googleapis.com; BigQuery's query
// jobs are Data Access entries too, but BigQuery writes them by default,
// with or without an auditConfigs entry.
var evidenceLogs = []struct {
	service, logType, without string
	onByDefault               bool
}{
	{"iam.googleapis.com", "ADMIN_READ", "token mints (GenerateAccessToken) are not logged", false},
	{"bigquery.googleapis.com", "DATA_READ", "BigQuery queries are not logged", true},
}

// projectChecks are the project rows: APIs, the admin (or target) SA and
// its keys, the Token Creator pattern, the Data Access logs.
func (r *runner) projectChecks(ctx context.Context) []Check {
	f := r.facts
	var out []Check
	add := func(name, subject string, st Status, seen, fix string) {
		out = append(out, Check{Scope: ScopeProject, Name: name, Subject: subject, Status: st, Seen: seen, Fix: fix})
	}

	for _, api := range r.cfg.RequiredAPIs() {
		switch {
		case f.servicesErr != nil:
			add(CheckAPIEnabled, api, unreadable(f.servicesErr, Fail), "cannot read: "+errText(f.servicesErr), fixForReadError(f.servicesErr, r.project))
		case f.services[api]:
			add(CheckAPIEnabled, api, Pass, "enabled", "")
		default:
			add(CheckAPIEnabled, api, Fail, "disabled", fixEnableAPI(r.project, api))
		}
	}

	if sa := r.serviceAccountUnderTest(); sa != "" {
		out = append(out, r.saChecks(sa)...)
	}

	if r.cfg.Mode == config.ModeImpersonation || r.cfg.Mode == "" {
		member := "serviceAccount:" + r.admin
		switch has, known := f.projectHas(roleTokenCreator, member); {
		case !known:
			add(CheckGrantPattern, r.project, unreadable(f.policyErr, Skip), "cannot read the project policy: "+errText(f.policyErr), fixForReadError(f.policyErr, r.project))
		case has:
			add(CheckGrantPattern, r.project, Warn,
				fmt.Sprintf("Pattern B: %s holds Token Creator on the project, so it can impersonate every SA in it", r.admin),
				fmt.Sprintf("fedctl setup --grant per-user, then gcloud projects remove-iam-policy-binding %s --member=%s --role=%s --condition=None",
					r.project, member, roleTokenCreator))
		default:
			add(CheckGrantPattern, r.project, Pass, "Pattern A: Token Creator per user SA, not on the project", "")
		}
	}

	out = append(out, r.keyPolicyCheck())

	oauth := r.cfg.Mode == config.ModeOAuth
	for _, l := range evidenceLogs {
		if oauth && l.service == "iam.googleapis.com" {
			// oauth mode mints no service-account tokens: the users'
			// own accounts run the queries, so iam's logs prove nothing.
			continue
		}
		note := ""
		if oauth {
			// What matters in oauth mode: BigQuery's Data Access entries
			// name the user's own account as the principal.
			note = ": each query is attributed to the user who ran it (oauth: no service account in between)"
		}
		switch {
		case f.policy == nil:
			add(CheckDataAccessLogs, l.service, unreadable(f.policyErr, Skip), "cannot read the project policy: "+errText(f.policyErr), fixForReadError(f.policyErr, r.project))
		case f.policy.AuditLogsEnabled(l.service, l.logType):
			add(CheckDataAccessLogs, l.service, Pass, l.logType+" on"+note, "")
		case l.onByDefault:
			add(CheckDataAccessLogs, l.service, Pass, "on (written by default for this service)"+note, "")
		default:
			add(CheckDataAccessLogs, l.service, Warn, fmt.Sprintf("%s off: %s, so there is no evidence of who did what", l.logType, l.without),
				"fedctl audit enable --project "+r.project)
		}
	}
	return out
}

// serviceAccountUnderTest is the SA the project rows check: the admin SA
// (impersonation) or the target SA (wif, unless direct); "" for none.
func (r *runner) serviceAccountUnderTest() string {
	switch r.cfg.Mode {
	case config.ModeOAuth:
		return ""
	case config.ModeWIF:
		return r.cfg.WIF.TargetEmail(r.project)
	}
	return r.admin
}

// saChecks are the existence and keys rows of the admin (or target) SA.
func (r *runner) saChecks(sa string) []Check {
	f := r.facts
	existsName, keysName, what := CheckAdminSA, CheckAdminKeys, "the admin SA"
	if r.cfg.Mode == config.ModeWIF {
		existsName, keysName, what = CheckTargetSA, CheckTargetKeys, "the target SA"
	}
	row := func(name string, st Status, seen, fix string) Check {
		return Check{Scope: ScopeProject, Name: name, Subject: sa, Status: st, Seen: seen, Fix: fix}
	}
	var out []Check
	switch {
	case f.admin != nil && f.admin.Disabled:
		out = append(out, row(existsName, Fail, "exists but is disabled: no token can be minted for or by it", fixEnableSA(r.project, sa)))
	case f.admin != nil:
		out = append(out, row(existsName, Pass, "exists (unique ID "+f.admin.UniqueID+")", ""))
	case gcp.IsNotFound(f.adminErr):
		out = append(out, row(existsName, Fail, what+" does not exist", r.setupCommand("")))
		return append(out, row(keysName, Skip, what+" does not exist", ""))
	default:
		out = append(out, row(existsName, unreadable(f.adminErr, Fail), "cannot read: "+errText(f.adminErr), fixForReadError(f.adminErr, r.project)))
	}

	switch {
	case f.keysErr != nil:
		out = append(out, row(keysName, unreadable(f.keysErr, Skip), "cannot list keys: "+errText(f.keysErr), fixForReadError(f.keysErr, r.project)))
	case len(f.keys) == 0:
		out = append(out, row(keysName, Pass, "no user-managed keys", ""))
	default:
		if r.cfg.Mode == config.ModeWIF {
			seen, fix := targetKeysRow(r.project, sa, len(f.keys))
			out = append(out, row(keysName, Warn, seen, fix))
			break
		}
		seen := fmt.Sprintf("%d user-managed key(s): keys defeat keyless (anyone holding one is %s)", len(f.keys), sa)
		if r.opts.AdminKey != nil && r.cfg.Mode != config.ModeWIF {
			seen += "; --admin-key-file is one of them (a gateway needs it; keep it only there)"
		}
		// The prune command (SPEC §7.6), which spares the gateway's key
		// when verify was given it.
		fix := fixPruneKeys(r.project, []string{sa})
		if r.opts.AdminKey != nil && r.opts.AdminKeyFile != "" {
			fix += " --admin-key-file " + r.opts.AdminKeyFile
		}
		out = append(out, row(keysName, Warn, seen, fix))
	}
	return out
}

// unreadable is the status of a check whose read failed: Unchecked when
// Google's failure was transient (retried past the budget: the check was
// not made), else otherwise (the read's own failure explains it).
func unreadable(err error, otherwise Status) Status {
	if transient(err) {
		return Unchecked
	}
	return otherwise
}

// transient: Google failed in a way a later run may not (5xx, 429, a
// reset), as opposed to an answer about the configuration.
func transient(err error) bool {
	if gcp.IsTransient(err) {
		return true
	}
	k := gcp.KindOf(err)
	return k == gcp.KindUnavailable || k == gcp.KindRateLimited || k == gcp.KindDeadlineExceeded
}

// fixForReadError suggests what to do about a read that failed.
func fixForReadError(err error, project string) string {
	e := gcp.Classify(err)
	if e == nil {
		return ""
	}
	if transient(err) {
		return "re-run verify: Google's failure was transient"
	}
	switch e.Kind {
	case gcp.KindServiceDisabled:
		if e.Service != "" {
			return fixEnableAPI(project, e.Service)
		}
	case gcp.KindUnauthenticated:
		return "gcloud auth application-default login"
	case gcp.KindPermissionDenied:
		return fmt.Sprintf("run verify as a principal with roles/iam.securityReviewer and roles/serviceusage.serviceUsageViewer on %s (or roles/viewer)", project)
	}
	return ""
}

// errText is an error as one line for the Seen column.
func errText(err error) string {
	if err == nil {
		return ""
	}
	e := gcp.Classify(err)
	if e == nil {
		return err.Error()
	}
	if e.Kind == gcp.KindServiceDisabled && e.Service != "" {
		// Google's message is a paragraph; the fix names the command.
		return "SERVICE_DISABLED: " + e.Service + " is not enabled"
	}
	return e.Error()
}
