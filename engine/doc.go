// Package engine is fedctl's one implementation of setup and teardown, the
// way Terraform works: a desired state built from a *config.Config, the live
// state read from Google, a plan (data: one Change per resource, with before
// and after), its text and JSON renderings, and an apply that executes the
// plan in dependency order with bounded concurrency. The scripted commands
// (cmd/setup.go, plan.go, teardown.go) and the wizard both drive it.
//
// Where things live:
//
//	desired.go      Desired: resources fedctl manages for a configuration
//	resources.go    addresses, policy resources, memberships
//	live.go         Live and Read: the concurrent, bounded live-state read
//	plan.go         Plan, Change, Action, Kind and the setup diff
//	teardown.go     the teardown diff (reverse order, only what setup adds)
//	states.go       the before/after value types of each kind of change
//	render_text.go  Terraform-like text rendering
//	render_json.go  the JSON document (format_version 1)
//	apply.go        Apply: phases, steps, results
//	consistency.go  retries for IAM's eventual consistency
//	progress.go     progress events and their line renderer
//	outputs.go      the admin key file and Hoop's federation policy file
//	summary.go      the post-apply summary (text and JSON)
//	wif.go          wif mode: pool, provider, their states, steps, outputs
//	sink.go         the audit log sink: dataset, sink, WRITER entry (audit.Sinks)
//
// Adding a mode (wif) means adding resources to Desired and their reads and
// steps; the plan, renderers and apply machinery stay as they are.
package engine
