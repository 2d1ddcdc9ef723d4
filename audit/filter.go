package audit

import (
	"strings"
	"time"
)

// Method names of the entries fedctl reads (gcp-wire §6.1, §8.4).
const (
	methodGenerateAccessToken = "GenerateAccessToken"
)

// bigQueryJobMethods are the methodNames of BigQuery job entries in both
// payload styles: BigQueryAuditMetadata and legacy AuditData.
var bigQueryJobMethods = []string{
	"google.cloud.bigquery.v2.JobService.InsertJob",
	"google.cloud.bigquery.v2.JobService.Query",
	"jobservice.insert",
	"jobservice.query",
	"jobservice.jobcompleted",
}

// DataAccessLog is the log ID both the mints and the BigQuery job entries
// are written to.
const DataAccessLog = "cloudaudit.googleapis.com/data_access"

// Selection says which audit entries to read. It becomes a Logging filter
// (server-side selection, so pages carry only what is wanted) and a Match
// (the exact client-side check on parsed events).
type Selection struct {
	Project string
	// Since and Until bound the entry timestamps (zero: unbounded).
	// Since is inclusive, Until exclusive.
	Since, Until time.Time
	// Kinds to read: KindMint, KindQuery; empty means both.
	Kinds []Kind
	// Principals, when set, keep only events involving one of them: as the
	// effective principal, in the delegation chain, or as a mint's target.
	// Emails (user SAs or Google accounts) or principal:// subjects.
	Principals []string
	// AdminSA, when set, keeps only events involving the admin SA: mints it
	// made and queries delegated through it.
	AdminSA string
}

func (s Selection) wants(k Kind) bool {
	if len(s.Kinds) == 0 {
		return k == KindMint || k == KindQuery
	}
	for _, w := range s.Kinds {
		if w == k {
			return true
		}
	}
	return false
}

// Filter is the Logging query for the selection (gcp-wire §8.5). Clauses
// are joined with explicit AND and every OR group is parenthesised, so the
// result reads the same under any precedence rules.
func (s Selection) Filter() string {
	var and []string
	if s.Project != "" {
		and = append(and, cmp("logName", "=", logName(s.Project, DataAccessLog)))
	}
	if !s.Since.IsZero() {
		and = append(and, cmp("timestamp", ">=", s.Since.UTC().Format(time.RFC3339Nano)))
	}
	if !s.Until.IsZero() {
		and = append(and, cmp("timestamp", "<", s.Until.UTC().Format(time.RFC3339Nano)))
	}
	var kinds []string
	if s.wants(KindMint) {
		kinds = append(kinds, "("+cmp("protoPayload.serviceName", "=", serviceIAMCredentials)+
			" AND "+cmp("protoPayload.methodName", ":", methodGenerateAccessToken)+")")
	}
	if s.wants(KindQuery) {
		var ms []string
		for _, m := range bigQueryJobMethods {
			ms = append(ms, cmp("protoPayload.methodName", "=", m))
		}
		kinds = append(kinds, "("+cmp("protoPayload.serviceName", "=", serviceBigQuery)+
			" AND "+or(ms)+")")
	}
	and = append(and, or(kinds))
	if len(s.Principals) > 0 {
		var ps []string
		for _, p := range s.Principals {
			ps = append(ps, involving(p, true)...)
		}
		and = append(and, or(ps))
	}
	if s.AdminSA != "" {
		and = append(and, or(involving(s.AdminSA, false)))
	}
	return strings.Join(and, " AND ")
}

// involving are the filter terms that find member as the caller, in the
// delegation chain and, with asTarget, as the SA a token was minted for.
func involving(member string, asTarget bool) []string {
	terms := []string{
		cmp("protoPayload.authenticationInfo.principalEmail", "=", member),
		cmp("protoPayload.authenticationInfo.serviceAccountDelegationInfo.firstPartyPrincipal.principalEmail", "=", member),
	}
	if strings.HasPrefix(member, "principal://") {
		terms = []string{
			cmp("protoPayload.authenticationInfo.principalSubject", "=", member),
			cmp("protoPayload.authenticationInfo.serviceAccountDelegationInfo.principalSubject", "=", member),
		}
	} else if asTarget {
		terms = append(terms, cmp("protoPayload.request.name", "=", "projects/-/serviceAccounts/"+member))
	}
	return terms
}

// Match is the exact client-side check of the selection on a parsed event
// (the server-side filter narrows; this decides).
func (s Selection) Match(e *Event) bool {
	if !s.wants(e.Kind) {
		return false
	}
	if !s.Since.IsZero() && e.Time.Before(s.Since) {
		return false
	}
	if !s.Until.IsZero() && !e.Time.Before(s.Until) {
		return false
	}
	if len(s.Principals) > 0 {
		found := false
		for _, p := range s.Principals {
			if e.Principal == p || e.ViaContains(p) || e.Target == p {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	if s.AdminSA != "" && e.Principal != s.AdminSA && !e.ViaContains(s.AdminSA) {
		return false
	}
	return true
}

// logName is the URL-encoded log name a filter must use.
func logName(project, logID string) string {
	return "projects/" + project + "/logs/" + strings.ReplaceAll(logID, "/", "%2F")
}

// cmp is one comparison with a quoted value.
func cmp(field, op, value string) string { return field + op + quote(value) }

func quote(v string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

func or(terms []string) string {
	if len(terms) == 1 {
		return terms[0]
	}
	return "(" + strings.Join(terms, " OR ") + ")"
}
