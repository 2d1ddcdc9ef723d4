package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	fedctlBin string
	buildErr  error
	binDir    string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// needTools skips the test unless gcloud (and bq, when asked) are installed.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, tool := range append([]string{"gcloud"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: skipping the gcloud/bq conformance suite (install google-cloud-cli to run it)", tool)
		}
	}
}

// fedctl builds this checkout's fedctl once per test binary.
func fedctl(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "fedctl-conformance-")
		if buildErr != nil {
			return
		}
		fedctlBin = filepath.Join(binDir, "fedctl")
		gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(gobin); err != nil {
			gobin = "go"
		}
		cmd := exec.Command(gobin, "build", "-o", fedctlBin, "github.com/fedctl/fedctl")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return fedctlBin
}

// sandbox is a `fedctl sandbox serve` this test started, with a scratch
// directory that is the working directory, HOME and CLOUDSDK_CONFIG parent
// of every command run against it.
type sandbox struct {
	t        *testing.T
	dir      string
	state    string
	endpoint string
	token    string
	env      []string // after the docs' gcloud recipe
}

func startSandbox(t *testing.T) *sandbox {
	t.Helper()
	sb := startServe(t)
	// docs/sandbox.md's gcloud recipe, as written, sets up this shell.
	out := sb.run(recipe(t, "gcloud", "sh")+"\nenv -0 >\"$PWD/.recipe-env\"", nil)
	if strings.TrimSpace(out) != "123456789012" {
		t.Fatalf("the gcloud recipe's projects describe printed %q, want the project number", out)
	}
	b, err := os.ReadFile(filepath.Join(sb.dir, ".recipe-env"))
	if err != nil {
		t.Fatal(err)
	}
	sb.env = nil
	for _, kv := range strings.Split(string(b), "\x00") {
		if kv != "" {
			sb.env = append(sb.env, kv)
		}
	}
	return sb
}

// startServe starts `fedctl sandbox serve` on a free port of 127.0.0.1.
func startServe(t *testing.T) *sandbox {
	t.Helper()
	bin := fedctl(t)
	dir := t.TempDir()
	sb := &sandbox{t: t, dir: dir, state: filepath.Join(dir, "sandbox.json")}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--output", "json", "sandbox", "serve", "--addr", "127.0.0.1:0", "--state", sb.state)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	type ready struct {
		Endpoint    string `json:"endpoint"`
		AccessToken string `json:"access_token"`
	}
	got := make(chan ready, 1)
	go func() {
		var r ready
		_ = json.NewDecoder(bufio.NewReader(stdout)).Decode(&r)
		got <- r
	}()
	select {
	case r := <-got:
		if r.Endpoint == "" || r.AccessToken == "" {
			t.Fatalf("sandbox serve printed no endpoint: %s", stderr.String())
		}
		sb.endpoint, sb.token = r.Endpoint, r.AccessToken
	case <-time.After(30 * time.Second):
		t.Fatalf("sandbox serve did not start: %s", stderr.String())
	}
	if !strings.HasPrefix(sb.endpoint, "http://127.0.0.1:") {
		t.Fatalf("sandbox endpoint %s is not on 127.0.0.1", sb.endpoint)
	}
	sb.env = sb.baseEnv()
	return sb
}

// baseEnv is a clean environment: no inherited gcloud or Google settings,
// a scratch gcloud configuration, and the sandbox's export lines.
func (sb *sandbox) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + sb.dir,
		"LANG=C.UTF-8",
		"CLOUDSDK_CONFIG=" + filepath.Join(sb.dir, "gcloud"),
		"CLOUDSDK_CORE_DISABLE_PROMPTS=1",
		"CLOUDSDK_CORE_DISABLE_USAGE_REPORTING=true",
		"CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK=true",
		"CLOUDSDK_CORE_DISABLE_FILE_LOGGING=true",
		"FEDCTL_API_ENDPOINT=" + sb.endpoint,
		"FEDCTL_ACCESS_TOKEN=" + sb.token,
		"CLOUDSDK_CORE_PROJECT=demo-project", // sandbox serve's third export line
		"FEDCTL_BIN=" + fedctlBin,
		"NO_COLOR=1",
		// Nothing may leave the machine: a request to any host but the
		// sandbox goes to a dead proxy and fails loudly.
		"HTTPS_PROXY=http://127.0.0.1:9", "https_proxy=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9", "http_proxy=http://127.0.0.1:9",
		"NO_PROXY=127.0.0.1,localhost", "no_proxy=127.0.0.1,localhost",
	}
}

// recipe is the LANG block after "<!-- recipe: NAME -->" in docs/sandbox.md.
func recipe(t *testing.T, name, lang string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "docs", "sandbox.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- recipe: "+name+" -->\n```"+lang+"\n")
	if !ok {
		t.Fatalf("docs/sandbox.md has no %s recipe", name)
	}
	block, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatalf("docs/sandbox.md: the %s recipe's block is not closed", name)
	}
	return block
}

// run runs a bash script in the sandbox's directory with its environment
// (plus extra), failing the test on a non-zero exit; it returns stdout.
func (sb *sandbox) run(script string, extra map[string]string) string {
	sb.t.Helper()
	out, errOut, err := sb.exec(script, extra)
	if err != nil {
		sb.t.Fatalf("script failed: %v\n--- script\n%s\n--- stdout\n%s\n--- stderr\n%s", err, script, out, tail(errOut, 4000))
	}
	return out
}

func (sb *sandbox) exec(script string, extra map[string]string) (string, string, error) {
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = sb.dir
	cmd.Env = append([]string(nil), sb.env...)
	for k, v := range extra {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// fedctlCmd runs this checkout's fedctl against the sandbox and returns its
// stdout, stderr and exit code.
func (sb *sandbox) fedctl(args ...string) (string, string, int) {
	sb.t.Helper()
	cmd := exec.Command(fedctlBin, args...)
	cmd.Dir = sb.dir
	cmd.Env = sb.baseEnv()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		sb.t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}
