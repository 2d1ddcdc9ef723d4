package cmd

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// federationFlags are the flags, common to setup, plan, teardown and
// verify, that shape the federation: a fedctl command printed as a fix
// repeats those given, or it would plan or check a different federation.
var federationFlags = []string{
	"name", "mode", "admin-sa", "template", "grant", "roles",
	"pool", "provider", "issuer-uri", "attribute-mapping", "attribute-condition", "allowed-audiences",
	"target-sa", "principal-set", "preset", "preset-values", "principal", "direct", "jwks-file",
	"oauth-client",
}

// invocationOf is how the user ran cmd, for the fixes it prints
// (fixhint.Invocation): --sandbox, the project, --config and the
// federation flags given.
func invocationOf(cmd *cobra.Command, f *cmdutil.Factory, project string) fixhint.Invocation {
	in := fixhint.Invocation{Sandbox: f.Globals.Sandbox, Project: project}
	if f.Globals.Sandbox {
		in.Verifier = suggestedVerifier(f)
	}
	if cmd == nil {
		return in
	}
	fl := cmd.Flags()
	if c := fl.Lookup("config"); c != nil && c.Changed {
		in.Config = c.Value.String()
	}
	for _, name := range federationFlags {
		p := fl.Lookup(name)
		if p == nil || !p.Changed {
			continue
		}
		if p.Value.Type() == "bool" {
			in.Flags = append(in.Flags, "--"+name+"="+p.Value.String())
			continue
		}
		in.Flags = append(in.Flags, "--"+name, p.Value.String())
	}
	return in
}

// fedctlCommand is a fedctl command line for a hint, with the invocation's
// --sandbox (and nothing else: the hint names its own flags).
func fedctlCommand(f *cmdutil.Factory, sub string, args ...string) string {
	return fixhint.Invocation{Sandbox: f.Globals.Sandbox}.Fedctl(sub, false, args...)
}

// contextualizePlan gives the texts a plan prints (its notes, warnings and
// preflight fixes) the invocation's context, as verify's fixes get it: on
// the sandbox a fedctl command gets --sandbox and user:YOU is the
// operator. A gcloud command stays as written: the plan's own setup is
// not its fix.
func contextualizePlan(p *engine.Plan, in fixhint.Invocation) {
	p.RewriteHints(func(s string) string {
		kept := s
		if in.Verifier != "" {
			kept = strings.ReplaceAll(s, "user:YOU", in.Verifier)
		}
		return in.Contextualize(s, kept)
	})
}
