package emulator

import (
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"sort"
	"strings"
	"time"

	logging "google.golang.org/api/logging/v2"
)

// Cloud Logging v2 project sinks (gcp-wire §8.6): create, get, list, update
// (PUT and PATCH) and delete, stored per project in State.Ext["sinks"].
//
// Writer identities follow production: uniqueWriterIdentity=true gives the
// project's Logging service agent,
// serviceAccount:service-PROJECT_NUMBER@gcp-sa-logging.iam.gserviceaccount.com,
// shared by every sink of the project; without it, the legacy shared
// serviceAccount:cloud-logs@system.gserviceaccount.com, which may only write
// to the sink's own project. Every project also has the built-in _Required
// and _Default sinks.

const (
	sinksExt         = "sinks"
	loggingService   = "logging.googleapis.com"
	legacySinkWriter = "serviceAccount:cloud-logs@system.gserviceaccount.com"
)

// sinkState is State.Ext["sinks"]: project ID → sink ID → sink.
type sinkState map[string]map[string]*logging.LogSink

var sinkIDRE = lazyregexp.New(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$`)

func init() {
	registerAPI(func(s *Server) {
		const proj = `^/v2/projects/([^/]+)/sinks`
		s.handle(&route{Service: "logging", Method: "POST", Pattern: proj + `$`,
			Name: "logging.projects.sinks.create", Mutates: true, Handler: createSink})
		s.handle(&route{Service: "logging", Method: "GET", Pattern: proj + `$`,
			Name: "logging.projects.sinks.list", Handler: listSinks})
		s.handle(&route{Service: "logging", Method: "GET", Pattern: proj + `/([^/]+)$`,
			Name: "logging.projects.sinks.get", Handler: getSink})
		s.handle(&route{Service: "logging", Method: "PUT", Pattern: proj + `/([^/]+)$`,
			Name: "logging.projects.sinks.update", Mutates: true, Handler: updateSink})
		s.handle(&route{Service: "logging", Method: "PATCH", Pattern: proj + `/([^/]+)$`,
			Name: "logging.projects.sinks.patch", Mutates: true, Handler: updateSink})
		s.handle(&route{Service: "logging", Method: "DELETE", Pattern: proj + `/([^/]+)$`,
			Name: "logging.projects.sinks.delete", Mutates: true, Handler: deleteSink})
	})
}

// sinkProject resolves the request's project, with the Logging API on.
func sinkProject(c *call) (*Project, error) {
	p, err := c.project(c.args[0])
	if err != nil {
		return nil, err
	}
	if err := c.requireService(p, loggingService, c.args[0]); err != nil {
		return nil, err
	}
	return p, nil
}

func loadSinks(c *call) (sinkState, error) {
	var ss sinkState
	if err := c.st.GetExt(sinksExt, &ss); err != nil {
		return nil, err
	}
	if ss == nil {
		ss = sinkState{}
	}
	return ss, nil
}

// builtinSinks are the sinks every project has.
func builtinSinks(p *Project, created time.Time) map[string]*logging.LogSink {
	bucket := func(b string) string {
		return "logging.googleapis.com/projects/" + p.ID + "/locations/global/buckets/" + b
	}
	ts := created.UTC().Format(time.RFC3339Nano)
	return map[string]*logging.LogSink{
		"_Required": {Name: "_Required", Destination: bucket("_Required"), CreateTime: ts, UpdateTime: ts,
			Filter: `LOG_ID("cloudaudit.googleapis.com/activity") OR LOG_ID("externalaudit.googleapis.com/activity") OR LOG_ID("cloudaudit.googleapis.com/system_event") OR LOG_ID("externalaudit.googleapis.com/system_event") OR LOG_ID("cloudaudit.googleapis.com/access_transparency") OR LOG_ID("externalaudit.googleapis.com/access_transparency")`},
		"_Default": {Name: "_Default", Destination: bucket("_Default"), CreateTime: ts, UpdateTime: ts,
			Filter: `NOT LOG_ID("cloudaudit.googleapis.com/activity") AND NOT LOG_ID("externalaudit.googleapis.com/activity") AND NOT LOG_ID("cloudaudit.googleapis.com/system_event") AND NOT LOG_ID("externalaudit.googleapis.com/system_event") AND NOT LOG_ID("cloudaudit.googleapis.com/access_transparency") AND NOT LOG_ID("externalaudit.googleapis.com/access_transparency")`},
	}
}

func errSinkNotFound(name string) *apiError {
	return &apiError{HTTP: 404, Status: "NOT_FOUND", Reason: "notFound", Message: fmt.Sprintf("Sink %s does not exist", name)}
}

// findSink returns a stored or built-in sink (nil when there is none).
func findSink(ss sinkState, p *Project, id string) *logging.LogSink {
	if s := ss[p.ID][id]; s != nil {
		return s
	}
	return builtinSinks(p, p.CreatedAt)[id]
}

// validateSink checks what Logging checks on a sink body, and returns the
// destination's project ID for BigQuery destinations.
func validateSink(p *Project, s *logging.LogSink, unique bool) error {
	d := s.Destination
	if d == "" {
		return errInvalid("Sink destination must not be empty.")
	}
	var destProject string
	switch {
	case strings.HasPrefix(d, "bigquery.googleapis.com/projects/"):
		rest := strings.TrimPrefix(d, "bigquery.googleapis.com/projects/")
		proj, ds, ok := strings.Cut(rest, "/datasets/")
		if !ok || proj == "" || ds == "" || strings.Contains(ds, "/") {
			return errInvalid(fmt.Sprintf("Invalid BigQuery destination %q: want bigquery.googleapis.com/projects/PROJECT/datasets/DATASET.", d))
		}
		destProject = proj
	case strings.HasPrefix(d, "storage.googleapis.com/"), strings.HasPrefix(d, "pubsub.googleapis.com/projects/"),
		strings.HasPrefix(d, "logging.googleapis.com/projects/"):
	default:
		return errInvalid(fmt.Sprintf("Invalid sink destination %q.", d))
	}
	if destProject != "" && destProject != p.ID && destProject != p.Number && !unique {
		return errInvalid("The destination project must be the same as the sink's project. Use uniqueWriterIdentity=true to allow cross project destinations.")
	}
	if s.Filter != "" {
		if _, err := parseLogFilter(s.Filter); err != nil {
			return err
		}
	}
	return nil
}

func writerFor(p *Project, unique bool) string {
	if unique {
		return "serviceAccount:service-" + p.Number + "@gcp-sa-logging.iam.gserviceaccount.com"
	}
	return legacySinkWriter
}

func createSink(c *call) (any, error) {
	p, err := sinkProject(c)
	if err != nil {
		return nil, err
	}
	var in logging.LogSink
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	ss, err := loadSinks(c)
	if err != nil {
		return nil, err
	}
	if findSink(ss, p, in.Name) != nil {
		return nil, &apiError{HTTP: 409, Status: "ALREADY_EXISTS", Reason: "alreadyExists",
			Message: fmt.Sprintf("Sink %s already exists", in.Name)}
	}
	if !sinkIDRE.MatchString(in.Name) {
		return nil, errInvalid(fmt.Sprintf("Invalid sink name %q: up to 100 characters of [A-Za-z0-9_.-], starting with a letter or digit.", in.Name))
	}
	unique := c.query("uniqueWriterIdentity") == "true"
	if err := validateSink(p, &in, unique); err != nil {
		return nil, err
	}
	ts := c.now.UTC().Format(time.RFC3339Nano)
	out := &logging.LogSink{
		Name: in.Name, Destination: in.Destination, Filter: in.Filter, Description: in.Description,
		Disabled: in.Disabled, Exclusions: in.Exclusions, BigqueryOptions: in.BigqueryOptions,
		WriterIdentity: writerFor(p, unique), CreateTime: ts, UpdateTime: ts,
		ResourceName: "projects/" + p.ID + "/sinks/" + in.Name,
	}
	if o := out.BigqueryOptions; o != nil && o.UsePartitionedTables {
		o.UsesTimestampColumnPartitioning = true
	}
	if ss[p.ID] == nil {
		ss[p.ID] = map[string]*logging.LogSink{}
	}
	ss[p.ID][in.Name] = out
	return out, c.st.PutExt(sinksExt, ss)
}

func getSink(c *call) (any, error) {
	p, err := sinkProject(c)
	if err != nil {
		return nil, err
	}
	ss, err := loadSinks(c)
	if err != nil {
		return nil, err
	}
	s := findSink(ss, p, c.args[1])
	if s == nil {
		return nil, errSinkNotFound(c.args[1])
	}
	return s, nil
}

func listSinks(c *call) (any, error) {
	p, err := sinkProject(c)
	if err != nil {
		return nil, err
	}
	size, err := c.pageSize(200, 200)
	if err != nil {
		return nil, err
	}
	ss, err := loadSinks(c)
	if err != nil {
		return nil, err
	}
	all := builtinSinks(p, p.CreatedAt)
	for id, s := range ss[p.ID] {
		all[id] = s
	}
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	page, next, err := c.page(keys, size)
	if err != nil {
		return nil, err
	}
	out := &logging.ListSinksResponse{NextPageToken: next, Sinks: []*logging.LogSink{}}
	for _, k := range page {
		out.Sinks = append(out.Sinks, all[k])
	}
	return out, nil
}

// updateSink is sinks.update (PUT) and sinks.patch, which share their
// semantics in v2: the fields named by updateMask (default
// destination,filter,includeChildren) are replaced.
func updateSink(c *call) (any, error) {
	p, err := sinkProject(c)
	if err != nil {
		return nil, err
	}
	id := c.args[1]
	ss, err := loadSinks(c)
	if err != nil {
		return nil, err
	}
	cur := ss[p.ID][id]
	if cur == nil {
		if builtinSinks(p, p.CreatedAt)[id] != nil {
			return nil, errFailedPrecondition(fmt.Sprintf("Sink %s is a built-in sink; the emulator does not change it.", id))
		}
		return nil, errSinkNotFound(id)
	}
	var in logging.LogSink
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	mask := c.query("updateMask")
	if mask == "" {
		mask = "destination,filter,includeChildren"
	}
	next := *cur
	for _, f := range strings.Split(mask, ",") {
		switch strings.TrimSpace(f) {
		case "destination":
			next.Destination = in.Destination
		case "filter":
			next.Filter = in.Filter
		case "includeChildren", "include_children":
			next.IncludeChildren = in.IncludeChildren
		case "description":
			next.Description = in.Description
		case "disabled":
			next.Disabled = in.Disabled
		case "exclusions":
			next.Exclusions = in.Exclusions
		case "bigqueryOptions", "bigquery_options", "bigqueryOptions.usePartitionedTables":
			next.BigqueryOptions = in.BigqueryOptions
		case "":
		default:
			return nil, errInvalid(fmt.Sprintf("Invalid update mask path %q.", f))
		}
	}
	// uniqueWriterIdentity may upgrade a legacy writer, never downgrade.
	q := c.query("uniqueWriterIdentity")
	unique := cur.WriterIdentity != legacySinkWriter
	switch {
	case q == "true":
		unique = true
	case q == "false" && unique:
		return nil, errInvalid("uniqueWriterIdentity cannot be changed from true to false.")
	}
	if err := validateSink(p, &next, unique); err != nil {
		return nil, err
	}
	next.WriterIdentity = writerFor(p, unique)
	if o := next.BigqueryOptions; o != nil && o.UsePartitionedTables {
		o.UsesTimestampColumnPartitioning = true
	}
	next.UpdateTime = c.now.UTC().Format(time.RFC3339Nano)
	ss[p.ID][id] = &next
	return &next, c.st.PutExt(sinksExt, ss)
}

func deleteSink(c *call) (any, error) {
	p, err := sinkProject(c)
	if err != nil {
		return nil, err
	}
	id := c.args[1]
	ss, err := loadSinks(c)
	if err != nil {
		return nil, err
	}
	if ss[p.ID][id] == nil {
		if id == "_Required" {
			return nil, errInvalid("The _Required sink cannot be deleted.")
		}
		return nil, errSinkNotFound(id)
	}
	delete(ss[p.ID], id)
	return nil, c.st.PutExt(sinksExt, ss)
}
