package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
)

// Ownership marks (SPEC §7.1). Ownership is recorded in Google Cloud itself,
// at the end of the description of every service account, pool, provider
// and sink fedctl creates, so that any admin on any machine sees it:
//
//	BigQuery identity of alice@acme.com. fedctl:federation=fedctl;user=alice@acme.com;mode=impersonation
//
// Keys: federation (required), mode (required), user (per-user SAs), kind
// (admin, shared, target, pool, provider, sink, role) and verifiers (the admin
// SA: the --verifier members whose Token Creator binding the federation
// owns, comma-separated). The mark is parsed back strictly: anything else
// (a malformed mark, an unknown key) is not ours.

// markPrefix starts a mark.
const markPrefix = "fedctl:"

// maxSADescription is IAM's limit on a service account description (bytes).
const maxSADescription = 256

// Mark is a parsed ownership mark.
type Mark struct {
	Federation string
	Mode       config.Mode
	User       string   // "" unless a per-user SA
	Kind       string   // "" for a per-user SA
	Verifiers  []string // admin SA only
}

// String is the mark as written in a description.
func (m Mark) String() string {
	var b strings.Builder
	b.WriteString(markPrefix + "federation=" + m.Federation)
	if m.User != "" {
		b.WriteString(";user=" + m.User)
	}
	b.WriteString(";mode=" + string(m.Mode))
	if m.Kind != "" {
		b.WriteString(";kind=" + m.Kind)
	}
	if len(m.Verifiers) > 0 {
		b.WriteString(";verifiers=" + strings.Join(m.Verifiers, ","))
	}
	return b.String()
}

// Describe is human text followed by the mark, within limit bytes: the
// human text is shortened (then dropped) first, the mark is never cut.
func (m Mark) Describe(human string, limit int) (string, error) {
	mark := m.String()
	if len(mark) > limit {
		return "", fmt.Errorf("the ownership mark %q is longer than the %d bytes a description allows: use a shorter --name (or fewer verifiers)", mark, limit)
	}
	room := limit - len(mark) - 1
	if room <= 0 || human == "" {
		return mark, nil
	}
	if len(human) > room {
		human = strings.TrimRight(truncateBytes(human, room-1), " .,") + "…"
		if len(human) > room {
			return mark, nil
		}
	}
	return human + " " + mark, nil
}

func truncateBytes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	for len(s) > n {
		r := []rune(s)
		s = string(r[:len(r)-1])
	}
	return s
}

// ParseMark reads the mark at the end of a description. ok is false when
// there is none or it is malformed (then the resource is not fedctl's).
func ParseMark(desc string) (m Mark, ok bool) {
	i := strings.LastIndex(desc, markPrefix)
	if i < 0 || (i > 0 && desc[i-1] != ' ' && desc[i-1] != '\n') {
		return Mark{}, false
	}
	body := desc[i+len(markPrefix):]
	if body == "" || strings.ContainsAny(body, " \t\n") {
		return Mark{}, false
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(body, ";") {
		k, v, found := strings.Cut(kv, "=")
		if !found || v == "" || seen[k] {
			return Mark{}, false
		}
		seen[k] = true
		switch k {
		case "federation":
			if config.FederationNameProblem(v) != "" {
				return Mark{}, false
			}
			m.Federation = v
		case "mode":
			if !slices.Contains(config.Modes, config.Mode(v)) {
				return Mark{}, false
			}
			m.Mode = config.Mode(v)
		case "user":
			if !config.ValidEmail(v) {
				return Mark{}, false
			}
			m.User = v
		case "kind":
			if !slices.Contains(markKinds, v) {
				return Mark{}, false
			}
			m.Kind = v
		case "verifiers":
			for _, mem := range strings.Split(v, ",") {
				if typ, id, ok := strings.Cut(mem, ":"); !ok || typ == "" || id == "" {
					return Mark{}, false
				}
				m.Verifiers = append(m.Verifiers, mem)
			}
		default:
			return Mark{}, false
		}
	}
	if m.Federation == "" || m.Mode == "" || (m.User == "" && m.Kind == "") {
		return Mark{}, false
	}
	return m, true
}

// Mark kinds besides per-user SAs.
const (
	MarkAdmin    = "admin"
	MarkShared   = "shared"
	MarkTarget   = "target"
	MarkPool     = "pool"
	MarkProvider = "provider"
	MarkSink     = "sink"
	MarkRole     = "role" // the --data-role-bundle custom role
)

var markKinds = []string{MarkAdmin, MarkShared, MarkTarget, MarkPool, MarkProvider, MarkSink, MarkRole}

// legacyOwner recognises the descriptions of SAs made by fedctl before
// marks existed (federation "fedctl", the only one there was): the user
// of a per-user SA, or the kind of the others. ok is false for anything
// else.
func legacyOwner(desc string) (user, kind string, ok bool) {
	switch {
	case strings.HasPrefix(desc, "BigQuery identity of workloads federated through ") && strings.HasSuffix(desc, " (fedctl, wif mode)."):
		return "", MarkTarget, true
	case strings.HasPrefix(desc, "BigQuery identity of ") && strings.HasSuffix(desc, " (fedctl, impersonation mode)."):
		u := strings.TrimSuffix(strings.TrimPrefix(desc, "BigQuery identity of "), " (fedctl, impersonation mode).")
		if !config.ValidEmail(u) {
			return "", "", false
		}
		return u, "", true
	case desc == "BigQuery identity shared by every fedctl user (impersonation mode).":
		return "", MarkShared, true
	case desc == "Mints short-lived tokens for the per-user service accounts (fedctl, impersonation mode).":
		return "", MarkAdmin, true
	}
	return "", "", false
}
