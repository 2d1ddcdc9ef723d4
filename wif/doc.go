// Package wif is fedctl's local model of Workload Identity Federation: the
// parts of Google's token exchange that can be checked without calling
// Google, so that setup refuses a broken provider before any API call and
// verify can say why a token would be rejected.
//
//	cel.go        compiling the attribute mapping and condition (cel-go),
//	              with errors that point at the column
//	lint.go       the checks on a compiled provider (google.subject mapped,
//	              condition references mapped claims, 127-byte values)
//	eval.go       claims → mapped attributes → condition verdict
//	member.go     federated principals and which IAM member names them
//	jwt.go        decoding a subject token and checking iss/aud/exp/iat
//	jwks.go       RS256 signatures against a JWKS (the emulator's STS, tests)
//	presets.go    github, gitlab, gumloop and generic oidc presets
//	credconfig.go the external_account credential configuration that
//	              `gcloud iam workload-identity-pools create-cred-config` writes
//
// The emulator's STS uses this package too, so the sandbox and the local
// verification agree by construction; both follow Google's documented rules.
package wif
