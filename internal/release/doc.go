// Package release holds no code: its test keeps the release configuration
// honest. It parses .goreleaser.yaml, checks what SPEC §6 and the release
// issue require of it (static builds for six targets, stripped, version
// injected, man pages and completions in every archive), and builds a
// binary with the configuration's own -X flags to prove they reach
// `fedctl version`. A broken release config thus fails `go test ./...`
// rather than the tag.
package release
