package emulator

import (
	"encoding/json"
	"net"
	"net/url"
	"strings"
	"time"
)

// Cloud Audit Logs as Google writes them (gcp-wire §8.2-8.4): LogEntry
// objects whose protoPayload is a google.cloud.audit.AuditLog. Entries are
// kept in State.Logs as JSON, oldest first, which is also timestamp order for
// the entries the emulator writes itself.

// Audit log IDs, already URL-encoded as they appear in logName.
const (
	logDataAccess = "cloudaudit.googleapis.com%2Fdata_access"
	logActivity   = "cloudaudit.googleapis.com%2Factivity"
)

const auditLogType = "type.googleapis.com/google.cloud.audit.AuditLog"

// logEntry is google.logging.v2.LogEntry (the fields the emulator writes).
type logEntry struct {
	InsertID         string            `json:"insertId"`
	LogName          string            `json:"logName"`
	Resource         monitoredResource `json:"resource"`
	ProtoPayload     *auditLog         `json:"protoPayload,omitempty"`
	Timestamp        string            `json:"timestamp"`
	ReceiveTimestamp string            `json:"receiveTimestamp"`
	Severity         string            `json:"severity"`
	Operation        *logOperation     `json:"operation,omitempty"`
}

type monitoredResource struct {
	Type   string            `json:"type"`
	Labels map[string]string `json:"labels"`
}

type logOperation struct {
	ID       string `json:"id"`
	Producer string `json:"producer"`
	First    bool   `json:"first,omitempty"`
	Last     bool   `json:"last,omitempty"`
}

// auditLog is google.cloud.audit.AuditLog in proto3 JSON.
type auditLog struct {
	Type               string              `json:"@type"`
	Status             *rpcStatus          `json:"status"`
	AuthenticationInfo *authenticationInfo `json:"authenticationInfo"`
	RequestMetadata    *requestMetadata    `json:"requestMetadata,omitempty"`
	ServiceName        string              `json:"serviceName"`
	MethodName         string              `json:"methodName"`
	AuthorizationInfo  []authorizationInfo `json:"authorizationInfo,omitempty"`
	ResourceName       string              `json:"resourceName,omitempty"`
	ResourceLocation   *resourceLocation   `json:"resourceLocation,omitempty"`
	Request            map[string]any      `json:"request,omitempty"`
	Response           map[string]any      `json:"response,omitempty"`
	Metadata           map[string]any      `json:"metadata,omitempty"`
	ServiceData        map[string]any      `json:"serviceData,omitempty"`
}

// rpcStatus is google.rpc.Status; the zero value marshals as {} (OK).
type rpcStatus struct {
	Code    int    `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

type authenticationInfo struct {
	PrincipalEmail               string            `json:"principalEmail,omitempty"`
	PrincipalSubject             string            `json:"principalSubject,omitempty"`
	ServiceAccountKeyName        string            `json:"serviceAccountKeyName,omitempty"`
	ServiceAccountDelegationInfo []delegationEntry `json:"serviceAccountDelegationInfo,omitempty"`
}

// delegationEntry is AuditLog ServiceAccountDelegationInfo: a first-party
// principal (user or SA email) or a federated principal by subject.
type delegationEntry struct {
	PrincipalSubject    string               `json:"principalSubject,omitempty"`
	FirstPartyPrincipal *firstPartyPrincipal `json:"firstPartyPrincipal,omitempty"`
}

type firstPartyPrincipal struct {
	PrincipalEmail string `json:"principalEmail"`
}

type authorizationInfo struct {
	Resource           string         `json:"resource,omitempty"`
	Permission         string         `json:"permission"`
	Granted            bool           `json:"granted,omitempty"` // proto3 JSON omits false
	ResourceAttributes map[string]any `json:"resourceAttributes"`
	PermissionType     string         `json:"permissionType,omitempty"`
}

type requestMetadata struct {
	CallerIP                string         `json:"callerIp,omitempty"`
	CallerSuppliedUserAgent string         `json:"callerSuppliedUserAgent,omitempty"`
	RequestAttributes       map[string]any `json:"requestAttributes"`
	DestinationAttributes   map[string]any `json:"destinationAttributes"`
}

type resourceLocation struct {
	CurrentLocations []string `json:"currentLocations"`
}

// authInfoFor is the authenticationInfo of a caller: the effective principal,
// the key it signed in with, and the impersonation chain (original caller
// first, as Identity.Chain holds it).
func authInfoFor(id *Identity) *authenticationInfo {
	ai := &authenticationInfo{PrincipalEmail: id.Email(), PrincipalSubject: id.Principal, ServiceAccountKeyName: id.KeyName}
	for _, m := range id.Chain {
		ai.ServiceAccountDelegationInfo = append(ai.ServiceAccountDelegationInfo, delegationFor(m))
	}
	return ai
}

func delegationFor(member string) delegationEntry {
	if kind, email, ok := strings.Cut(member, ":"); ok && (kind == "user" || kind == "serviceAccount") {
		return delegationEntry{FirstPartyPrincipal: &firstPartyPrincipal{PrincipalEmail: email}}
	}
	return delegationEntry{PrincipalSubject: member}
}

// requestMetadataFor describes the HTTP caller as Google does (the GFE
// appends ",gzip(gfe)" to the user agent).
func (c *call) requestMetadataFor() *requestMetadata {
	ip := c.r.RemoteAddr
	if h, _, err := net.SplitHostPort(ip); err == nil {
		ip = h
	}
	ua := c.r.Header.Get("User-Agent")
	if ua != "" {
		ua += ",gzip(gfe)"
	}
	return &requestMetadata{CallerIP: ip, CallerSuppliedUserAgent: ua,
		RequestAttributes:     map[string]any{"time": c.now.UTC().Format(time.RFC3339Nano), "auth": map[string]any{}},
		DestinationAttributes: map[string]any{}}
}

// logName is the full name of a log in a project; logID is already encoded.
func logName(projectID, logID string) string {
	return "projects/" + projectID + "/logs/" + logID
}

// encodeLogID URL-encodes a log ID for logName ("a/b" → "a%2Fb").
func encodeLogID(id string) string { return url.PathEscape(id) }

// writeAudit stamps and appends an audit entry to the state's logs and marks
// the request as having changed state.
func (c *call) writeAudit(e *logEntry) {
	e.InsertID = c.newInsertID()
	ts := c.now.UTC()
	e.Timestamp = ts.Format(time.RFC3339Nano)
	e.ReceiveTimestamp = ts.Add(time.Millisecond).Format(time.RFC3339Nano)
	if e.ProtoPayload != nil {
		e.ProtoPayload.Type = auditLogType
		if e.ProtoPayload.Status == nil {
			e.ProtoPayload.Status = &rpcStatus{}
		}
		if e.ProtoPayload.RequestMetadata == nil {
			e.ProtoPayload.RequestMetadata = c.requestMetadataFor()
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		panic(err) // only plain data: a bug
	}
	c.st.Logs = append(c.st.Logs, b)
	c.dirty = true
}

// newInsertID is a short unique lowercase id like Google's "1h09dxwe33il5".
func (c *call) newInsertID() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	n := uint64(c.st.NextSeq())<<20 | uint64(randomBytes(1)[0])<<12 | uint64(c.now.UnixNano()&0xfff)
	var b [13]byte
	i := len(b)
	for n > 0 || i == len(b) {
		i--
		b[i] = digits[n%36]
		n /= 36
	}
	return string(b[i:])
}

// AppendLogEntries appends LogEntry JSON objects as they are (tests and
// benchmarks seed logs, e.g. a million entries). Each entry's logName decides
// its project; entries should be appended in timestamp order, as Logging
// would store them. With a state file they are saved at once, as a write
// request's would be (seed in large batches, not one entry per call); when
// the file cannot be locked or read they are dropped, and the next request
// reports the problem.
func (s *Server) AppendLogEntries(entries ...json.RawMessage) {
	s.transact(func() (bool, error) {
		s.st.Logs = append(s.st.Logs, entries...)
		return true, nil
	})
}

// LogEntries returns a copy of the log entries (tests); nil when the state
// file cannot be read.
func (s *Server) LogEntries() []json.RawMessage {
	var logs []json.RawMessage
	s.transact(func() (bool, error) {
		logs = append([]json.RawMessage(nil), s.st.Logs...)
		return false, nil
	})
	return logs
}
