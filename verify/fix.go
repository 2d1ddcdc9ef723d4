package verify

import (
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// The exact commands a row's Fix names. gcloud flags are spelled out in
// full so that they can be pasted as they are.

const roleTokenCreator = "roles/iam.serviceAccountTokenCreator"

func fixEnableAPI(project, service string) string {
	return fmt.Sprintf("gcloud services enable %s --project=%s", service, project)
}

func fixGrantOnSA(project, sa, member, role string) string {
	return fmt.Sprintf("gcloud iam service-accounts add-iam-policy-binding %s --member=%s --role=%s --project=%s",
		sa, member, role, project)
}

func fixGrantOnProject(project, member string, roles []string) string {
	cmds := make([]string, 0, len(roles))
	for _, r := range roles {
		cmds = append(cmds, fmt.Sprintf("gcloud projects add-iam-policy-binding %s --member=%s --role=%s --condition=None",
			project, member, r))
	}
	return strings.Join(cmds, " && ")
}

func fixEnableSA(project, sa string) string {
	return fmt.Sprintf("gcloud iam service-accounts enable %s --project=%s", sa, project)
}

// setupCommand is the fedctl command that applies this configuration, for
// one user when user is set (so that the fix adds that user without
// dropping the others when there is no configuration file).
func (r *runner) setupCommand(user string) string {
	if r.opts.SetupCommand != "" {
		return r.opts.SetupCommand
	}
	in := r.invocation()
	if in.Config != "" {
		return in.Fedctl("setup", true)
	}
	var args []string
	if r.cfg.Mode != "" && r.cfg.Mode != config.ModeImpersonation && !hasFlag(in.Flags, "--mode") {
		args = append(args, "--mode", string(r.cfg.Mode))
	}
	users := r.cfg.Users()
	if len(users) == 0 {
		// verify --user alice with no --users: setup needs a user list
		// (an empty one is a usage error), and alice is the one to set up,
		// beside the users the federation already has (a setup listing
		// alice alone would offboard them).
		users = r.opts.Users
		for _, u := range r.facts.federationUsers(r.cfg.FederationName()) {
			if !containsFold(users, u) {
				users = append(append([]string(nil), users...), u)
			}
		}
	}
	if user != "" && !containsFold(users, user) {
		users = append(append([]string(nil), users...), user)
	}
	if len(users) > 0 && r.cfg.Mode != config.ModeWIF {
		args = append(args, "--users", fixhint.Quote(strings.Join(users, ",")))
	}
	return in.Fedctl("setup", true, args...)
}

func (r *runner) verifyCommand(user, extra string) string {
	var args []string
	if user != "" {
		args = append(args, "--user", fixhint.Quote(user))
	}
	if extra != "" {
		args = append(args, extra)
	}
	return r.invocation().Fedctl("verify", true, args...)
}

// invocation is Options.Invocation completed from the configuration.
func (r *runner) invocation() fixhint.Invocation {
	in := r.opts.Invocation
	in.Project = r.project
	if in.Config == "" {
		in.Config = r.cfg.Source()
	}
	return in
}

// contextualizeFixes gives every row's fix the invocation's context, once,
// so that rows written against the plain invocation work when pasted (on
// the sandbox: fedctl --sandbox, and setup instead of gcloud).
func (r *runner) contextualizeFixes(rep *Report) {
	in := r.invocation()
	setup := r.setupCommand("")
	for i := range rep.Checks {
		rep.Checks[i].Fix = in.Contextualize(rep.Checks[i].Fix, setup)
	}
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
