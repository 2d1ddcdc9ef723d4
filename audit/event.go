package audit

import "time"

// Kind is what an audit entry records, as far as federation cares.
type Kind string

const (
	// KindMint is an iamcredentials GenerateAccessToken call.
	KindMint Kind = "mint"
	// KindQuery is a BigQuery job (insertion, completion or jobs.query).
	KindQuery Kind = "query"
	// KindOther is any other entry (kept so that callers can count it).
	KindOther Kind = "other"
)

// Phase says where in a BigQuery job's life an entry was written: a job
// usually yields one entry when it is inserted and one when it completes.
type Phase string

const (
	PhaseInsert Phase = "insert"
	PhaseDone   Phase = "done"
)

// Event is one audit entry reduced to what fedctl shows and checks.
type Event struct {
	Time     time.Time `json:"time"`
	Kind     Kind      `json:"event"`
	InsertID string    `json:"insert_id,omitempty"`
	Service  string    `json:"service,omitempty"`
	Method   string    `json:"method,omitempty"`

	// Principal is the effective caller: the impersonated SA for a query,
	// the minting identity (the admin SA) for a mint.
	Principal string `json:"principal,omitempty"`
	// Via is the delegation chain (serviceAccountDelegationInfo), the
	// original caller first. Empty when the principal acted itself.
	Via []string `json:"via,omitempty"`
	// KeyName is the service-account key the principal authenticated with,
	// when one was used (a key defeats keyless federation).
	KeyName string `json:"key_name,omitempty"`

	// Target is the service account a token was minted for (mints).
	Target string `json:"target,omitempty"`
	// Delegates are the intermediate service accounts of a mint's
	// delegation chain (generateAccessToken's delegates), in order.
	Delegates []string `json:"delegates,omitempty"`

	// Query is the SQL text of a query job; JobType is QUERY, COPY, ...
	Query   string `json:"query,omitempty"`
	JobID   string `json:"job_id,omitempty"`
	JobType string `json:"job_type,omitempty"`
	Phase   Phase  `json:"phase,omitempty"`

	// Code and Error are the call's or the job's failure (0 and "" when OK).
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`

	// MintedBy is the mint that produced the token a query ran with, when
	// Correlator could pair them.
	MintedBy *MintRef `json:"minted_by,omitempty"`
}

// MintRef points at the mint entry a query's token came from.
type MintRef struct {
	InsertID string    `json:"insert_id"`
	Time     time.Time `json:"time"`
	Caller   string    `json:"caller"`
}

// Failed reports whether the call or the job failed.
func (e *Event) Failed() bool { return e.Code != 0 || e.Error != "" }

// Status is "OK" or "ERROR".
func (e *Event) Status() string {
	if e.Failed() {
		return "ERROR"
	}
	return "OK"
}

// ViaContains reports whether member (an email or principal string) is in
// the delegation chain.
func (e *Event) ViaContains(member string) bool {
	for _, v := range e.Via {
		if v == member {
			return true
		}
	}
	return false
}
