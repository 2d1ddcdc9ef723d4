// Package emulator is fedctl's emulated Google Cloud project (SPEC §5): one
// HTTP server that speaks the real REST wire format of serviceusage,
// cloudresourcemanager, iam, iamcredentials, sts, logging, bigquery and the
// oauth2 token endpoint, in the SPEC §4 layout ENDPOINT/SERVICE/PATH.
//
// It is faithful to Google, not to fedctl: the same JSON (Google's generated
// types are used for the wire where they exist), the same error envelopes per
// API (gcp-wire.md §11.3), etags, policy version 3, LROs, pagination,
// SERVICE_DISABLED, identities from bearer tokens, permission checks for token
// minting and BigQuery jobs, and audit log entries.
//
// Layout of the package:
//
//	server.go    Server, Options, routing, latency, request stats, fault hooks
//	call.go      one request: body decoding, JSON replies, the caller
//	errors.go    Google-shaped error envelopes
//	state.go     the persisted state model and its file
//	state_sync.go  servers sharing a state file: per-request lock and reload
//	token.go     the opaque access tokens the emulator mints and verifies
//	authz.go     roles → permissions, members, propagation delay
//	paging.go    pageSize/pageToken handling shared by list methods
//	lro.go       long-running operations shared by every API
//	iam_policy.go  getIamPolicy/setIamPolicy rules of projects and SAs
//	(per API)    serviceusage.go, crm.go, iam_serviceaccounts.go, iam_keys.go,
//	             iamcredentials.go, oauth2.go, bigquery.go, logging.go, auditlog.go
//	wif_pools.go workload identity pools and providers (soft delete, LROs)
//	sts.go       the STS token exchange (mapping and condition via package wif)
//	oidc_issuer.go demo OIDC issuers that mint subject tokens for the sandbox
package emulator
