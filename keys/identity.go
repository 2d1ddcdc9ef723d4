package keys

import (
	"strings"

	"github.com/fedctl/fedctl/gcp"
)

// roleWorkloadIdentityUser lets a federated principal impersonate an SA.
const roleWorkloadIdentityUser = "roles/iam.workloadIdentityUser"

// FedctlOwned reports whether fedctl made sa, by its ownership mark in the
// description ("fedctl:federation=NAME;…") or, for accounts made before
// marks, by the descriptions and display names fedctl gives ("… (fedctl,
// impersonation mode).", "fedctl: alice@acme.com", "fedctl admin"). The one
// place that decides it, so the convention can change here alone.
func FedctlOwned(sa *gcp.ServiceAccount) bool {
	if sa == nil {
		return false
	}
	d := sa.Description
	switch {
	case strings.Contains(d, "fedctl:federation="):
		return true
	case strings.Contains(d, "(fedctl, "), strings.Contains(d, "every fedctl user"):
		return true
	case strings.HasPrefix(sa.DisplayName, "fedctl: "), sa.DisplayName == "fedctl admin", sa.DisplayName == "fedctl wif target":
		return true
	}
	return false
}

// Federated reports whether an SA's policy lets federated workloads act as
// it: an unconditional or conditional workloadIdentityUser binding of a
// principal://… or principalSet://… member (a wif target).
func Federated(p *gcp.Policy) bool {
	if p == nil {
		return false
	}
	for _, b := range p.Bindings {
		if b.Role != roleWorkloadIdentityUser {
			continue
		}
		for _, m := range b.Members {
			if strings.HasPrefix(m, "principal://") || strings.HasPrefix(m, "principalSet://") {
				return true
			}
		}
	}
	return false
}
