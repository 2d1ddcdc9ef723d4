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
	// Description is the sink's description; "" is DefaultSinkDescription.
	// Setup ends it with the federation's ownership mark (SPEC §7.1).
	Description string
}

// DefaultSinkDescription is the description of a sink without a mark (and
// of every sink fedctl made before marks existed).
const DefaultSinkDescription = "fedctl: token mints and BigQuery jobs of the federation"

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

// Sinks holds the sink's single-resource operations (GetDataset,
// CreateDataset, GetSink, ApplySink, GrantWriter, DeleteSink): the steps the
// engine plans and runs for setup, teardown and `audit sink create`.
type Sinks struct {
	C *gcp.Client
}

func (s SinkSpec) sinkName() string { return "projects/" + s.Project + "/sinks/" + s.Name }

// LogSink is the sink as fedctl wants it: into the dataset, partitioned
// tables, the federation filter.
func (s SinkSpec) LogSink() *logging.LogSink {
	desc := s.Description
	if desc == "" {
		desc = DefaultSinkDescription
	}
	return &logging.LogSink{Name: s.Name, Destination: s.Destination(), Filter: s.Filter,
		Description:     desc,
		BigqueryOptions: &logging.BigQueryOptions{UsePartitionedTables: true}}
}

// sinkUpdateMask names every field LogSink sets, so that an update makes
// the sink exactly ours.
const sinkUpdateMask = "destination,filter,bigqueryOptions,description"

// SinkDrift lists what of live differs from the spec ("destination",
// "filter", "partitioned tables"); empty when the sink is as wanted.
func SinkDrift(live *logging.LogSink, s SinkSpec) []string {
	var out []string
	if live.Destination != s.Destination() {
		out = append(out, "destination")
	}
	if live.Filter != s.Filter {
		out = append(out, "filter")
	}
	if live.BigqueryOptions == nil || !live.BigqueryOptions.UsePartitionedTables {
		out = append(out, "partitioned tables")
	}
	return out
}

// GetDataset reads the sink's dataset (a gcp.IsNotFound error when absent).
func (sk *Sinks) GetDataset(ctx context.Context, s SinkSpec) (*bqv2.Dataset, error) {
	return sk.C.GetDataset(ctx, s.Project, s.Dataset)
}

// CreateDataset creates the dataset in s.Location and returns it as
// created (its access list and etag: a WRITER grant can patch it without
// reading it again); nil, nil when it exists already.
func (sk *Sinks) CreateDataset(ctx context.Context, s SinkSpec) (*bqv2.Dataset, error) {
	ds := &bqv2.Dataset{DatasetReference: &bqv2.DatasetReference{ProjectId: s.Project, DatasetId: s.Dataset},
		Location: s.Location, Description: "Federation audit trail exported by fedctl (log sink " + s.Name + ")"}
	out, err := sk.C.CreateDataset(ctx, s.Project, ds)
	if gcp.IsAlreadyExists(err) {
		return nil, nil
	}
	return out, err
}

// GetSink reads the sink (a gcp.IsNotFound error when absent).
func (sk *Sinks) GetSink(ctx context.Context, s SinkSpec) (*logging.LogSink, error) {
	return sk.C.GetSink(ctx, s.sinkName())
}

// AppliedSink is the sink after ApplySink, with what was done to it.
type AppliedSink struct {
	*logging.LogSink
	// Writer is the writer identity's bare email (what a dataset access
	// entry names).
	Writer           string
	Created, Updated bool
}

// ApplySink creates the sink (create), makes an existing one ours
// (update), or only reads it; either way it returns the sink as Logging
// has it, since the writer identity exists only once the sink does. A
// create that finds the sink made meanwhile updates it instead. Sinks get a
// unique writer identity.
func (sk *Sinks) ApplySink(ctx context.Context, s SinkSpec, create, update bool) (*AppliedSink, error) {
	out := &AppliedSink{}
	var err error
	if create {
		out.LogSink, err = sk.C.CreateSink(ctx, "projects/"+s.Project, s.LogSink())
		switch {
		case err == nil:
			out.Created = true
		case gcp.IsAlreadyExists(err):
			update = true // created meanwhile (or by a try whose answer was lost): make it ours
		default:
			return nil, err
		}
	}
	if update {
		if out.LogSink, err = sk.C.UpdateSink(ctx, s.sinkName(), s.LogSink(), sinkUpdateMask); err != nil {
			return nil, err
		}
		out.Updated = true
	}
	if out.LogSink == nil {
		if out.LogSink, err = sk.GetSink(ctx, s); err != nil {
			return nil, err
		}
	}
	out.Writer = WriterEmail(out.WriterIdentity)
	if out.Writer == "" {
		return nil, fmt.Errorf("sink %s has no writer identity to grant", s.Name)
	}
	return out, nil
}

// DeleteSink deletes the sink (absent already: no error). The dataset and
// the trail exported into it are left alone.
func (sk *Sinks) DeleteSink(ctx context.Context, s SinkSpec) error {
	if err := sk.C.DeleteSink(ctx, s.sinkName()); err != nil && !gcp.IsNotFound(err) {
		return err
	}
	return nil
}

// GrantWriter adds WRITER for the writer on the dataset and reports whether
// it wrote: a read-modify-write of the access list guarded by the read's
// etag, redone on a concurrent change (gcp.ModifyDatasetAccess), keeping
// every other entry. read is a dataset read moments ago (nil: read it now),
// which saves the caller that has one a request.
func (sk *Sinks) GrantWriter(ctx context.Context, s SinkSpec, writer string, read *bqv2.Dataset) (bool, error) {
	wrote, err := sk.C.ModifyDatasetAccess(ctx, s.Project, s.Dataset, read, func(access []*bqv2.DatasetAccess) ([]*bqv2.DatasetAccess, bool) {
		if HasWriter(access, writer) {
			return nil, false
		}
		return append(slices.Clone(access), &bqv2.DatasetAccess{Role: "WRITER", UserByEmail: writer}), true
	})
	if err != nil {
		return false, fmt.Errorf("granting WRITER on dataset %s to %s: %w", s.Dataset, writer, err)
	}
	return wrote, nil
}

// WriterEmail strips the "serviceAccount:" prefix a writer identity carries
// (BigQuery access entries want the bare email).
func WriterEmail(identity string) string {
	return strings.TrimPrefix(identity, "serviceAccount:")
}

// HasWriter reports whether the access list already lets writer write:
// WRITER (roles/bigquery.dataEditor) or OWNER, by userByEmail or iamMember.
func HasWriter(access []*bqv2.DatasetAccess, writer string) bool {
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
