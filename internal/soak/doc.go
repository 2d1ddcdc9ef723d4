// Package soak holds the fault soak (build tag "soak"): N setup → plan →
// teardown cycles of the engine, for impersonation, wif and the audit sink,
// against the emulator behind internal/faultinject at a given rate of 503s
// (and optionally 429s, resets and applied-but-unanswered writes), through
// the real Google clients. It prints runs, failures by cause, false
// successes, foreign bindings lost, leftovers and requests.
//
//	scripts/soak.sh -cycles 10 -rate 0.3
package soak
