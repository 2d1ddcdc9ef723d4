package audit

import (
	"context"
	"time"

	logging "google.golang.org/api/logging/v2"
)

// Service-account key use (SPEC §7.6): every audit entry whose caller
// authenticated with a key carries protoPayload.authenticationInfo.
// serviceAccountKeyName ("//iam.googleapis.com/projects/P/serviceAccounts/
// E/keys/ID", gcp-wire §8.2), in the Data Access log (queries, mints) and
// in the Admin Activity log (admin writes).

// ActivityLog is the Admin Activity audit log ID.
const ActivityLog = "cloudaudit.googleapis.com/activity"

// auditLogsFilter selects the Data Access and Admin Activity logs of project
// from since on (zero: from the start of the log).
func auditLogsFilter(project string, since time.Time) string {
	f := or([]string{cmp("logName", "=", logName(project, DataAccessLog)), cmp("logName", "=", logName(project, ActivityLog))})
	if !since.IsZero() {
		f += " AND " + cmp("timestamp", ">=", since.UTC().Format(time.RFC3339Nano))
	}
	return f
}

// KeyUseFilter is the Logging query for the entries made with a
// service-account key (`field:*` is Logging's presence test, gcp-wire §8.5).
func KeyUseFilter(project string, since time.Time) string {
	return auditLogsFilter(project, since) + " AND protoPayload.authenticationInfo.serviceAccountKeyName:*"
}

// ReadKeyUse streams, oldest first, every audit event of project since
// since whose caller authenticated with a service-account key (Event.KeyName
// set), whatever its kind: admin writes are KindOther.
func (r *Reader) ReadKeyUse(ctx context.Context, project string, since time.Time, fn func(*Event) error) error {
	req := &logging.ListLogEntriesRequest{
		ResourceNames: []string{"projects/" + project},
		Filter:        KeyUseFilter(project, since),
		OrderBy:       "timestamp asc",
		PageSize:      r.pageSize(),
	}
	return r.read(ctx, req, func(e *Event) bool { return e.KeyName != "" }, fn)
}

// OldestAuditEntry is the time of the oldest Data Access or Admin Activity
// entry of project at or after since: how far back "no use seen" reaches.
// Zero when the logs hold none.
func (r *Reader) OldestAuditEntry(ctx context.Context, project string, since time.Time) (time.Time, error) {
	req := &logging.ListLogEntriesRequest{
		ResourceNames: []string{"projects/" + project},
		Filter:        auditLogsFilter(project, since),
		OrderBy:       "timestamp asc",
		PageSize:      1,
	}
	var oldest time.Time
	err := r.read(ctx, req, func(*Event) bool { return true }, func(e *Event) error {
		oldest = e.Time
		return ErrStop
	})
	return oldest, err
}

func (r *Reader) pageSize() int64 {
	if r.PageSize <= 0 {
		return DefaultPageSize
	}
	return r.PageSize
}
