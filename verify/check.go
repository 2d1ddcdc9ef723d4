// Package verify is the SPEC §3 verification table: for the project and for
// each identity, whether a session would start, as whom, through whom — and
// if not, exactly why and how to fix it.
//
// Checks are data (Check), produced by Run from live reads and a live token
// mint and BigQuery probe, and rendered by RenderText or RenderJSON. Static
// checks tell why; the live mint and probe tell whether. On the happy path
// the mint and probe prove what the static checks would otherwise have to
// read (that the SA exists, that the admin holds Token Creator on it), so
// those reads are made only to explain a failure.
package verify

// Scope says what a check is about.
type Scope string

const (
	ScopeProject Scope = "project"
	ScopeUser    Scope = "user"
	ScopeWIF     Scope = "wif"
)

// Status is a check's outcome.
type Status string

const (
	// Pass: the check holds.
	Pass Status = "pass"
	// Fail: the check does not hold; a session would not start (exit 3).
	Fail Status = "fail"
	// Warn: sessions work, but something weakens the setup (keys, Pattern
	// B, missing audit evidence). Warnings do not change the exit code.
	Warn Status = "warn"
	// Skip: the check could not run (an earlier check failed, or verify
	// cannot mint as the admin); Seen says why, Fix how to enable it.
	Skip Status = "skip"
	// Unchecked: the check could not be made because Google kept failing
	// (503s, 429s, resets past the retry budget): neither pass nor "checked
	// and wrong", but the run did not verify it, so it fails the run
	// (exit 3, "could not check: …").
	Unchecked Status = "could_not_check"
)

// Check names (stable: they are the JSON "name" values documented in
// docs/verify.md).
const (
	CheckAPIEnabled     = "api_enabled"
	CheckAdminSA        = "admin_sa_exists"
	CheckAdminKeys      = "admin_sa_keys"
	CheckGrantPattern   = "token_creator_scope"
	CheckDataAccessLogs = "data_access_logs"

	CheckTemplate     = "identity_template"
	CheckUserSA       = "user_sa_exists"
	CheckTokenCreator = "token_creator"
	CheckDataRoles    = "data_roles"
	CheckMint         = "token_mint"
	CheckProbe        = "bigquery_probe"

	CheckWIFPool      = "wif_pool"
	CheckWIFProvider  = "wif_provider"
	CheckTargetSA     = "target_sa_exists"
	CheckTargetKeys   = "target_sa_keys"
	CheckWorkloadUser = "workload_identity_user"
)

// Check is one row of the verification table.
type Check struct {
	Scope Scope `json:"scope"`
	// Name is the check's stable identifier (CheckMint, ...).
	Name string `json:"name"`
	// Subject is what was checked: a user's email for user rows, else the
	// resource (an API, a service account, the project).
	Subject string `json:"subject"`
	Status  Status `json:"status"`
	// Seen is what was observed, in one line.
	Seen string `json:"seen"`
	// Fix is the exact fedctl or gcloud command that fixes a fail or warn
	// (or enables a skipped check); empty on pass.
	Fix string `json:"fix,omitempty"`
}

// Title is the human label of a check name, for the table.
func Title(name string) string {
	if t, ok := titles[name]; ok {
		return t
	}
	return name
}

var titles = map[string]string{
	CheckAPIEnabled:     "API enabled",
	CheckAdminSA:        "admin SA exists",
	CheckAdminKeys:      "admin SA keys",
	CheckGrantPattern:   "Token Creator scope",
	CheckDataAccessLogs: "Data Access logs",
	CheckTemplate:       "template renders",
	CheckUserSA:         "user SA exists",
	CheckTokenCreator:   "admin is Token Creator",
	CheckDataRoles:      "data roles",
	CheckMint:           "token mint",
	CheckProbe:          "BigQuery probe",
	CheckWIFPool:        "pool active",
	CheckWIFProvider:    "provider active",
	CheckTargetSA:       "target SA exists",
	CheckTargetKeys:     "target SA keys",
	CheckWorkloadUser:   "workload identity user",
}
