// Package audit reads and shapes the federation audit trail (SPEC §2, audit
// rows): it turns Cloud Logging AuditLog entries for GenerateAccessToken and
// BigQuery jobs into Events, streams them page by page from entries.list
// (tail, follow, report), finds jobs that went around federation (bypass),
// enables the Data Access logs that evidence needs (enable), and exports the
// trail to BigQuery (sink).
//
// Where things live:
//
//	event.go     Event, Kind
//	parse.go     the fast LogEntry → Event parser (both BigQuery payload styles)
//	filter.go    the Logging filter builder for server-side selection
//	stream.go    Reader: entries.list page by page; Follow (poll, cursor, dedupe)
//	entrieslist.go  entries.list posted and its response streamed, entry by
//	             entry, into the parser (no generated-client decode)
//	jsonstream.go   a JSON document read through a fixed window (jsonscan.go
//	             skipping scanner on a stream)
//	seen.go      the bounded insertId / job-ID set
//	correlate.go pairing a query with the mint that produced its token
//	federation.go who belongs to the federation; bypass classification
//	report.go    per-principal summary; its BigQuery SQL equivalent
//	enable.go    the auditConfigs edit and its diff
//	sink.go      the log sink, its dataset and the writer's access entry
//	render.go    text lines and JSON lines
package audit
