package audit

// AuditServices are the services whose Data Access logs federation evidence
// needs. GenerateAccessToken is an ADMIN_READ Data Access log of
// iamcredentials.googleapis.com, which is switched on through
// iam.googleapis.com (or allServices) — there is no auditConfig of its own.
// `audit enable` and `setup --data-access-logs` turn these on (the engine
// plans the edit); verify and the sink's warning check them.
var AuditServices = []string{"iam.googleapis.com", "bigquery.googleapis.com"}

// AuditLogTypes are the Data Access log types turned on for each service.
var AuditLogTypes = []string{"ADMIN_READ", "DATA_READ", "DATA_WRITE"}
