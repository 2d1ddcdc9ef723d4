package engine

import (
	"context"
	"slices"

	"github.com/fedctl/fedctl/audit"
)

// The audit commands' writes (`audit enable`: the project's auditConfigs;
// `audit sink create`: the dataset, the sink and WRITER for its writer
// identity) are plans of the same engine as setup's, so that they are read,
// planned, rendered (text and JSON), confirmed and applied one way. Their
// desired state is a Desired holding only those resources.

// Operations of the audit commands' plans.
const (
	OpAuditEnable Operation = "audit_enable"
	OpAuditSink   Operation = "audit_sink_create"
)

// DataAccessLogChanges is what `audit enable` and `setup
// --data-access-logs` turn on: every log type of audit.AuditLogTypes for
// every service of audit.AuditServices.
func DataAccessLogChanges() []AuditLogSpec {
	out := make([]AuditLogSpec, 0, len(audit.AuditServices))
	for _, svc := range audit.AuditServices {
		out = append(out, AuditLogSpec{Service: svc, LogTypes: slices.Clone(audit.AuditLogTypes)})
	}
	return out
}

// PlanAuditEnable reads the project's policy and plans turning on the Data
// Access audit logs (the auditConfigs edit alone). It writes nothing.
func (e *Engine) PlanAuditEnable(ctx context.Context, project string) (*Plan, error) {
	build := func(n string) (*Desired, error) {
		d := &Desired{Project: project, ProjectNumber: n, AuditLogs: DataAccessLogChanges()}
		d.index()
		return d, nil
	}
	d, live, err := e.read(ctx, build, project, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	p := diffSetup(d, live)
	p.Operation = OpAuditEnable
	return p, nil
}

// PlanAuditSink reads the sink's dataset and sink and plans creating or
// completing them (and enabling the Logging API when it is off). It writes
// nothing.
func (e *Engine) PlanAuditSink(ctx context.Context, s audit.SinkSpec) (*Plan, error) {
	apis := withSinkAPI(nil, &s)
	build := func(n string) (*Desired, error) {
		d := &Desired{Project: s.Project, ProjectNumber: n, APIs: apis, Sink: &s}
		d.index()
		return d, nil
	}
	d, live, err := e.read(ctx, build, s.Project, apis, &s, nil)
	if err != nil {
		return nil, err
	}
	p := diffSetup(d, live)
	p.Operation = OpAuditSink
	return p, nil
}
