package engine

import (
	"encoding/json"
	"io"
)

// PlanFormatVersion is the version of the plan JSON schema. It changes
// major when a field is removed or changes meaning; adding fields is minor.
const PlanFormatVersion = "1.0"

// PlanJSON is the plan's JSON document (`fedctl plan --output json`):
//
//	{
//	  "format_version": "1.0",
//	  "operation": "setup" | "teardown" | "audit_enable" | "audit_sink_create",
//	  "project": "my-proj", "project_number": "123456789012",
//	  "mode": "impersonation",              // absent for the audit operations
//	  "has_changes": true,
//	  "summary": {"add": 3, "change": 2, "destroy": 0, "no_op": 1},
//	  "changes": [                          // every managed resource, in apply order
//	    {"address": "service_account.user[\"alice@acme.com\"]",
//	     "kind": "api" | "service_account" | "iam_policy" | "service_account_key" | "local_file"
//	           | "workload_identity_pool" | "workload_identity_pool_provider"
//	           | "bigquery_dataset" | "logging_sink" | "bigquery_dataset_access" | "user",
//	     "action": "create" | "update" | "delete" | "no-op",
//	     "reason": "...",                   // optional
//	     "before": {...} | null,            // null: does not exist before
//	     "after":  {...} | null,            // null: does not exist after
//	     "offboard": true,                  // optional: an identity offboarded (SPEC §7.2)
//	     "delta": {                          // iam_policy only
//	       "add":    [{"role", "member", "why"}],
//	       "remove": [{"role", "member", "why"}],
//	       "audit_logs_add": [{"service", "log_type"}],
//	       "untouched": [{"role", "members", "condition": {"title", "description", "expression"}}]}}
//	  ],
//	  "warnings": ["..."],
//	  "info": ["..."]                       // optional: notes needing no action
//	}
//
// before/after by kind: api {service, enabled}; service_account {email,
// account_id, display_name, unique_id, users, description, disabled,
// ownership (owned | legacy | adopted | foreign)}; user {user} (oauth
// offboarding); iam_policy {bindings: [{role,
// members, condition}], audit_configs: [{service, log_types}]} restricted to
// the roles and services fedctl manages there; service_account_key and
// local_file {path, mode}; workload_identity_pool {name, state, disabled,
// display_name, expire_time}; workload_identity_pool_provider {name, state,
// disabled, issuer_uri, allowed_audiences, attribute_mapping,
// attribute_condition, jwks}; bigquery_dataset {dataset, location};
// logging_sink {name, destination, filter, partitioned_tables,
// writer_identity (absent until the sink exists)}; bigquery_dataset_access
// {dataset, role, user_by_email (absent until the sink exists)}.
type PlanJSON struct {
	FormatVersion string    `json:"format_version"`
	Operation     Operation `json:"operation"`
	Project       string    `json:"project"`
	ProjectNumber string    `json:"project_number,omitempty"`
	Mode          string    `json:"mode,omitempty"`
	HasChanges    bool      `json:"has_changes"`
	Summary       Counts    `json:"summary"`
	Changes       []*Change `json:"changes"`
	Warnings      []string  `json:"warnings"`
	Preflight     []Finding `json:"preflight"`
	// Info: notes needing no action from this plan (added in 1.1).
	Info []string `json:"info,omitempty"`
}

// JSON returns the plan's JSON document.
func (p *Plan) JSON() *PlanJSON {
	doc := &PlanJSON{
		FormatVersion: PlanFormatVersion,
		Operation:     p.Operation,
		Project:       p.Project,
		ProjectNumber: p.ProjectNumber,
		Mode:          string(p.Mode),
		HasChanges:    p.HasChanges(),
		Summary:       p.Counts(),
		Changes:       p.Changes,
		Warnings:      p.Warnings,
		Preflight:     p.Preflight,
		Info:          p.Info,
	}
	if doc.Preflight == nil {
		doc.Preflight = []Finding{}
	}
	if doc.Changes == nil {
		doc.Changes = []*Change{}
	}
	if doc.Warnings == nil {
		doc.Warnings = []string{}
	}
	return doc
}

// RenderJSON writes the plan as one JSON document.
func RenderJSON(w io.Writer, p *Plan) error { return writeJSON(w, p.JSON()) }

// writeJSON writes one indented document, without HTML escaping so that
// conditions (<, >, &) read as written — as cmdutil.PrintJSON does.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
