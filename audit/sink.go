package audit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// SinkSpec is the sink `audit sink create` makes.
type SinkSpec struct {
	Project  string
	Name     string // sink ID
	Dataset  string // destination dataset ID, in Project
	Location string // the dataset's location when it is created
	// Filter is the sink's filter (SinkFilter).
	Filter string
}

// Destination is the sink destination for the dataset.
func (s SinkSpec) Destination() string {
	return "bigquery.googleapis.com/projects/" + s.Project + "/datasets/" + s.Dataset
}

// SinkFilter keeps both halves of the evidence: the GenerateAccessToken
// entries made by or through the broker (the admin SA) — which carry no
// serviceAccountDelegationInfo, because the admin is the caller, so the
// filter must not require one — and the BigQuery job entries of the
// federated principals, of the admin SA itself, and of anything delegated
// through the admin (so that bypasses are kept too).
func SinkFilter(project string, fed *Federation) string {
	mints := "(" + cmp("protoPayload.serviceName", "=", serviceIAMCredentials) + " AND " +
		cmp("protoPayload.methodName", ":", methodGenerateAccessToken)
	if fed.AdminSA != "" {
		// The admin mints (a gateway), or someone mints through it
		// (keyless verification: delegates = [admin]).
		mints += " AND " + or([]string{
			cmp("protoPayload.authenticationInfo.principalEmail", "=", fed.AdminSA),
			cmp("protoPayload.metadata.identityDelegationChain", ":", "serviceAccounts/"+fed.AdminSA),
		})
	}
	mints += ")"

	var who []string
	const email = "protoPayload.authenticationInfo.principalEmail"
	if fed.saPrefix+fed.saSuffix != "" {
		who = append(who, cmp(email, "=~", "^"+regexp.QuoteMeta(fed.saPrefix)+"[a-z0-9-]+"+regexp.QuoteMeta(fed.saSuffix)+"$"))
	}
	for _, s := range fed.ServiceAccounts {
		who = append(who, cmp(email, "=", s))
	}
	for _, u := range fed.Users {
		who = append(who, cmp(email, "=", u))
	}
	if fed.AdminSA != "" {
		who = append(who, cmp(email, "=", fed.AdminSA),
			cmp("protoPayload.authenticationInfo.serviceAccountDelegationInfo.firstPartyPrincipal.principalEmail", "=", fed.AdminSA))
	}
	if fed.Mode == config.ModeWIF {
		who = append(who, cmp("protoPayload.authenticationInfo.principalSubject", ":", "principal://iam.googleapis.com/"),
			cmp("protoPayload.authenticationInfo.serviceAccountDelegationInfo.principalSubject", ":", "principal://iam.googleapis.com/"))
	}
	var ms []string
	for _, m := range bigQueryJobMethods {
		ms = append(ms, cmp("protoPayload.methodName", "=", m))
	}
	jobs := "(" + cmp("protoPayload.serviceName", "=", serviceBigQuery) + " AND " + or(ms)
	if len(who) > 0 {
		jobs += " AND " + or(who)
	}
	jobs += ")"
	return cmp("logName", "=", logName(project, DataAccessLog)) + " AND (" + mints + " OR " + jobs + ")"
}

// SinkPlan is what `audit sink create` will change.
type SinkPlan struct {
	Spec          SinkSpec `json:"-"`
	CreateDataset bool     `json:"createDataset"`
	CreateSink    bool     `json:"createSink"`
	// UpdateSink: the sink exists with another filter or destination.
	UpdateSink bool `json:"updateSink"`
	// Writer is the sink's writer identity once known (an existing sink);
	// GrantWriter says it still lacks WRITER on the dataset (always true
	// when the sink is yet to be created).
	Writer      string `json:"writerIdentity,omitempty"`
	GrantWriter bool   `json:"grantWriter"`
}

// Empty reports whether nothing needs doing.
func (p *SinkPlan) Empty() bool {
	return !p.CreateDataset && !p.CreateSink && !p.UpdateSink && !p.GrantWriter
}

// Steps describes the plan, one line a change.
func (p *SinkPlan) Steps() []string {
	var out []string
	s := p.Spec
	if p.CreateDataset {
		out = append(out, fmt.Sprintf("create dataset %s:%s in %s", s.Project, s.Dataset, s.Location))
	}
	if p.CreateSink {
		out = append(out, fmt.Sprintf("create log sink %s → %s (partitioned tables, unique writer identity)", s.Name, s.Destination()))
	}
	if p.UpdateSink {
		out = append(out, fmt.Sprintf("update log sink %s: destination %s and the federation filter", s.Name, s.Destination()))
	}
	if p.GrantWriter {
		w := p.Writer
		if w == "" {
			w = "the sink's writer identity"
		}
		out = append(out, fmt.Sprintf("grant WRITER on dataset %s to %s (keeping the other access entries)", s.Dataset, w))
	}
	return out
}

// Sinks plans and applies the sink (SPEC §2 `audit sink create`).
type Sinks struct {
	BigQuery *bqv2.Service
	Logging  *logging.Service
}

func (sk *Sinks) sinkName(s SinkSpec) string { return "projects/" + s.Project + "/sinks/" + s.Name }

// Plan reads the live state (nothing is written).
func (sk *Sinks) Plan(ctx context.Context, s SinkSpec) (*SinkPlan, error) {
	p := &SinkPlan{Spec: s}
	ds, err := sk.BigQuery.Datasets.Get(s.Project, s.Dataset).Context(ctx).Do()
	switch {
	case gcp.IsNotFound(err):
		p.CreateDataset = true
	case err != nil:
		return nil, fmt.Errorf("reading dataset %s: %w", s.Dataset, err)
	}
	sink, err := sk.Logging.Projects.Sinks.Get(sk.sinkName(s)).Context(ctx).Do()
	switch {
	case gcp.IsNotFound(err):
		p.CreateSink, p.GrantWriter = true, true
		return p, nil
	case err != nil:
		return nil, fmt.Errorf("reading sink %s: %w", s.Name, err)
	}
	p.UpdateSink = sink.Destination != s.Destination() || sink.Filter != s.Filter ||
		sink.BigqueryOptions == nil || !sink.BigqueryOptions.UsePartitionedTables
	p.Writer = writerEmail(sink.WriterIdentity)
	p.GrantWriter = p.CreateDataset || (p.Writer != "" && !hasWriter(ds.Access, p.Writer))
	return p, nil
}

// SinkResult is what Apply did.
type SinkResult struct {
	Writer         string `json:"writerIdentity"`
	CreatedDataset bool   `json:"createdDataset"`
	CreatedSink    bool   `json:"createdSink"`
	UpdatedSink    bool   `json:"updatedSink"`
	GrantedWriter  bool   `json:"grantedWriter"`
}

// Apply makes the planned changes. Each step re-checks the live state, so
// Apply is idempotent and safe against a concurrent run.
func (sk *Sinks) Apply(ctx context.Context, p *SinkPlan) (*SinkResult, error) {
	s := p.Spec
	res := &SinkResult{}
	if p.CreateDataset {
		ds := &bqv2.Dataset{DatasetReference: &bqv2.DatasetReference{ProjectId: s.Project, DatasetId: s.Dataset},
			Location: s.Location, Description: "Federation audit trail exported by fedctl (log sink " + s.Name + ")"}
		_, err := sk.BigQuery.Datasets.Insert(s.Project, ds).Context(ctx).Do()
		switch {
		case err == nil:
			res.CreatedDataset = true
		case gcp.IsAlreadyExists(err):
		default:
			return res, fmt.Errorf("creating dataset %s: %w", s.Dataset, err)
		}
	}
	want := &logging.LogSink{Name: s.Name, Destination: s.Destination(), Filter: s.Filter,
		Description:     "fedctl: token mints and BigQuery jobs of the federation",
		BigqueryOptions: &logging.BigQueryOptions{UsePartitionedTables: true}}
	var sink *logging.LogSink
	var err error
	if p.CreateSink {
		sink, err = sk.Logging.Projects.Sinks.Create("projects/"+s.Project, want).UniqueWriterIdentity(true).Context(ctx).Do()
		switch {
		case err == nil:
			res.CreatedSink = true
		case gcp.IsAlreadyExists(err):
			p.UpdateSink = true // created meanwhile: make it ours
		default:
			return res, fmt.Errorf("creating sink %s: %w", s.Name, err)
		}
	}
	if p.UpdateSink {
		sink, err = sk.Logging.Projects.Sinks.Update(sk.sinkName(s), want).UniqueWriterIdentity(true).
			UpdateMask("destination,filter,bigqueryOptions,description").Context(ctx).Do()
		if err != nil {
			return res, fmt.Errorf("updating sink %s: %w", s.Name, err)
		}
		res.UpdatedSink = true
	}
	if sink == nil {
		if sink, err = sk.Logging.Projects.Sinks.Get(sk.sinkName(s)).Context(ctx).Do(); err != nil {
			return res, fmt.Errorf("reading sink %s: %w", s.Name, err)
		}
	}
	res.Writer = writerEmail(sink.WriterIdentity)
	if res.Writer == "" {
		return res, fmt.Errorf("sink %s has no writer identity to grant", s.Name)
	}
	res.GrantedWriter, err = sk.grantWriter(ctx, s, res.Writer)
	return res, err
}

// grantWriter adds WRITER for the writer on the dataset. datasets.patch
// replaces the whole access list (gcp-wire §9.2), so it reads the list,
// appends, and writes it all back, conditional on the etag it read; a
// concurrent change (412) restarts the read-modify-write.
func (sk *Sinks) grantWriter(ctx context.Context, s SinkSpec, writer string) (bool, error) {
	for attempt := 0; ; attempt++ {
		ds, err := sk.BigQuery.Datasets.Get(s.Project, s.Dataset).Context(ctx).Do()
		if err != nil {
			return false, fmt.Errorf("reading dataset %s: %w", s.Dataset, err)
		}
		if hasWriter(ds.Access, writer) {
			return false, nil
		}
		access := append(slices.Clone(ds.Access), &bqv2.DatasetAccess{Role: "WRITER", UserByEmail: writer})
		call := sk.BigQuery.Datasets.Patch(s.Project, s.Dataset, &bqv2.Dataset{Access: access}).Context(ctx)
		if ds.Etag != "" {
			call.Header().Set("If-Match", ds.Etag)
		}
		_, err = call.Do()
		if err == nil {
			return true, nil
		}
		if isPreconditionFailed(err) && attempt < 4 {
			continue
		}
		return false, fmt.Errorf("granting WRITER on dataset %s to %s: %w", s.Dataset, writer, err)
	}
}

func isPreconditionFailed(err error) bool {
	e := gcp.Classify(err)
	return e != nil && e.Code == 412
}

// writerEmail strips the "serviceAccount:" prefix a writer identity carries
// (BigQuery access entries want the bare email).
func writerEmail(identity string) string {
	return strings.TrimPrefix(identity, "serviceAccount:")
}

// hasWriter reports whether the access list already lets writer write:
// WRITER (roles/bigquery.dataEditor) or OWNER, by userByEmail or iamMember.
func hasWriter(access []*bqv2.DatasetAccess, writer string) bool {
	for _, a := range access {
		if a.UserByEmail != writer && a.IamMember != "serviceAccount:"+writer {
			continue
		}
		switch a.Role {
		case "WRITER", "OWNER", "roles/bigquery.dataEditor", "roles/bigquery.dataOwner":
			return true
		}
	}
	return false
}
