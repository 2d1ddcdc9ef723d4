package cmdutil

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/iostreams"
)

// writeGcloudConfig lays out a gcloud config dir with the given
// configurations (name -> file body) and active configuration.
func writeGcloudConfig(t *testing.T, active string, configs map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "configurations"), 0o755); err != nil {
		t.Fatal(err)
	}
	if active != "" {
		if err := os.WriteFile(filepath.Join(dir, "active_config"), []byte(active+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range configs {
		if err := os.WriteFile(filepath.Join(dir, "configurations", "config_"+name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func factoryWithEnv(env map[string]string) *Factory {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, "1.0.0")
	f.Getenv = func(k string) string { return env[k] }
	return f
}

const workConfig = `[core]
account = me@acme.com
project = from-gcloud-work

[compute]
project = not-this-one
`

func TestProjectResolutionOrder(t *testing.T) {
	gcloudDir := writeGcloudConfig(t, "work", map[string]string{
		"work":    workConfig,
		"default": "[core]\nproject = from-gcloud-default\n",
	})
	all := map[string]string{
		"CLOUDSDK_CORE_PROJECT": "from-cloudsdk",
		"GOOGLE_CLOUD_PROJECT":  "from-google",
		"CLOUDSDK_CONFIG":       gcloudDir,
	}
	without := func(keys ...string) map[string]string {
		m := map[string]string{}
		for k, v := range all {
			m[k] = v
		}
		for _, k := range keys {
			delete(m, k)
		}
		return m
	}
	for _, tc := range []struct {
		name string
		flag string
		env  map[string]string
		want string
	}{
		{"flag wins", "from-flag", all, "from-flag"},
		{"CLOUDSDK_CORE_PROJECT next", "", all, "from-cloudsdk"},
		{"GOOGLE_CLOUD_PROJECT next", "", without("CLOUDSDK_CORE_PROJECT"), "from-google"},
		{"active gcloud configuration last", "", without("CLOUDSDK_CORE_PROJECT", "GOOGLE_CLOUD_PROJECT"), "from-gcloud-work"},
		{"CLOUDSDK_ACTIVE_CONFIG_NAME overrides active_config", "",
			map[string]string{"CLOUDSDK_CONFIG": gcloudDir, "CLOUDSDK_ACTIVE_CONFIG_NAME": "default"}, "from-gcloud-default"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := factoryWithEnv(tc.env)
			f.Globals.Project = tc.flag
			got, err := f.Project()
			if err != nil || got != tc.want {
				t.Errorf("Project() = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestProjectFromHomeGcloudDirDefaultConfig(t *testing.T) {
	home := t.TempDir()
	dir := filepath.Join(home, ".config", "gcloud")
	if err := os.MkdirAll(filepath.Join(dir, "configurations"), 0o755); err != nil {
		t.Fatal(err)
	}
	// No active_config file: gcloud's configuration is "default".
	body := "; comment\n[core]\nProject: home-proj\n"
	if err := os.WriteFile(filepath.Join(dir, "configurations", "config_default"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	f := factoryWithEnv(map[string]string{"HOME": home})
	if got, err := f.Project(); err != nil || got != "home-proj" {
		t.Errorf("Project() = %q, %v; want home-proj", got, err)
	}
}

func TestProjectNoneIsFlagErrorNamingFlag(t *testing.T) {
	empty := writeGcloudConfig(t, "", map[string]string{"default": "[core]\naccount = me@acme.com\n"})
	f := factoryWithEnv(map[string]string{"CLOUDSDK_CONFIG": empty})
	_, err := f.Project()
	if ExitCode(err) != ExitUsage || !strings.Contains(err.Error(), "--project") {
		t.Errorf("Project() error = %v (exit %d); want a usage error naming --project", err, ExitCode(err))
	}
}

func TestProjectInSandbox(t *testing.T) {
	f := factoryWithEnv(map[string]string{"GOOGLE_CLOUD_PROJECT": "real-proj"})
	f.Globals.Sandbox = true
	if got, _ := f.Project(); got != SandboxProject {
		t.Errorf("sandbox Project() = %q, want %q (ambient settings ignored)", got, SandboxProject)
	}
	f.Globals.Project = SandboxProject
	if got, err := f.Project(); got != SandboxProject || err != nil {
		t.Errorf("sandbox Project() with --project %s = %q, %v", SandboxProject, got, err)
	}
	// The sandbox has one project: another is a usage error naming it,
	// not the emulator's (faithful) 403 for a project nobody can see.
	f.Globals.Project = "my-proj"
	_, err := f.Project()
	var fe *FlagError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), SandboxProject) {
		t.Errorf("sandbox Project() with --project my-proj: %v, want a FlagError naming %s", err, SandboxProject)
	}
}
