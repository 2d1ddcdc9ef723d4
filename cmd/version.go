package cmd

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/iostreams"
)

// Set at release time:
//
//	go build -ldflags "-X github.com/fedctl/fedctl/cmd.version=1.2.3
//	  -X github.com/fedctl/fedctl/cmd.commit=abc1234
//	  -X github.com/fedctl/fedctl/cmd.date=2025-01-02T03:04:05Z"
//
// Left empty, they fall back to what the Go toolchain recorded in the binary.
var (
	version string
	commit  string
	date    string
)

// BuildInfo is what `fedctl version` reports.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit,omitempty"`
	Date      string `json:"date,omitempty"`
	GoVersion string `json:"go_version"`
	Platform  string `json:"platform"`
}

// readBuildInfo is debug.ReadBuildInfo, replaceable in tests.
var readBuildInfo = debug.ReadBuildInfo

func currentBuildInfo() BuildInfo {
	bi, _ := readBuildInfo()
	return makeBuildInfo(version, commit, date, bi)
}

// makeBuildInfo prefers the -ldflags values and fills the gaps from the
// toolchain's record: the module version (`go install ...@v1.2.3`) and the
// VCS revision and time (`go build` in a checkout).
func makeBuildInfo(ver, com, dat string, bi *debug.BuildInfo) BuildInfo {
	info := BuildInfo{
		Version:   ver,
		Commit:    com,
		Date:      dat,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if bi != nil {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		var dirty bool
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if com == "" && dirty && info.Commit != "" {
			info.Commit += "-dirty"
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	return info
}

type versionOptions struct {
	IO     *iostreams.IOStreams
	Output cmdutil.OutputFormat
	Info   BuildInfo
}

func newVersionCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print fedctl's version",
		Args:  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVersion(&versionOptions{
				IO:     f.IOStreams,
				Output: f.Output(),
				Info:   currentBuildInfo(),
			})
		},
	}
}

func runVersion(opts *versionOptions) error {
	if opts.Output.IsJSON() {
		return cmdutil.PrintJSON(opts.IO.Out, opts.Info)
	}
	i := opts.Info
	out := opts.IO.Out
	fmt.Fprintf(out, "fedctl version %s\n", i.Version)
	if i.Commit != "" {
		fmt.Fprintf(out, "commit:  %s\n", i.Commit)
	}
	if i.Date != "" {
		fmt.Fprintf(out, "built:   %s\n", i.Date)
	}
	fmt.Fprintf(out, "go:      %s %s\n", i.GoVersion, i.Platform)
	return nil
}
