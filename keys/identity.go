package keys

import (
	"strings"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/gcp"
)

// roleWorkloadIdentityUser lets a federated principal impersonate an SA.
const roleWorkloadIdentityUser = "roles/iam.workloadIdentityUser"

// FedctlOwned reports whether fedctl made sa: by the ownership mark at the
// end of its description ("… fedctl:federation=NAME;…", engine.ParseMark)
// or, for accounts made before marks, by the descriptions and display
// names fedctl gave then ("… (fedctl, impersonation mode).", "fedctl:
// alice@acme.com", "fedctl admin"). The one place that decides it.
func FedctlOwned(sa *gcp.ServiceAccount) bool {
	if sa == nil {
		return false
	}
	if _, ok := engine.ParseMark(sa.Description); ok {
		return true
	}
	d := sa.Description
	switch {
	case strings.Contains(d, "(fedctl, "), strings.Contains(d, "every fedctl user"):
		return true
	case strings.HasPrefix(sa.DisplayName, "fedctl: "), sa.DisplayName == "fedctl admin", sa.DisplayName == "fedctl wif target":
		return true
	}
	return false
}

// isAdminSA: fedctl's admin SA, whose key (if any) a Hoop gcp_iam gateway
// holds to mint the per-user tokens.
func isAdminSA(sa *gcp.ServiceAccount) bool {
	if m, ok := engine.ParseMark(sa.Description); ok {
		return m.Kind == engine.MarkAdmin
	}
	return FedctlOwned(sa) && (strings.HasPrefix(sa.Description, "Mints short-lived tokens") || sa.DisplayName == "fedctl admin")
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
