package cmdutil

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// gcloudProject returns core/project from the active gcloud configuration,
// or "" when there is none. It reads the files gcloud itself writes, so
// fedctl needs no gcloud binary:
//
//	$CLOUDSDK_CONFIG (default ~/.config/gcloud, %APPDATA%\gcloud on Windows)
//	  active_config                 name of the active configuration
//	  configurations/config_NAME    INI file; [core] project = ID
//
// CLOUDSDK_ACTIVE_CONFIG_NAME overrides active_config, as it does for gcloud.
// Missing or unreadable files just mean "no project".
func gcloudProject(getenv func(string) string) string {
	dir := gcloudConfigDir(getenv)
	if dir == "" {
		return ""
	}
	name := strings.TrimSpace(getenv("CLOUDSDK_ACTIVE_CONFIG_NAME"))
	if name == "" {
		if b, err := os.ReadFile(filepath.Join(dir, "active_config")); err == nil {
			name = strings.TrimSpace(string(b))
		}
	}
	if name == "" {
		name = "default"
	}
	f, err := os.Open(filepath.Join(dir, "configurations", "config_"+name))
	if err != nil {
		return ""
	}
	defer f.Close()
	return iniValue(bufio.NewScanner(f), "core", "project")
}

func gcloudConfigDir(getenv func(string) string) string {
	if d := getenv("CLOUDSDK_CONFIG"); d != "" {
		return d
	}
	if runtime.GOOS == "windows" {
		if d := getenv("APPDATA"); d != "" {
			return filepath.Join(d, "gcloud")
		}
		return ""
	}
	if h := getenv("HOME"); h != "" {
		return filepath.Join(h, ".config", "gcloud")
	}
	return ""
}

// iniValue finds key in [section] of a Python-configparser-style file (what
// gcloud writes): "key = value" or "key: value", '#' and ';' comment lines,
// keys case-insensitive.
func iniValue(sc *bufio.Scanner, section, key string) string {
	inSection := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' && line[len(line)-1] == ']' {
			inSection = strings.TrimSpace(line[1:len(line)-1]) == section
			continue
		}
		if !inSection {
			continue
		}
		i := strings.IndexAny(line, "=:")
		if i < 0 {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(line[:i]), key) {
			return strings.TrimSpace(line[i+1:])
		}
	}
	return ""
}
