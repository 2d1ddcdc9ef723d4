package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// State is everything the emulated cloud knows. It is plain data, persisted as
// JSON by --sandbox so that successive commands see one project. All access
// goes through Server.mu (and, with a state file, its lock: state_sync.go).
type State struct {
	// Gen counts the saves of the state file; servers sharing the file use
	// it to tell whether another one wrote since. It must stay the first
	// field: readStamp reads it from the file's first bytes.
	Gen int64 `json:"gen"`
	// Secret keys the MAC of minted tokens; a reset makes old tokens invalid.
	Secret   []byte              `json:"secret"`
	Seq      int64               `json:"seq"`
	Projects map[string]*Project `json:"projects"` // by project ID
	// Operations are the LROs of every API, by full name.
	Operations map[string]*Operation `json:"operations,omitempty"`
	// Logs are the written log entries (LogEntry JSON objects), oldest first.
	Logs []json.RawMessage `json:"logs,omitempty"`
	// Ext holds state of APIs added later (WIF pools, sinks, ...) keyed by
	// feature, so new features need no change here.
	Ext map[string]json.RawMessage `json:"ext,omitempty"`
}

// Project is one emulated project.
type Project struct {
	ID        string          `json:"id"`
	Number    string          `json:"number"`
	Name      string          `json:"name"`
	State     string          `json:"state"` // ACTIVE | DELETE_REQUESTED
	CreatedAt time.Time       `json:"createdAt"`
	Services  map[string]bool `json:"services"` // enabled services by name
	// ServiceEnabledAt, for enable-propagation emulation.
	ServiceEnabledAt map[string]time.Time `json:"serviceEnabledAt,omitempty"`
	Policy           *Policy              `json:"policy"`
	// ServiceAccounts by email.
	ServiceAccounts map[string]*ServiceAccount `json:"serviceAccounts"`
	Datasets        map[string]*Dataset        `json:"datasets,omitempty"`
	Jobs            map[string]*Job            `json:"jobs,omitempty"`
}

// ServiceAccount is an emulated IAM service account.
type ServiceAccount struct {
	Email       string    `json:"email"`
	AccountID   string    `json:"accountId"`
	UniqueID    string    `json:"uniqueId"`
	DisplayName string    `json:"displayName,omitempty"`
	Description string    `json:"description,omitempty"`
	Disabled    bool      `json:"disabled,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
	Etag        string    `json:"etag"`
	Policy      *Policy   `json:"policy"`
	Keys        []*SAKey  `json:"keys,omitempty"`
}

// SAKey is a service-account key. PublicKeyPEM verifies JWT assertions signed
// with the private key handed out once at creation.
type SAKey struct {
	ID           string `json:"id"`      // 40 hex
	KeyType      string `json:"keyType"` // USER_MANAGED | SYSTEM_MANAGED
	PublicKeyPEM string `json:"publicKeyPem"`
	// CertPEM is the self-signed X.509 certificate of the key, what keys.get
	// returns for publicKeyType=TYPE_X509_PEM_FILE.
	CertPEM     string    `json:"certPem,omitempty"`
	ValidAfter  time.Time `json:"validAfter"`
	ValidBefore time.Time `json:"validBefore"`
	Disabled    bool      `json:"disabled,omitempty"`
}

// Policy is an IAM policy as stored. Wire() gives Google's JSON shape.
type Policy struct {
	Version      int64          `json:"version,omitempty"`
	Etag         string         `json:"etag,omitempty"`
	Bindings     []*Binding     `json:"bindings,omitempty"`
	AuditConfigs []*AuditConfig `json:"auditConfigs,omitempty"`
	// GrantedAt records when each (role, member, condition) first appeared,
	// so authorization can ignore grants younger than the propagation delay.
	// Not part of the wire shape.
	GrantedAt map[string]time.Time `json:"grantedAt,omitempty"`
}

// Binding is an IAM binding; JSON tags are Google's.
type Binding struct {
	Role      string   `json:"role"`
	Members   []string `json:"members,omitempty"`
	Condition *Expr    `json:"condition,omitempty"`
}

// Expr is google.type.Expr.
type Expr struct {
	Expression  string `json:"expression,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Location    string `json:"location,omitempty"`
}

// AuditConfig is an auditConfigs entry; JSON tags are Google's.
type AuditConfig struct {
	Service         string            `json:"service"`
	AuditLogConfigs []*AuditLogConfig `json:"auditLogConfigs,omitempty"`
}

// AuditLogConfig is one log type of an AuditConfig.
type AuditLogConfig struct {
	LogType         string   `json:"logType"`
	ExemptedMembers []string `json:"exemptedMembers,omitempty"`
}

// Dataset is an emulated BigQuery dataset (metadata and access list only).
type Dataset struct {
	ID           string            `json:"id"`
	Location     string            `json:"location"`
	Etag         string            `json:"etag"`
	Access       []json.RawMessage `json:"access"` // Google's access entries, verbatim
	Description  string            `json:"description,omitempty"`
	FriendlyName string            `json:"friendlyName,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	CreatedAt    time.Time         `json:"createdAt"`
	ModifiedAt   time.Time         `json:"modifiedAt"`
}

// Job is a finished emulated BigQuery query job.
type Job struct {
	ID        string          `json:"id"`
	Location  string          `json:"location"`
	Query     string          `json:"query"`
	Principal string          `json:"principal"`
	Schema    json.RawMessage `json:"schema,omitempty"`
	Rows      json.RawMessage `json:"rows,omitempty"`
	TotalRows int64           `json:"totalRows"`
	Error     *apiErrorJSON   `json:"error,omitempty"`
	CreatedAt time.Time       `json:"createdAt"`
	EndedAt   time.Time       `json:"endedAt"`
}

type apiErrorJSON struct {
	Reason  string `json:"reason"`
	Message string `json:"message"`
}

// Operation is a long-running operation (google.longrunning.Operation).
type Operation struct {
	Name     string          `json:"name"`
	Done     bool            `json:"done,omitempty"`
	Metadata json.RawMessage `json:"metadata,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
	Error    *OpStatus       `json:"error,omitempty"`
	// PendingPolls is how many more GETs answer done:false (exercises polling).
	PendingPolls int `json:"pendingPolls,omitempty"`
}

// OpStatus is google.rpc.Status in an Operation (code = gRPC number).
type OpStatus struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Details []map[string]any `json:"details,omitempty"`
}

// Seed describes the initial state.
type Seed struct {
	ProjectID     string
	ProjectNumber string
	// Operator is the member holding roles/owner (e.g. "user:operator@example.com").
	Operator string
}

// DefaultSeed is the sandbox newcomers get.
var DefaultSeed = Seed{ProjectID: "demo-project", ProjectNumber: "123456789012", Operator: "user:operator@example.com"}

// defaultEnabledServices are on in a new project, as in a real new project;
// iam, iamcredentials and sts are not, so setup has something to enable.
var defaultEnabledServices = []string{
	"bigquery.googleapis.com", "bigquerystorage.googleapis.com", "cloudresourcemanager.googleapis.com",
	"logging.googleapis.com", "serviceusage.googleapis.com", "storage.googleapis.com",
}

// NewState builds a fresh state from a seed.
func NewState(seed Seed, now time.Time) *State {
	if seed.ProjectID == "" {
		seed.ProjectID = DefaultSeed.ProjectID
	}
	if seed.ProjectNumber == "" {
		seed.ProjectNumber = DefaultSeed.ProjectNumber
	}
	if seed.Operator == "" {
		seed.Operator = DefaultSeed.Operator
	}
	st := &State{Secret: randomBytes(32), Projects: map[string]*Project{}, Operations: map[string]*Operation{}}
	st.AddProject(seed.ProjectID, seed.ProjectNumber, seed.Operator, now)
	return st
}

// AddProject adds a project whose owner is operator.
func (st *State) AddProject(id, number, operator string, now time.Time) *Project {
	p := &Project{ID: id, Number: number, Name: id, State: "ACTIVE", CreatedAt: now,
		Services: map[string]bool{}, ServiceEnabledAt: map[string]time.Time{},
		ServiceAccounts: map[string]*ServiceAccount{}, Datasets: map[string]*Dataset{}, Jobs: map[string]*Job{}}
	for _, s := range defaultEnabledServices {
		p.Services[s] = true
		p.ServiceEnabledAt[s] = now.Add(-24 * time.Hour)
	}
	p.Policy = &Policy{Version: 1, Etag: newEtag()}
	if operator != "" {
		p.Policy.Bindings = []*Binding{{Role: "roles/owner", Members: []string{operator}}}
		// The owner grant is old: it counts at once.
		p.Policy.GrantedAt = map[string]time.Time{grantKey("roles/owner", operator, nil): now.Add(-24 * time.Hour)}
	}
	st.Projects[id] = p
	return p
}

// ProjectByIDOrNumber finds a project by ID or number.
func (st *State) ProjectByIDOrNumber(idOrNumber string) *Project {
	if p, ok := st.Projects[idOrNumber]; ok {
		return p
	}
	for _, p := range st.Projects {
		if p.Number == idOrNumber {
			return p
		}
	}
	return nil
}

// FindServiceAccount finds an SA by email or uniqueId across projects.
func (st *State) FindServiceAccount(emailOrID string) (*Project, *ServiceAccount) {
	if strings.Contains(emailOrID, "@") {
		// An email: a map lookup per project. Only a unique ID (digits)
		// needs the scan below, which every request's authorization would
		// otherwise pay for a caller that is not an SA (10,000 accounts:
		// ~0.5 ms a request).
		for _, p := range st.sortedProjects() {
			if sa, ok := p.ServiceAccounts[emailOrID]; ok {
				return p, sa
			}
		}
		return nil, nil
	}
	for _, p := range st.sortedProjects() {
		if sa, ok := p.ServiceAccounts[emailOrID]; ok {
			return p, sa
		}
		for _, sa := range p.ServiceAccounts {
			if sa.UniqueID == emailOrID {
				return p, sa
			}
		}
	}
	return nil, nil
}

func (st *State) sortedProjects() []*Project {
	ps := make([]*Project, 0, len(st.Projects))
	for _, p := range st.Projects {
		ps = append(ps, p)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].ID < ps[j].ID })
	return ps
}

// NextSeq returns a process-unique increasing number (IDs, insertIds).
func (st *State) NextSeq() int64 {
	st.Seq++
	return st.Seq
}

// GetExt decodes the extension state of a feature into v (zero when absent).
func (st *State) GetExt(feature string, v any) error {
	raw, ok := st.Ext[feature]
	if !ok {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// PutExt stores the extension state of a feature.
func (st *State) PutExt(feature string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if st.Ext == nil {
		st.Ext = map[string]json.RawMessage{}
	}
	st.Ext[feature] = b
	return nil
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return b
}

// newEtag is a fresh policy etag: 8 random bytes, base64 (like "BwYBUFm4BPE=").
func newEtag() string { return base64.StdEncoding.EncodeToString(randomBytes(8)) }

// emptyPolicyEtag is the well-known etag of an empty policy.
const emptyPolicyEtag = "ACAB"

// loadState reads a state file; a missing file yields (nil, nil).
func loadState(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("sandbox state %s is corrupt (%v); run `fedctl sandbox reset`", path, err)
	}
	// Valid JSON is not enough: a state with no token secret or no project
	// ("{}", a truncated edit) would fail every request in puzzling ways.
	if len(st.Secret) == 0 || len(st.Projects) == 0 {
		return nil, fmt.Errorf("sandbox state %s is incomplete (no project or no token secret); run `fedctl sandbox reset`", path)
	}
	if st.Operations == nil {
		st.Operations = map[string]*Operation{}
	}
	return &st, nil
}

// saveState writes the state atomically (temp file + rename), mode 0600: it
// holds the token MAC secret.
func saveState(path string, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sandbox-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// etagsEqual compares two etags as Google does: as the bytes they encode.
// Clients may send back an etag re-encoded (gcloud decodes the policy's etag
// and re-encodes it URL-safe), so standard and URL-safe base64, with or
// without padding, all name the same etag.
func etagsEqual(a, b string) bool {
	if a == b {
		return true
	}
	da, okA := decodeEtag(a)
	db, okB := decodeEtag(b)
	return okA && okB && bytes.Equal(da, db)
}

func decodeEtag(s string) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}
