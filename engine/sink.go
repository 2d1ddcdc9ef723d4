package engine

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"
	bqv2 "google.golang.org/api/bigquery/v2"
	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/audit"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
)

// The audit log sink (config audit.sink, SPEC §2): a BigQuery dataset, a
// log sink into it whose filter keeps the federation's evidence (token
// mints and BigQuery jobs, audit.SinkFilter), and WRITER on the dataset for
// the sink's writer identity. The resource logic is audit.Sinks', shared
// with `fedctl audit sink create`; the engine plans, orders and renders it.
//
// Teardown deletes the sink and keeps the dataset: it holds the exported
// trail, the evidence of who ran what while the federation existed. Its
// WRITER entry stays too: the writer identity is the project's Logging
// service agent, which other sinks into the dataset may share.

// Resource kinds of the audit sink.
const (
	KindDataset       Kind = "bigquery_dataset"
	KindLoggingSink   Kind = "logging_sink"
	KindDatasetAccess Kind = "bigquery_dataset_access"
)

// DatasetKeptReason is why teardown leaves the sink's dataset in place.
const DatasetKeptReason = "KEPT: it holds the exported audit trail (the evidence); delete it yourself once it is no longer required"

func datasetAddress(id string) string       { return fmt.Sprintf("bigquery_dataset[%q]", id) }
func sinkAddress(name string) string        { return fmt.Sprintf("logging_sink[%q]", name) }
func datasetAccessAddress(id string) string { return fmt.Sprintf("bigquery_dataset_access[%q]", id) }

// LoggingAPI is the service the audit log sink needs enabled (on by
// default in a new project, but it can be turned off).
const LoggingAPI = "logging.googleapis.com"

// withSinkAPI adds the Logging API to apis when a sink is wanted.
func withSinkAPI(apis []string, s *audit.SinkSpec) []string {
	if s == nil || slices.Contains(apis, LoggingAPI) {
		return apis
	}
	return append(slices.Clone(apis), LoggingAPI)
}

// desiredSink is the sink cfg asks for (nil: none). It needs no API call,
// so the live read can start reading the sink with its first requests.
func desiredSink(cfg *config.Config) (*audit.SinkSpec, error) {
	if cfg.Audit.Sink.IsZero() {
		return nil, nil
	}
	s := cfg.Audit.Sink.WithDefaults()
	fed, err := audit.FederationFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	mode := cfg.Mode
	if mode == "" {
		mode = config.DefaultMode
	}
	desc, err := Mark{Federation: cfg.FederationName(), Mode: mode, Kind: MarkSink}.Describe(audit.DefaultSinkDescription+".", maxSADescription)
	if err != nil {
		return nil, err
	}
	return &audit.SinkSpec{Project: cfg.Project, Name: s.Name, Dataset: s.Dataset, Location: s.Location,
		Filter: audit.SinkFilter(cfg.Project, fed), Description: desc}, nil
}

// DatasetState is a bigquery_dataset change's state.
type DatasetState struct {
	Dataset  string `json:"dataset"` // PROJECT:DATASET
	Location string `json:"location"`
}

// SinkState is a logging_sink change's state.
type SinkState struct {
	Name              string `json:"name"`
	Destination       string `json:"destination"`
	Filter            string `json:"filter"`
	PartitionedTables bool   `json:"partitioned_tables"`
	// WriterIdentity is absent until the sink exists (Logging assigns it).
	WriterIdentity string `json:"writer_identity,omitempty"`
}

// DatasetAccessState is a bigquery_dataset_access change's state: the one
// entry fedctl adds (the dataset's other entries are kept as they are).
type DatasetAccessState struct {
	Dataset string `json:"dataset"`
	Role    string `json:"role"`
	// UserByEmail is the sink's writer identity; absent until the sink
	// exists.
	UserByEmail string `json:"user_by_email,omitempty"`
}

func datasetState(s *audit.SinkSpec, live *bqv2.Dataset) *DatasetState {
	st := &DatasetState{Dataset: s.Project + ":" + s.Dataset, Location: s.Location}
	if live != nil {
		st.Location = live.Location
	}
	return st
}

func sinkState(s *audit.SinkSpec, live *logging.LogSink) *SinkState {
	if live == nil {
		return &SinkState{Name: s.Name, Destination: s.Destination(), Filter: s.Filter, PartitionedTables: true}
	}
	return &SinkState{Name: live.Name, Destination: live.Destination, Filter: live.Filter,
		PartitionedTables: live.BigqueryOptions != nil && live.BigqueryOptions.UsePartitionedTables,
		WriterIdentity:    live.WriterIdentity}
}

// readSink reads the sink's dataset and the sink itself, concurrently, into
// live (absent: nil; their API off: unknown).
func (e *Engine) readSink(ctx context.Context, g *errgroup.Group, s *audit.SinkSpec, live *Live) {
	sk := e.sinks()
	g.Go(func() error {
		return e.call(ctx, func() error {
			ds, err := sk.GetDataset(ctx, *s)
			switch {
			case gcp.IsServiceDisabled(err):
				live.DatasetUnknown = true
			case gcp.IsNotFound(err):
			case err != nil:
				return err
			}
			live.Dataset = ds
			return nil
		})
	})
	g.Go(func() error {
		return e.call(ctx, func() error {
			sink, err := sk.GetSink(ctx, *s)
			switch {
			case gcp.IsServiceDisabled(err):
				live.SinkUnknown = true
			case gcp.IsNotFound(err):
			case err != nil:
				return err
			}
			live.Sink = sink
			return nil
		})
	})
}

func (e *Engine) sinks() *audit.Sinks {
	return &audit.Sinks{C: e.c}
}

// sinkChanges plans the dataset, the sink and the WRITER entry for setup.
func sinkChanges(d *Desired, live *Live) (changes []*Change, warnings []string) {
	s := d.Sink
	dc := &Change{Address: datasetAddress(s.Dataset), Kind: KindDataset, Action: ActionNoop, After: datasetState(s, live.Dataset)}
	switch ds := live.Dataset; {
	case ds != nil:
		dc.Before = dc.After
		if !strings.EqualFold(ds.Location, s.Location) {
			warnings = append(warnings, fmt.Sprintf("The audit dataset %s exists in %s, not %s; it is used as it is (a dataset cannot move).", s.Dataset, ds.Location, s.Location))
		}
	case live.DatasetUnknown:
		dc.Action, dc.Reason = ActionCreate, "the BigQuery API is off, so the dataset could not be read: an existing one is adopted"
	default:
		dc.Action, dc.Reason = ActionCreate, "the destination of log sink "+s.Name
	}

	sc := &Change{Address: sinkAddress(s.Name), Kind: KindLoggingSink, Action: ActionNoop, After: sinkState(s, nil)}
	writer := ""
	switch ls := live.Sink; {
	case ls != nil:
		sc.Before = sinkState(s, ls)
		sc.After.(*SinkState).WriterIdentity = ls.WriterIdentity
		writer = audit.WriterEmail(ls.WriterIdentity)
		if drift := audit.SinkDrift(ls, *s); len(drift) > 0 {
			sc.Action, sc.Reason = ActionUpdate, strings.Join(drift, ", ")+" changed"
		}
	case live.SinkUnknown:
		sc.Action, sc.Reason = ActionCreate, "the Logging API is off, so the sink could not be read: an existing one is adopted"
	default:
		sc.Action, sc.Reason = ActionCreate, "exports the federation's token mints and BigQuery jobs, with a unique writer identity"
	}

	ac := &Change{Address: datasetAccessAddress(s.Dataset), Kind: KindDatasetAccess, Action: ActionCreate,
		After:  &DatasetAccessState{Dataset: s.Project + ":" + s.Dataset, Role: "WRITER", UserByEmail: writer},
		Reason: "for the sink's writer identity, keeping the dataset's other access entries"}
	switch {
	case writer == "":
		ac.Reason = "for the sink's writer identity (known once the sink exists), keeping the dataset's other access entries"
	case live.Dataset != nil && audit.HasWriter(live.Dataset.Access, writer):
		ac.Action, ac.Before, ac.Reason = ActionNoop, ac.After, ""
	default:
		ac.Reason = "the sink exists but cannot write to the dataset, so it drops the audit trail until this is applied; keeping the dataset's other access entries"
	}
	if !dataAccessLogsOn(d, live) {
		warnings = append(warnings, SinkWithoutLogsWarning)
	}
	return []*Change{dc, sc, ac}, warnings
}

// SinkWithoutLogsWarning: the sink would export entries nobody writes.
const SinkWithoutLogsWarning = "The audit sink exports Data Access entries, but the Data Access logs of IAM and BigQuery are not all on: add --data-access-logs (or run fedctl audit enable), or the sink has little to export."

// dataAccessLogsOn reports whether the Data Access logs the sink filter
// selects are on after this setup: enabled by it, or already.
func dataAccessLogsOn(d *Desired, live *Live) bool {
	if len(d.AuditLogs) > 0 {
		return true
	}
	pol := live.Policies[ProjectTarget(d.Project)]
	if pol == nil {
		return false
	}
	for _, svc := range audit.AuditServices {
		for _, lt := range audit.AuditLogTypes {
			if !pol.AuditLogsEnabled(svc, lt) {
				return false
			}
		}
	}
	return true
}

// sinkTeardownChanges deletes the sink and says the dataset stays.
func sinkTeardownChanges(d *Desired, live *Live) []*Change {
	s := d.Sink
	sc := &Change{Address: sinkAddress(s.Name), Kind: KindLoggingSink, Action: ActionNoop}
	m, marked := Mark{}, false
	if live.Sink != nil {
		m, marked = ParseMark(live.Sink.Description)
	}
	switch {
	case live.Sink != nil && !(marked && m.Federation == d.Name) && !(live.Sink.Description == audit.DefaultSinkDescription && d.Name == config.DefaultName):
		// Adopted (or another federation's): never deleted (SPEC §7.1).
		sc.Before, sc.After, sc.Reason = sinkState(s, live.Sink), sinkState(s, live.Sink), AdoptedReason
		if marked {
			sc.Reason = "federation " + m.Federation + "'s: left alone"
		}
	case live.Sink != nil:
		sc.Action, sc.Before = ActionDelete, sinkState(s, live.Sink)
		sc.Reason = "stops the export; dataset " + s.Dataset + " is " + DatasetKeptReason
	case live.SinkUnknown:
		sc.Reason = "the Logging API is off, so the sink could not be read"
	default:
		sc.Reason = "does not exist"
	}
	dc := &Change{Address: datasetAddress(s.Dataset), Kind: KindDataset, Action: ActionNoop, Reason: DatasetKeptReason}
	if live.Dataset != nil {
		dc.Before = datasetState(s, live.Dataset)
		dc.After = dc.Before
	}
	return []*Change{sc, dc}
}

// sinkRun carries what the sink's steps learn to the steps after them.
type sinkRun struct {
	// dataset is the dataset as created in this run: its access list and
	// etag, so that the WRITER grant patches it without reading it again.
	dataset *bqv2.Dataset
	// writer is the sink's writer identity (email), from the create or
	// update response, or the live read.
	writer string
}

func (e *Engine) datasetStep(c *Change, s *audit.SinkSpec, run *sinkRun) step {
	return step{name: "create " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) (err error) {
		run.dataset, err = e.sinks().CreateDataset(ctx, *s)
		return err
	}}
}

func (e *Engine) sinkStep(c *Change, s *audit.SinkSpec, run *sinkRun) step {
	if c.Action == ActionDelete {
		return step{name: "delete " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
			return e.sinks().DeleteSink(ctx, *s)
		}}
	}
	return step{name: verbFor(c.Action) + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		sink, err := e.sinks().ApplySink(ctx, *s, c.Action == ActionCreate, c.Action == ActionUpdate)
		if err == nil {
			run.writer = sink.Writer
		}
		return err
	}}
}

// accessStep grants the writer WRITER on the dataset: a patch of the
// access list read at plan time (or returned by the create), guarded by its
// etag, falling back to a fresh read-modify-write when it changed.
func (e *Engine) accessStep(c *Change, s *audit.SinkSpec, live *Live, run *sinkRun) step {
	return step{name: "create " + c.Address, changes: []*Change{c}, run: func(ctx context.Context) error {
		sk := e.sinks()
		if run.writer == "" && live.Sink != nil {
			run.writer = audit.WriterEmail(live.Sink.WriterIdentity)
		}
		if run.writer == "" {
			sink, err := sk.ApplySink(ctx, *s, false, false) // a read
			if err != nil {
				return err
			}
			run.writer = sink.Writer
		}
		read := run.dataset
		if read == nil {
			read = live.Dataset
		}
		if _, err := sk.GrantWriter(ctx, *s, run.writer, read); err != nil {
			// The sink exists and exports nothing: say so, not just why.
			return fmt.Errorf("sink %s is BROKEN: it exists, but its writer identity %s has no WRITER on dataset %s, so it exports nothing; re-run to complete it: %w",
				s.Name, run.writer, s.Dataset, err)
		}
		return nil
	}}
}

// SinkSummary is the audit sink after setup.
type SinkSummary struct {
	Name        string `json:"name"`
	Destination string `json:"destination"`
	Dataset     string `json:"dataset"`
	// WriterIdentity holds WRITER on the dataset ("" when apply stopped
	// before it was known).
	WriterIdentity string `json:"writer_identity,omitempty"`
	// SQL reads the exported, partitioned tables.
	SQL string `json:"sql"`
}

// sinkReady: no step of the sink failed or was left unstarted, so the
// trail is being exported (the summary then shows how to query it).
func sinkReady(res *Result, d *Desired) bool {
	for _, a := range []string{datasetAddress(d.Sink.Dataset), sinkAddress(d.Sink.Name), datasetAccessAddress(d.Sink.Dataset)} {
		if o, ok := res.Outcome(a); ok && (o.Status == OutcomeFailed || o.Status == OutcomeSkipped) {
			return false
		}
	}
	return true
}

func newSinkSummary(s *audit.SinkSpec, writer string) *SinkSummary {
	return &SinkSummary{Name: s.Name, Destination: s.Destination(), Dataset: s.Dataset, WriterIdentity: writer,
		SQL: audit.EventsSQL(s.Project, s.Dataset)}
}

func renderSinkSummary(tw *errWriter, s *SinkSummary, bold func(string) string) {
	tw.printf("\n%s\n", bold("Audit log sink"))
	tw.printf("  sink:            %s → %s\n", s.Name, s.Destination)
	if s.WriterIdentity != "" {
		tw.printf("  writer identity: %s (WRITER on %s)\n", s.WriterIdentity, s.Dataset)
	}
	tw.printf("\nQuery the exported trail (tables appear once the first entries are exported):\n\n%s\n", s.SQL)
}

// filterPreview is the head of a sink filter for the text plan (filters
// list every federated identity; --output json shows them whole).
func filterPreview(f string) string {
	const n = 96
	if short := truncate(f, n); short != f {
		return fmt.Sprintf("%s… (%d characters; --output json shows it whole)", short, len(f))
	}
	return f
}

func renderSink(tw *errWriter, c *Change, st *SinkState) {
	tw.printf("        destination: %s\n", st.Destination)
	if b, ok := c.Before.(*SinkState); ok && c.Action == ActionUpdate && b.Filter != st.Filter {
		tw.printf("        filter:      %s\n", filterPreview(b.Filter))
		tw.printf("                  → %s\n", filterPreview(st.Filter))
	} else if c.Action != ActionDelete {
		tw.printf("        filter:      %s\n", filterPreview(st.Filter))
	}
	tw.printf("        writer:      %s\n", knownAfterApply(st.WriterIdentity))
}

func knownAfterApply(s string) string {
	if s == "" {
		return "(known after apply)"
	}
	return s
}
