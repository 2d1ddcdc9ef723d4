package release

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/template"

	"gopkg.in/yaml.v3"
)

// goreleaserConfig is the part of goreleaser's v2 schema this test checks.
type goreleaserConfig struct {
	Version int `yaml:"version"`
	Before  struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		ID      string   `yaml:"id"`
		Main    string   `yaml:"main"`
		Binary  string   `yaml:"binary"`
		Env     []string `yaml:"env"`
		Goos    []string `yaml:"goos"`
		Goarch  []string `yaml:"goarch"`
		Ignore  []any    `yaml:"ignore"`
		Flags   []string `yaml:"flags"`
		Tags    []string `yaml:"tags"`
		Ldflags []string `yaml:"ldflags"`
	} `yaml:"builds"`
	Archives []struct {
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		Files []archiveFile `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
	} `yaml:"checksum"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Sort string `yaml:"sort"`
	} `yaml:"changelog"`
}

// archiveFile is an archives[].files entry: a bare glob or {src, dst}.
type archiveFile struct{ Src, Dst string }

func (f *archiveFile) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		return n.Decode(&f.Src)
	}
	var v struct{ Src, Dst string }
	err := n.Decode(&v)
	f.Src, f.Dst = v.Src, v.Dst
	return err
}

// repoRoot is the module root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

func loadConfig(t *testing.T) *goreleaserConfig {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goreleaserConfig
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&c); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	return &c
}

// The six targets of the release matrix, as GOOS/GOARCH.
var wantTargets = []string{
	"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64", "windows/amd64", "windows/arm64",
}

func TestBuildIsStaticStrippedAndCoversSixTargets(t *testing.T) {
	c := loadConfig(t)
	if c.Version != 2 {
		t.Errorf("version: %d, want 2 (goreleaser v2 schema)", c.Version)
	}
	if len(c.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(c.Builds))
	}
	b := c.Builds[0]
	if b.Main != "." || b.Binary != "fedctl" {
		t.Errorf("build main %q binary %q, want . and fedctl", b.Main, b.Binary)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Errorf("build env %v lacks CGO_ENABLED=0 (static binaries)", b.Env)
	}
	if !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("build flags %v lack -trimpath", b.Flags)
	}
	if len(b.Ignore) != 0 {
		t.Errorf("build ignores targets %v; all six are released", b.Ignore)
	}
	var targets []string
	for _, goos := range b.Goos {
		for _, goarch := range b.Goarch {
			targets = append(targets, goos+"/"+goarch)
		}
	}
	slices.Sort(targets)
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("targets %v, want %v", targets, wantTargets)
	}
	fields := strings.Fields(strings.Join(b.Ldflags, " "))
	if !slices.Contains(fields, "-s") || !slices.Contains(fields, "-w") {
		t.Errorf("ldflags %v lack -s -w (SPEC §6 budget is for a stripped binary)", b.Ldflags)
	}
}

func TestArchivesShipDocsManPagesAndCompletions(t *testing.T) {
	c := loadConfig(t)
	if len(c.Archives) != 1 {
		t.Fatalf("%d archives, want 1", len(c.Archives))
	}
	a := c.Archives[0]
	if !slices.Equal(a.Formats, []string{"tar.gz"}) {
		t.Errorf("archive formats %v, want [tar.gz]", a.Formats)
	}
	if len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" ||
		!slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("format overrides %+v, want zip on windows", a.FormatOverrides)
	}
	dst := map[string]string{} // dst (or the file itself) -> src glob
	for _, f := range a.Files {
		key := f.Dst
		if key == "" {
			key = f.Src
		}
		dst[key] = f.Src
	}
	for _, f := range []string{"README.md", "LICENSE"} {
		if _, ok := dst[f]; !ok {
			t.Errorf("archives do not ship %s", f)
		}
	}
	// The man pages and completions the archives pack must be the ones
	// the before hook generates.
	hook := strings.Join(c.Before.Hooks, "\n")
	m := regexp.MustCompile(`go run \./internal/docgen -out (\S+)`).FindStringSubmatch(hook)
	if m == nil {
		t.Fatalf("no before hook runs ./internal/docgen -out DIR: %q", c.Before.Hooks)
	}
	for _, sub := range []string{"manpages", "completions"} {
		want := m[1] + "/" + sub + "/*"
		if got := dst[sub]; got != want {
			t.Errorf("archive %s/ comes from %q, want %q (docgen's output)", sub, got, want)
		}
	}
	if c.Checksum.NameTemplate == "" {
		t.Error("no checksum file")
	}
	if c.Snapshot.VersionTemplate == "" {
		t.Error("no snapshot version_template")
	}
	if c.Changelog.Sort == "" {
		t.Error("changelog is not sorted")
	}
}

// TestReleaseCheckScriptMatchesConfig keeps scripts/release-check.sh, the
// stand-in for goreleaser in CI, building what goreleaser would.
func TestReleaseCheckScriptMatchesConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "scripts", "release-check.sh"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^TARGETS="([^"]*)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal(`release-check.sh has no TARGETS="..." line`)
	}
	targets := strings.Fields(string(m[1]))
	slices.Sort(targets)
	if !slices.Equal(targets, wantTargets) {
		t.Errorf("release-check.sh TARGETS %v, want %v", targets, wantTargets)
	}
	var tags string
	if m := regexp.MustCompile(`(?m)^TAGS=(\S*)`).FindSubmatch(b); m != nil {
		tags = string(m[1])
	}
	if want := strings.Join(loadConfig(t).Builds[0].Tags, ","); tags != want {
		t.Errorf("release-check.sh has TAGS=%s, want TAGS=%s (the build tags of .goreleaser.yaml)", tags, want)
	}
	for _, v := range xFlags(t, loadConfig(t).Builds[0].Ldflags) {
		if !bytes.Contains(b, []byte("$pkg."+v.name+"=")) {
			t.Errorf("release-check.sh does not set %s", v.symbol)
		}
	}
}

type xFlag struct{ symbol, pkg, name, value string }

// xFlags returns the -X symbol=value pairs of ldflags.
func xFlags(t *testing.T, ldflags []string) []xFlag {
	t.Helper()
	var out []xFlag
	f := strings.Fields(strings.Join(ldflags, " "))
	for i := 0; i < len(f); i++ {
		if f[i] != "-X" || i+1 == len(f) {
			continue
		}
		i++
		sym, val, ok := strings.Cut(f[i], "=")
		dot := strings.LastIndexByte(sym, '.')
		if !ok || dot < 0 {
			t.Fatalf("malformed -X %q", f[i])
		}
		out = append(out, xFlag{symbol: sym, pkg: sym[:dot], name: sym[dot+1:], value: val})
	}
	return out
}

// releaseBuild is fedctl built for the host as the release builds it.
type releaseBuild struct {
	bin     string
	release map[string]string // the template values rendered into the ldflags
	deps    string            // the linker's -dumpdep output: "caller -> callee" lines
}

var (
	buildOnce sync.Once
	built     *releaseBuild
	buildErr  error
)

// buildRelease builds fedctl once per test binary with the configuration's
// tags and ldflags, rendered as goreleaser would for a release, plus
// -dumpdep so the linker's reachability graph can be inspected.
func buildRelease(t *testing.T) *releaseBuild {
	t.Helper()
	if testing.Short() {
		t.Skip("builds fedctl")
	}
	c := loadConfig(t)
	root := repoRoot(t)
	buildOnce.Do(func() { built, buildErr = doBuild(c, root) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func doBuild(c *goreleaserConfig, root string) (*releaseBuild, error) {
	b := &releaseBuild{release: map[string]string{
		"Version":    "9.8.7",
		"Commit":     "0123456789abcdef0123456789abcdef01234567",
		"CommitDate": "2025-01-02T03:04:05Z",
	}}
	var rendered []string
	for _, l := range c.Builds[0].Ldflags {
		tmpl, err := template.New("ldflags").Option("missingkey=error").Parse(l)
		if err != nil {
			return nil, fmt.Errorf("ldflags %q: %w", l, err)
		}
		var s strings.Builder
		if err := tmpl.Execute(&s, b.release); err != nil {
			return nil, fmt.Errorf("ldflags %q use a field this test does not know: %w", l, err)
		}
		rendered = append(rendered, s.String())
	}
	dir, err := os.MkdirTemp("", "fedctl-release-test")
	if err != nil {
		return nil, err
	}
	b.bin = filepath.Join(dir, "fedctl"+exeSuffix())
	// Not -trimpath: it changes every package's build ID, so the build
	// would recompile the whole dependency tree instead of reusing the
	// test run's; it changes file paths in the binary, nothing this file
	// checks (TestBuildIsStaticStrippedAndCoversSixTargets checks that the
	// release itself uses it). CI builds with GOFLAGS=-tags=grpcnotrace so
	// that the tag costs nothing extra either.
	args := []string{"build", "-tags", strings.Join(c.Builds[0].Tags, ","),
		"-ldflags", strings.Join(rendered, " ") + " -dumpdep", "-o", b.bin, "."}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go %s: %v\n%.4000s", strings.Join(args, " "), err, stderr.String())
	}
	b.deps = stderr.String()
	return b, nil
}

func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != nil {
		os.RemoveAll(filepath.Dir(built.bin))
	}
	os.Exit(code)
}

// TestLdflagsReachFedctlVersion checks that the configuration's -X flags
// reach `fedctl version --output json`. It fails when cmd/version.go's
// variables move or are renamed.
func TestLdflagsReachFedctlVersion(t *testing.T) {
	c := loadConfig(t)
	byName := map[string]bool{}
	for _, x := range xFlags(t, c.Builds[0].Ldflags) {
		if x.pkg != "github.com/fedctl/fedctl/cmd" {
			t.Errorf("-X %s: not in package cmd", x.symbol)
		}
		byName[x.name] = true
	}
	for _, n := range []string{"version", "commit", "date"} {
		if !byName[n] {
			t.Errorf("ldflags do not set cmd.%s", n)
		}
	}

	b := buildRelease(t)
	out, err := exec.Command(b.bin, "version", "--output", "json").Output()
	if err != nil {
		t.Fatalf("fedctl version --output json: %v", err)
	}
	var got struct{ Version, Commit, Date string }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("version JSON %q: %v", out, err)
	}
	want := struct{ Version, Commit, Date string }{b.release["Version"], b.release["Commit"], b.release["CommitDate"]}
	if got != want {
		t.Errorf("fedctl version reports %+v, want %+v", got, want)
	}
}

// TestLinkerCanDropUnusedMethods guards SPEC §6's size budget. A reachable
// call of reflect's Method/MethodByName (text/template and html/template
// make one) stops the linker from dropping unused exported methods in the
// whole binary; with the Google API clients linked in, that costs ~10 MB.
// The linker marks such a function <ReflectMethod> in -dumpdep; the test
// prints the chain from the program's entry to it.
func TestLinkerCanDropUnusedMethods(t *testing.T) {
	b := buildRelease(t)
	parent := map[string]string{}
	var marked []string
	for _, line := range strings.Split(b.deps, "\n") {
		from, to, ok := strings.Cut(line, " -> ")
		if !ok {
			continue
		}
		from, to = stripMarks(from), strings.TrimSpace(to)
		if strings.HasSuffix(to, "<ReflectMethod>") {
			to = stripMarks(to)
			marked = append(marked, to)
		}
		if _, seen := parent[to]; !seen {
			parent[to] = from
		}
	}
	if len(marked) == 0 {
		return
	}
	fn := marked[0]
	chain := []string{fn}
	for n := fn; parent[n] != "" && parent[n] != "_" && len(chain) < 50; n = parent[n] {
		chain = append([]string{parent[n]}, chain...)
	}
	t.Errorf("%s calls reflect's Method/MethodByName, so the linker keeps every exported method "+
		"of every reachable type (~10 MB here; SPEC §6 caps the binary at 32 MB). Reached by:\n  %s",
		fn, strings.Join(chain, "\n  -> "))
}

// stripMarks drops the linker's annotations (<ReflectMethod>, <UsedInIface>).
func stripMarks(sym string) string {
	if i := strings.Index(sym, " <"); i >= 0 {
		sym = sym[:i]
	}
	return strings.TrimSpace(sym)
}
