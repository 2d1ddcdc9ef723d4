package audit

import (
	"errors"
	"strings"
	"time"

	logging "google.golang.org/api/logging/v2"
)

// The structs below are a narrow tree over LogEntry and AuditLog: only the
// fields fedctl reads. decode.go fills them with a skipping scanner (SPEC
// §6: ≥ 100,000 entries/s on one core). Comments give Google's proto3 JSON
// names (gcp-wire §8.2-8.4).

type rawEntry struct {
	InsertID     string    // insertId
	Timestamp    string    // timestamp
	EmailID      string    // resource.labels.email_id (service_account resources: mints)
	ProtoPayload *rawAudit // protoPayload
}

type rawAudit struct {
	ServiceName  string // serviceName
	MethodName   string // methodName
	ResourceName string // resourceName
	Status       rawStatus
	Auth         rawAuth
	// request.name and request.delegates of generateAccessToken
	// ("projects/-/serviceAccounts/EMAIL").
	RequestName      string
	RequestDelegates []string
	Metadata         *rawMetadata
	ServiceData      *rawServiceData
}

type rawStatus struct {
	Code    int    // code
	Message string // message
}

type rawAuth struct {
	PrincipalEmail        string   // principalEmail
	PrincipalSubject      string   // principalSubject
	ServiceAccountKeyName string   // serviceAccountKeyName
	Delegation            []string // serviceAccountDelegationInfo[]: firstPartyPrincipal.principalEmail or principalSubject
}

// rawMetadata is AuditLog.metadata: BigQueryAuditMetadata for BigQuery (new
// style), or the iamcredentials metadata with the delegation chain.
type rawMetadata struct {
	IdentityDelegationChain []string // identityDelegationChain
	JobInsertion            *rawJob  // jobInsertion.job
	JobChange               *rawJob  // jobChange.job
	JobChangeAfter          string   // jobChange.after
}

// rawJob is BigQueryAuditMetadata.Job.
type rawJob struct {
	JobName     string    // jobName: projects/P/jobs/ID
	Type        string    // jobConfig.type
	Query       string    // jobConfig.queryConfig.query
	JobState    string    // jobStatus.jobState
	ErrorResult rawStatus // jobStatus.errorResult
}

// rawServiceData is the legacy AuditData (bigquery.logging.v1).
type rawServiceData struct {
	JobInsertRequest  *rawLegacyJob // jobInsertRequest.resource
	JobInsertResponse *rawLegacyJob // jobInsertResponse.resource
	JobQueryRequest   *string       // jobQueryRequest.query
	JobQueryResponse  *rawLegacyJob // jobQueryResponse.job
	JobCompletedEvent *rawLegacyJob // jobCompletedEvent.job
}

type rawLegacyJob struct {
	JobID   string    // jobName.jobId
	Query   string    // jobConfiguration.query.query
	JobType string    // from which jobConfiguration member is set
	State   string    // jobStatus.state
	Error   rawStatus // jobStatus.error
}

const (
	serviceIAMCredentials = "iamcredentials.googleapis.com"
	serviceBigQuery       = "bigquery.googleapis.com"
)

// ErrNotAudit is returned for an entry without an AuditLog protoPayload.
var ErrNotAudit = errors.New("not an audit log entry")

// ParseEntry parses one LogEntry (JSON, as entries.list returns it or as
// exported) into an Event.
func ParseEntry(data []byte) (*Event, error) {
	ev, _, err := parseEntryPrefix(data)
	return ev, err
}

// parseEntryPrefix parses the LogEntry at the start of data and returns the
// bytes it spans; n is 0 when data does not start with one whole entry
// (malformed, or cut short), n > 0 with an error for a whole entry that is
// no audit event.
func parseEntryPrefix(data []byte) (ev *Event, n int, err error) {
	var raw rawEntry
	if n, err = decodeEntry(data, &raw); err != nil {
		return nil, 0, err
	}
	if raw.ProtoPayload == nil {
		return nil, n, ErrNotAudit
	}
	ev, err = raw.event(raw.ProtoPayload)
	return ev, n, err
}

// FromLogEntry converts an entry decoded by the Logging client: only its
// protoPayload (left raw by the client) needs parsing.
func FromLogEntry(le *logging.LogEntry) (*Event, error) {
	if len(le.ProtoPayload) == 0 {
		return nil, ErrNotAudit
	}
	var pp rawAudit
	if err := decodeAudit(le.ProtoPayload, &pp); err != nil {
		return nil, err
	}
	raw := rawEntry{InsertID: le.InsertId, Timestamp: le.Timestamp}
	if le.Resource != nil {
		raw.EmailID = le.Resource.Labels["email_id"]
	}
	return raw.event(&pp)
}

func (raw *rawEntry) event(pp *rawAudit) (*Event, error) {
	ev := &Event{InsertID: raw.InsertID, Service: pp.ServiceName, Method: pp.MethodName, Kind: KindOther}
	if raw.Timestamp != "" {
		t, err := time.Parse(time.RFC3339Nano, raw.Timestamp)
		if err != nil {
			return nil, err
		}
		ev.Time = t
	}
	a := &pp.Auth
	ev.Principal = a.PrincipalEmail
	if ev.Principal == "" {
		ev.Principal = a.PrincipalSubject
	}
	ev.KeyName = a.ServiceAccountKeyName
	ev.Via = a.Delegation
	if pp.Status.Code != 0 {
		ev.Code, ev.Error = pp.Status.Code, pp.Status.Message
	}

	switch {
	case pp.ServiceName == serviceIAMCredentials && strings.HasSuffix(pp.MethodName, "GenerateAccessToken"):
		ev.Kind = KindMint
		ev.Target, ev.Delegates = mintTarget(raw, pp)
	case pp.ServiceName == serviceBigQuery:
		bigQueryJob(ev, pp)
	}
	return ev, nil
}

// mintTarget finds the SA a token was minted for. The request names it by
// email; resourceName usually carries its numeric unique ID, so it comes
// last. The metadata chain lists the delegates, then the target.
func mintTarget(raw *rawEntry, pp *rawAudit) (target string, delegates []string) {
	target = saFromResource(pp.RequestName)
	for _, d := range pp.RequestDelegates {
		delegates = append(delegates, saFromResource(d))
	}
	if md := pp.Metadata; md != nil && len(md.IdentityDelegationChain) > 0 {
		chain := md.IdentityDelegationChain
		if target == "" {
			target = saFromResource(chain[len(chain)-1])
		}
		if delegates == nil && len(chain) > 1 {
			for _, d := range chain[:len(chain)-1] {
				delegates = append(delegates, saFromResource(d))
			}
		}
	}
	if target == "" {
		target = raw.EmailID
	}
	if target == "" {
		target = saFromResource(pp.ResourceName)
	}
	return target, delegates
}

// saFromResource turns "projects/-/serviceAccounts/X" into X.
func saFromResource(name string) string {
	if i := strings.LastIndex(name, "/serviceAccounts/"); i >= 0 {
		return name[i+len("/serviceAccounts/"):]
	}
	return name
}

// bigQueryJob fills the job fields from whichever payload style the entry
// carries (gcp-wire §8.4): BigQueryAuditMetadata (metadata.jobInsertion /
// jobChange) or legacy AuditData (serviceData.jobInsertRequest /
// jobQueryRequest / jobCompletedEvent).
func bigQueryJob(ev *Event, pp *rawAudit) {
	if md := pp.Metadata; md != nil {
		job := md.JobChange
		if job != nil {
			if md.JobChangeAfter == "DONE" {
				ev.Phase = PhaseDone
			}
		} else if job = md.JobInsertion; job != nil {
			ev.Phase = PhaseInsert
		}
		if job != nil {
			ev.Kind = KindQuery
			ev.JobID = jobIDFromName(job.JobName)
			ev.JobType = job.Type
			ev.Query = job.Query
			if job.JobState == "DONE" {
				ev.Phase = PhaseDone
			}
			setJobError(ev, job.ErrorResult)
			return
		}
	}
	sd := pp.ServiceData
	if sd == nil {
		return
	}
	var job *rawLegacyJob
	switch {
	case sd.JobCompletedEvent != nil:
		job = sd.JobCompletedEvent
		ev.Phase = PhaseDone
	case sd.JobInsertRequest != nil:
		job = sd.JobInsertRequest
		ev.Phase = PhaseInsert
		if r := sd.JobInsertResponse; r != nil {
			// The response carries the job ID and, for a synchronous
			// insert, its final state.
			mergeLegacy(job, r)
		}
	case sd.JobQueryRequest != nil:
		job = &rawLegacyJob{Query: *sd.JobQueryRequest, JobType: "QUERY"}
		ev.Phase = PhaseInsert
		if r := sd.JobQueryResponse; r != nil {
			mergeLegacy(job, r)
		}
	default:
		return
	}
	ev.Kind = KindQuery
	ev.JobID = job.JobID
	ev.JobType = job.JobType
	ev.Query = job.Query
	if job.State == "DONE" {
		ev.Phase = PhaseDone
	}
	setJobError(ev, job.Error)
}

func mergeLegacy(dst, src *rawLegacyJob) {
	if dst.JobID == "" {
		dst.JobID = src.JobID
	}
	if dst.Query == "" {
		dst.Query = src.Query
	}
	if dst.JobType == "" {
		dst.JobType = src.JobType
	}
	if src.State != "" {
		dst.State, dst.Error = src.State, src.Error
	}
}

func setJobError(ev *Event, s rawStatus) {
	if (s.Code == 0 && s.Message == "") || ev.Failed() {
		return
	}
	ev.Code, ev.Error = s.Code, s.Message
}

// jobIDFromName turns "projects/P/jobs/ID" into ID.
func jobIDFromName(name string) string {
	if i := strings.LastIndex(name, "/jobs/"); i >= 0 {
		return name[i+len("/jobs/"):]
	}
	return name
}
