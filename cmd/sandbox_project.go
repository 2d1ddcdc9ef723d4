package cmd

import (
	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

// sandboxProject points a federation configuration at the sandbox's one
// project. A --project naming another project is a usage error (as
// Factory.Project says); a project named by --config (README's example
// says my-proj) is mapped to the sandbox's with a note on stderr, so that
// the same file rehearses on the sandbox what it will do for real.
func sandboxProject(f *cmdutil.Factory, cfg *config.Config) error {
	if !f.Globals.Sandbox {
		return nil
	}
	if f.Globals.Project != "" {
		if _, err := f.Project(); err != nil {
			return err
		}
	}
	if cfg.Project != "" && cfg.Project != cmdutil.SandboxProject {
		f.Progressf("note: the sandbox has one project, %s: using it instead of %s from %s\n",
			cmdutil.SandboxProject, cfg.Project, sourceName(cfg))
		cfg.Project = cmdutil.SandboxProject
	}
	return nil
}

func sourceName(cfg *config.Config) string {
	if s := cfg.Source(); s != "" {
		return s
	}
	return "the configuration"
}
