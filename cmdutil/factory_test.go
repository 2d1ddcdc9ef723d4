package cmdutil

import (
	"context"
	"errors"
	"testing"

	"github.com/fedctl/fedctl/gcp"
)

// captureGCP replaces the gcp constructor for one test and records the
// Configs it is called with.
func captureGCP(t *testing.T) *[]gcp.Config {
	t.Helper()
	var got []gcp.Config
	orig := newGCPClient
	newGCPClient = func(_ context.Context, cfg gcp.Config) (*gcp.Client, error) {
		got = append(got, cfg)
		return &gcp.Client{}, nil
	}
	t.Cleanup(func() { newGCPClient = orig })
	return &got
}

func TestGCPConfigFromFlagsAndEnv(t *testing.T) {
	for _, tc := range []struct {
		name         string
		flag         string
		env          map[string]string
		wantEndpoint string
		wantToken    string
	}{
		{"production", "", map[string]string{"FEDCTL_ACCESS_TOKEN": "tok"}, "", ""},
		{"env endpoint gets a slash", "", map[string]string{"FEDCTL_API_ENDPOINT": "http://127.0.0.1:8086", "FEDCTL_ACCESS_TOKEN": "tok"},
			"http://127.0.0.1:8086/", "tok"},
		{"flag beats env", "http://localhost:9/root/", map[string]string{"FEDCTL_API_ENDPOINT": "http://127.0.0.1:8086/"},
			"http://localhost:9/root/", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := captureGCP(t)
			f := factoryWithEnv(tc.env)
			f.Globals.APIEndpoint = tc.flag
			f.Globals.ImpersonateServiceAccount = "admin@p.iam.gserviceaccount.com"
			if _, err := f.GCP(context.Background()); err != nil {
				t.Fatal(err)
			}
			cfg := (*calls)[0]
			if cfg.Endpoint != tc.wantEndpoint || cfg.AccessToken != tc.wantToken {
				t.Errorf("Endpoint, AccessToken = %q, %q; want %q, %q", cfg.Endpoint, cfg.AccessToken, tc.wantEndpoint, tc.wantToken)
			}
			if cfg.UserAgent != "fedctl/1.0.0" || cfg.ImpersonateServiceAccount != "admin@p.iam.gserviceaccount.com" {
				t.Errorf("UserAgent %q, ImpersonateServiceAccount %q", cfg.UserAgent, cfg.ImpersonateServiceAccount)
			}
			if cfg.Trace != nil {
				t.Error("Trace set without --verbose")
			}
		})
	}
}

func TestGCPIsBuiltOnceAndTracesWhenVerbose(t *testing.T) {
	calls := captureGCP(t)
	f := factoryWithEnv(nil)
	f.Globals.Verbose = true
	c1, _ := f.GCP(context.Background())
	c2, _ := f.GCP(context.Background())
	if c1 != c2 || len(*calls) != 1 {
		t.Errorf("client built %d times", len(*calls))
	}
	if (*calls)[0].Trace != f.IOStreams.ErrOut {
		t.Error("--verbose trace does not go to stderr")
	}
}

func TestGCPBadEndpointIsUsageError(t *testing.T) {
	captureGCP(t)
	for _, ep := range []string{"127.0.0.1:8086", "ftp://x/", "http://"} {
		f := factoryWithEnv(map[string]string{"FEDCTL_API_ENDPOINT": ep})
		_, err := f.GCP(context.Background())
		if ExitCode(err) != ExitUsage {
			t.Errorf("endpoint %q: err %v, want a usage error", ep, err)
		}
	}
}

func TestGCPSandboxStartsOnceAndStopsOnClose(t *testing.T) {
	calls := captureGCP(t)
	f := factoryWithEnv(map[string]string{"FEDCTL_API_ENDPOINT": "http://ignored/"})
	f.Globals.Sandbox = true
	starts, stops := 0, 0
	f.SandboxStarter = func(context.Context) (string, string, func() error, error) {
		starts++
		return "http://127.0.0.1:40000", "ya29.fedctl.op", func() error { stops++; return nil }, nil
	}
	for range 2 {
		if _, err := f.GCP(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if starts != 1 {
		t.Errorf("sandbox started %d times", starts)
	}
	cfg := (*calls)[0]
	if cfg.Endpoint != "http://127.0.0.1:40000/" || cfg.AccessToken != "ya29.fedctl.op" {
		t.Errorf("sandbox config Endpoint %q AccessToken %q", cfg.Endpoint, cfg.AccessToken)
	}
	if err := f.Close(); err != nil || stops != 1 {
		t.Errorf("Close() = %v, stops = %d", err, stops)
	}
	if err := f.Close(); err != nil || stops != 1 {
		t.Errorf("second Close() = %v, stops = %d; want no second stop", err, stops)
	}
}

func TestGCPSandboxErrors(t *testing.T) {
	captureGCP(t)
	f := factoryWithEnv(nil)
	f.Globals.Sandbox = true
	if _, err := f.GCP(context.Background()); err == nil {
		t.Error("--sandbox without a starter succeeded")
	}
	boom := errors.New("port in use")
	f.SandboxStarter = func(context.Context) (string, string, func() error, error) { return "", "", nil, boom }
	if _, err := f.GCP(context.Background()); !errors.Is(err, boom) {
		t.Errorf("starter failure = %v, want it wrapped", err)
	}
}

func TestGCPUsesRealConstructor(t *testing.T) {
	// The default constructor is gcp.New; with an endpoint it must not look
	// up credentials, so this works on any machine.
	f := factoryWithEnv(map[string]string{"FEDCTL_API_ENDPOINT": "http://127.0.0.1:1/"})
	c, err := f.GCP(context.Background())
	if err != nil || c == nil || c.LoggingBaseURL() == "" {
		t.Fatalf("GCP() = %v, %v; want a client with its services built", c, err)
	}
}

func TestProgressfHonoursQuiet(t *testing.T) {
	f := factoryWithEnv(nil)
	errOut := f.IOStreams.ErrOut.(interface{ String() string })
	f.Progressf("step %d\n", 1)
	f.Globals.Quiet = true
	f.Progressf("step %d\n", 2)
	if got := errOut.String(); got != "step 1\n" {
		t.Errorf("stderr = %q", got)
	}
}
