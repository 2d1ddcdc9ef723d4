package audit

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PrincipalStats is one row of `audit report`.
type PrincipalStats struct {
	Principal string `json:"principal"`
	// TokensMinted counts tokens minted for this principal (as the target
	// SA); Mints counts the mints it made (as the caller: the admin SA).
	TokensMinted  int       `json:"tokens_minted"`
	Mints         int       `json:"mints"`
	Queries       int       `json:"queries"`
	FailedQueries int       `json:"failed_queries"`
	Bypasses      int       `json:"bypasses"`
	FirstSeen     time.Time `json:"first_seen"`
	LastSeen      time.Time `json:"last_seen"`
}

// Report accumulates PrincipalStats from a stream of events. A job's
// several entries (insert, completion) count once; memory grows with the
// number of principals, not of entries.
type Report struct {
	Federation *Federation // nil: no bypass counting
	Strict     bool
	by         map[string]*PrincipalStats
	jobs       *jobSet
	failed     *jobSet
	bypassed   *jobSet
}

// Add counts one event.
func (r *Report) Add(e *Event) {
	if r.by == nil {
		r.by = map[string]*PrincipalStats{}
		r.jobs, r.failed, r.bypassed = newJobSet(100_000), newJobSet(100_000), newJobSet(100_000)
	}
	switch e.Kind {
	case KindMint:
		if !e.Failed() {
			r.row(e.Target, e.Time).TokensMinted++
		}
		r.row(e.Principal, e.Time).Mints++
	case KindQuery:
		row := r.row(e.Principal, e.Time)
		if r.jobs.add(e, "") {
			row.Queries++
		}
		if e.Failed() && r.failed.add(e, "") {
			row.FailedQueries++
		}
		if r.Federation != nil && r.Federation.Check(e, r.Strict) != nil && r.bypassed.add(e, "") {
			row.Bypasses++
		}
	}
}

func (r *Report) row(p string, t time.Time) *PrincipalStats {
	s := r.by[p]
	if s == nil {
		s = &PrincipalStats{Principal: p, FirstSeen: t, LastSeen: t}
		r.by[p] = s
	}
	if t.Before(s.FirstSeen) {
		s.FirstSeen = t
	}
	if t.After(s.LastSeen) {
		s.LastSeen = t
	}
	return s
}

// Rows are the per-principal stats, by principal.
func (r *Report) Rows() []PrincipalStats {
	out := make([]PrincipalStats, 0, len(r.by))
	for _, s := range r.by {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Principal < out[j].Principal })
	return out
}

// SinkTable is the table a sink with partitioned tables writes the Data
// Access audit log to (log ID with '/' and '.' as '_', gcp-wire §8.4).
const SinkTable = "cloudaudit_googleapis_com_data_access"

// ReportSQL is the BigQuery SQL equivalent of Report over a sink's dataset:
// the same counts per principal since the given time, from both BigQuery
// payload styles (metadataJson for BigQueryAuditMetadata,
// servicedata_v1_bigquery for legacy AuditData). A job counts once (by job
// ID); bypass detection needs the federation's rules and is left to
// `audit bypass`.
func ReportSQL(project, dataset string, since time.Time) string {
	table := fmt.Sprintf("`%s.%s.%s`", project, dataset, SinkTable)
	return strings.TrimSpace(fmt.Sprintf(`
WITH e AS (
  SELECT
    timestamp,
    protopayload_auditlog.serviceName AS service,
    protopayload_auditlog.methodName AS method,
    protopayload_auditlog.authenticationInfo.principalEmail AS principal,
    IFNULL(protopayload_auditlog.status.code, 0) AS code,
    REGEXP_EXTRACT(JSON_EXTRACT_SCALAR(protopayload_auditlog.requestJson, '$.name'), r'serviceAccounts/(.+)$') AS target,
    COALESCE(
      REGEXP_EXTRACT(JSON_EXTRACT_SCALAR(protopayload_auditlog.metadataJson, '$.jobInsertion.job.jobName'), r'/jobs/(.+)$'),
      REGEXP_EXTRACT(JSON_EXTRACT_SCALAR(protopayload_auditlog.metadataJson, '$.jobChange.job.jobName'), r'/jobs/(.+)$'),
      protopayload_auditlog.servicedata_v1_bigquery.jobCompletedEvent.job.jobName.jobId,
      protopayload_auditlog.servicedata_v1_bigquery.jobInsertResponse.resource.jobName.jobId) AS job_id,
    COALESCE(
      JSON_EXTRACT_SCALAR(protopayload_auditlog.metadataJson, '$.jobChange.job.jobStatus.errorResult.message'),
      protopayload_auditlog.servicedata_v1_bigquery.jobCompletedEvent.job.jobStatus.error.message) AS job_error
  FROM %s
  WHERE timestamp >= TIMESTAMP(%q)
),
mints AS (
  SELECT target AS principal, COUNT(*) AS tokens_minted, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen
  FROM e
  WHERE service = 'iamcredentials.googleapis.com' AND method LIKE '%%GenerateAccessToken' AND code = 0
  GROUP BY target
),
minters AS (
  SELECT principal, COUNT(*) AS mints, MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen
  FROM e
  WHERE service = 'iamcredentials.googleapis.com' AND method LIKE '%%GenerateAccessToken'
  GROUP BY principal
),
queries AS (
  SELECT principal,
    COUNT(DISTINCT job_id) AS queries,
    COUNT(DISTINCT IF(code != 0 OR job_error IS NOT NULL, job_id, NULL)) AS failed_queries,
    MIN(timestamp) AS first_seen, MAX(timestamp) AS last_seen
  FROM e
  WHERE service = 'bigquery.googleapis.com' AND job_id IS NOT NULL
  GROUP BY principal
)
SELECT
  principal,
  IFNULL(mints.tokens_minted, 0) AS tokens_minted,
  IFNULL(minters.mints, 0) AS mints,
  IFNULL(queries.queries, 0) AS queries,
  IFNULL(queries.failed_queries, 0) AS failed_queries,
  LEAST(IFNULL(mints.first_seen, TIMESTAMP '9999-12-31'), IFNULL(minters.first_seen, TIMESTAMP '9999-12-31'), IFNULL(queries.first_seen, TIMESTAMP '9999-12-31')) AS first_seen,
  GREATEST(IFNULL(mints.last_seen, TIMESTAMP '0001-01-01'), IFNULL(minters.last_seen, TIMESTAMP '0001-01-01'), IFNULL(queries.last_seen, TIMESTAMP '0001-01-01')) AS last_seen
FROM mints
FULL OUTER JOIN minters USING (principal)
FULL OUTER JOIN queries USING (principal)
ORDER BY principal
`, table, since.UTC().Format(time.RFC3339)))
}

// EventsSQL is the query `audit sink create` prints: mints and query jobs
// with their delegation chains and SQL text, newest first, from the sink's
// partitioned table.
func EventsSQL(project, dataset string) string {
	table := fmt.Sprintf("`%s.%s.%s`", project, dataset, SinkTable)
	return strings.TrimSpace(fmt.Sprintf(`
SELECT
  timestamp,
  IF(protopayload_auditlog.serviceName = 'iamcredentials.googleapis.com', 'mint', 'query') AS event,
  protopayload_auditlog.authenticationInfo.principalEmail AS principal,
  ARRAY_TO_STRING(ARRAY(
    SELECT IFNULL(d.firstPartyPrincipal.principalEmail, d.principalSubject)
    FROM UNNEST(protopayload_auditlog.authenticationInfo.serviceAccountDelegationInfo) AS d), ' > ') AS via,
  JSON_EXTRACT_SCALAR(protopayload_auditlog.requestJson, '$.name') AS mint_target,
  COALESCE(
    JSON_EXTRACT_SCALAR(protopayload_auditlog.metadataJson, '$.jobChange.job.jobConfig.queryConfig.query'),
    JSON_EXTRACT_SCALAR(protopayload_auditlog.metadataJson, '$.jobInsertion.job.jobConfig.queryConfig.query'),
    protopayload_auditlog.servicedata_v1_bigquery.jobCompletedEvent.job.jobConfiguration.query.query) AS query,
  protopayload_auditlog.status.code AS status_code
FROM %s
WHERE timestamp >= TIMESTAMP_SUB(CURRENT_TIMESTAMP(), INTERVAL 1 DAY)
ORDER BY timestamp DESC`, table))
}
