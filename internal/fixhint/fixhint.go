// Package fixhint is the one place fedctl words the fix for a failure, and
// the one place a printed fedctl command gets the context of the
// invocation it fixes (--sandbox, --project, --config or the federation
// flags), so that every hint works when pasted.
package fixhint

import (
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/lazyregexp"
)

// SandboxProject is the sandbox's one project (cmdutil.SandboxProject).
const SandboxProject = "demo-project"

// Invocation is what a fedctl command printed as a fix must repeat.
type Invocation struct {
	// Sandbox: the run used --sandbox; fixes are fedctl commands with
	// --sandbox (gcloud does not talk to the in-process sandbox).
	Sandbox bool
	// Project is the project the run acted on.
	Project string
	// Config is the --config file, when one was given.
	Config string
	// Flags are the federation flags given on the command line besides
	// --config, --project, --users and --users-file, as they were passed
	// (e.g. "--preset", "github", "--preset-values", "…"): a setup fix
	// without them would plan a different federation.
	Flags []string
	// Verifier is the member running fedctl, when known (the sandbox's
	// operator): it replaces the user:YOU placeholder of a fix.
	Verifier string
	// Retry is how to try again in the context (the wizard: "press r to
	// retry"); empty: "run the command again".
	Retry string
}

// Fedctl is the fedctl command line sub (e.g. "setup", "audit enable")
// with the invocation's context, then args (already shell words).
func (in Invocation) Fedctl(sub string, withFlags bool, args ...string) string {
	parts := []string{"fedctl"}
	if in.Sandbox {
		parts = append(parts, "--sandbox")
	}
	parts = append(parts, sub)
	if in.Project != "" && !in.Sandbox {
		parts = append(parts, "--project", Quote(in.Project))
	}
	if in.Config != "" {
		parts = append(parts, "--config", Quote(in.Config))
	}
	if withFlags {
		for _, f := range in.Flags {
			parts = append(parts, Quote(f))
		}
	}
	return strings.Join(append(parts, args...), " ")
}

func (in Invocation) retry() string {
	if in.Retry != "" {
		return in.Retry
	}
	return "run the command again"
}

// ForError says what to do about an error from a Google call: the fix
// shown under a failed step in the wizard and after a failed command.
// Re-running setup is always safe (the plan converges).
func ForError(err error, in Invocation) string {
	ge := gcp.Classify(err)
	switch {
	case ge == nil, ge.Kind == gcp.KindCanceled, ge.Kind == gcp.KindUnknown && ge.Code == 0:
		return "" // not an answer from Google
	}
	project := in.Project
	switch ge.Kind {
	case gcp.KindServiceDisabled:
		svc := ge.Service
		if svc == "" {
			svc = "the API named above"
		}
		if in.Sandbox {
			return fmt.Sprintf("%s enables %s (and every API federation needs)", in.Fedctl("setup", true), svc)
		}
		return fmt.Sprintf("gcloud services enable %s --project=%s, then %s (enabling takes a minute to propagate)", svc, project, in.retry())
	case gcp.KindPermissionDenied:
		if in.Sandbox && project != "" && project != SandboxProject {
			return fmt.Sprintf("the sandbox has one project, %s: drop --project %s", SandboxProject, project)
		}
		perm := ""
		if ge.Permission != "" {
			perm = " (" + ge.Permission + ")"
		}
		return fmt.Sprintf("the signed-in account lacks a permission%s: use an account with roles/owner, or roles/iam.serviceAccountAdmin + roles/resourcemanager.projectIamAdmin + roles/serviceusage.serviceUsageAdmin on %s", perm, project)
	case gcp.KindUnauthenticated:
		if in.Sandbox {
			return "the sandbox's token is no longer valid (was it reset?): run fedctl sandbox reset --yes, then " + in.retry()
		}
		return "sign in again: gcloud auth application-default login"
	case gcp.KindNotFound:
		if in.Sandbox {
			return "check the name in the message; for a resource created a moment ago, " + in.retry() + ": it can take a minute to be seen"
		}
		return fmt.Sprintf("check the project ID (gcloud projects describe %s); for a resource created a moment ago, %s: IAM can take a minute to see it", project, in.retry())
	case gcp.KindAborted:
		return "someone else changed the policy at the same time: " + in.retry() + " (fedctl re-reads it)"
	case gcp.KindRateLimited, gcp.KindUnavailable:
		return "Google is busy: " + in.retry() + " in a moment"
	case gcp.KindFailedPrecondition:
		// "does not exist" is IAM's eventual consistency (a re-run helps);
		// otherwise Google refuses the write as things stand (an org
		// policy, billing, the resource's state): a re-run fails alike.
		if strings.Contains(strings.ToLower(ge.Message), "does not exist") {
			break
		}
		policies := "gcloud org-policies list --project=" + project
		if in.Sandbox {
			policies = "fedctl sandbox org-policy list"
		}
		return "Google refuses this change as things stand (the message says why: an organization policy, billing or the resource's state): a re-run fails the same way until that changes; the project's organization policies: " + policies
	}
	return in.retry() + "; a re-run applies only what is still missing"
}

var gcloudEnable = lazyregexp.New(`^gcloud services enable \S+ --project=\S+$`)

// Contextualize gives a fix written for the plain invocation the
// invocation's context: on the sandbox every fedctl command gets
// --sandbox and loses --project demo-project, and the gcloud commands
// setup itself would run (enable an API, grant a role, re-enable a listed
// user's service account) become that setup.
func (in Invocation) Contextualize(fix, setup string) string {
	if in.Verifier != "" {
		fix = strings.ReplaceAll(fix, "user:YOU", in.Verifier)
	}
	if !in.Sandbox || fix == "" {
		return fix
	}
	if strings.HasPrefix(fix, "gcloud ") && (gcloudEnable.MatchString(fix) || strings.Contains(fix, " add-iam-policy-binding ") ||
		strings.HasPrefix(fix, "gcloud iam service-accounts enable ")) {
		return setup
	}
	fix = strings.ReplaceAll(fix, " --project "+SandboxProject, "")
	fix = strings.ReplaceAll(fix, " --project="+SandboxProject, "")
	return sandboxFedctl.ReplaceAllString(fix, "${1}fedctl --sandbox ${2}")
}

// sandboxFedctl finds a fedctl command not yet given --sandbox: fedctl
// followed by a command or a flag (quoted in backticks in prose, too), not
// the word in a sentence ("so fedctl leaves it").
var sandboxFedctl = lazyregexp.New("(^|[\\s(:;&|`])fedctl (?:--sandbox )?((?:setup|plan|teardown|verify|token|audit|keys|sandbox|version)\\b|--)")

// Quote quotes s for POSIX shells when it needs it.
func Quote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
