// Package keys finds, judges and removes service-account keys (SPEC §7.6):
// the inventory of user-managed keys with their last use from the audit
// log (List), the prune plan and its apply (PlanPrune, Apply), and the
// project policy that forbids new keys (PlanEnforce).
//
// A key undoes keyless federation: whoever holds it is the service account,
// with no delegation chain and no per-person trail. The migration off a
// shared key ends with every key deleted and key creation forbidden.
package keys
