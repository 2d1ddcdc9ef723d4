package verify

import (
	"fmt"
	"strings"

	"github.com/fedctl/fedctl/config"
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

func fixDeleteKey(project, sa, keyName string) string {
	id := keyName[strings.LastIndex(keyName, "/")+1:]
	return fmt.Sprintf("gcloud iam service-accounts keys delete %s --iam-account=%s --project=%s", id, sa, project)
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
	if src := r.cfg.Source(); src != "" {
		return "fedctl setup --config " + shellQuote(src)
	}
	cmd := "fedctl setup --project " + r.project
	if r.cfg.Mode != "" && r.cfg.Mode != config.ModeImpersonation {
		cmd += " --mode " + string(r.cfg.Mode)
	}
	users := r.cfg.Users()
	if user != "" && !containsFold(users, user) {
		users = append(append([]string(nil), users...), user)
	}
	if len(users) > 0 && r.cfg.Mode != config.ModeWIF {
		cmd += " --users " + strings.Join(users, ",")
	}
	return cmd
}

func (r *runner) verifyCommand(user, extra string) string {
	cmd := "fedctl verify --project " + r.project
	if src := r.cfg.Source(); src != "" {
		cmd += " --config " + shellQuote(src)
	}
	if user != "" {
		cmd += " --user " + user
	}
	if extra != "" {
		cmd += " " + extra
	}
	return cmd
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// shellQuote quotes s for POSIX shells when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./_-", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellQuote is shellQuote for cmd's export lines.
func ShellQuote(s string) string { return shellQuote(s) }
