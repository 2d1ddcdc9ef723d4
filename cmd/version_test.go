package cmd

import (
	"encoding/json"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

func TestMakeBuildInfo(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Version: "v0.9.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "deadbeef"},
			{Key: "vcs.time", Value: "2025-01-02T03:04:05Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	for _, tc := range []struct {
		name                string
		ver, com, dat       string
		bi                  *debug.BuildInfo
		wantV, wantC, wantD string
	}{
		{"ldflags win", "1.2.3", "abc", "2026-01-01", vcs, "1.2.3", "abc", "2026-01-01"},
		{"toolchain fallback", "", "", "", vcs, "v0.9.0", "deadbeef-dirty", "2025-01-02T03:04:05Z"},
		{"devel build", "", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "dev", "", ""},
		{"no build info", "", "", "", nil, "dev", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := makeBuildInfo(tc.ver, tc.com, tc.dat, tc.bi)
			if got.Version != tc.wantV || got.Commit != tc.wantC || got.Date != tc.wantD {
				t.Errorf("got %+v, want version %q commit %q date %q", got, tc.wantV, tc.wantC, tc.wantD)
			}
			if got.GoVersion != runtime.Version() || got.Platform != runtime.GOOS+"/"+runtime.GOARCH {
				t.Errorf("go %q platform %q", got.GoVersion, got.Platform)
			}
		})
	}
}

var testInfo = BuildInfo{Version: "1.2.3", Commit: "abc1234", Date: "2026-01-01", GoVersion: "go1.26.8", Platform: "linux/amd64"}

func TestRunVersionText(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := runVersion(&versionOptions{IO: ios, Output: cmdutil.OutputText, Info: testInfo}); err != nil {
		t.Fatal(err)
	}
	want := "fedctl version 1.2.3\ncommit:  abc1234\nbuilt:   2026-01-01\ngo:      go1.26.8 linux/amd64\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestRunVersionJSON(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	if err := runVersion(&versionOptions{IO: ios, Output: cmdutil.OutputJSON, Info: testInfo}); err != nil {
		t.Fatal(err)
	}
	var got BuildInfo
	if err := json.Unmarshal(out.Bytes(), &got); err != nil || got != testInfo {
		t.Errorf("JSON %q decodes to %+v (%v)", out.String(), got, err)
	}
}

func TestVersionCommandJSONThroughCLI(t *testing.T) {
	r := runCLI(t, "version", "--output", "json")
	var got map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("exit %d, stdout %q: %v", r.code, r.stdout, err)
	}
	for _, k := range []string{"version", "go_version", "platform"} {
		if _, ok := got[k]; !ok {
			t.Errorf("JSON lacks %q: %v", k, got)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	text := runCLI(t, "version")
	if !strings.HasPrefix(text.stdout, "fedctl version ") {
		t.Errorf("text version: %q", text.stdout)
	}
}
