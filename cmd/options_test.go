package cmd

import (
	"context"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/verify"
)

// Commands are Options + run (cli/cli's style): flag parsing is tested
// without running (a runF records what the flags built), and each run is
// tested without cobra, with the client injected.

// injected is a factory over test streams whose GCP client is the
// emulator's, injected (no flags, no credentials).
func injected(t *testing.T, srv *emulator.TestServer) (*cmdutil.Factory, *iostreams.IOStreams) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.NewFactory(ios, "test")
	f.Getenv = func(string) string { return "" }
	f.Globals.Project = "demo-project"
	c, err := gcp.New(context.Background(), gcp.Config{Endpoint: srv.Endpoint, AccessToken: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	f.SetGCP(c)
	return f, ios
}

func parse(t *testing.T, cmd *cobra.Command, args ...string) {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
}

func TestOptionsFromFlags(t *testing.T) {
	srv := newFedServer(t)
	f, _ := injected(t, srv)

	var so *setupOptions
	var scfg *config.Config
	parse(t, newSetupCmdRun(f, func(o *setupOptions, c *config.Config) error { so, scfg = o, c; return nil }),
		"--yes", "--users", "alice@acme.com,bob@acme.com", "--roles", "roles/bigquery.jobUser", "--concurrency", "4")
	if so == nil || !so.yes || strings.Join(scfg.Users(), ",") != "alice@acme.com,bob@acme.com" ||
		strings.Join(scfg.Roles(), ",") != "roles/bigquery.jobUser" || scfg.Concurrency != 4 || so.inv.Project != "demo-project" {
		t.Errorf("setup options = %+v, config users %v roles %v", so, scfg.Users(), scfg.Roles())
	}

	var po *planOptions
	parse(t, newPlanCmdRun(f, func(o *planOptions) error { po = o; return nil }), "--users", "alice@acme.com", "--detailed-exitcode")
	if po == nil || !po.detailedExitCode || po.cfg.Project != "demo-project" {
		t.Errorf("plan options = %+v", po)
	}

	var to *teardownOptions
	parse(t, newTeardownCmdRun(f, func(o *teardownOptions, _ *config.Config) error { to = o; return nil }), "--user", "bob@acme.com", "--delete", "--dry-run")
	if to == nil || !to.delete || !to.dryRun || strings.Join(to.users, ",") != "bob@acme.com" {
		t.Errorf("teardown options = %+v", to)
	}

	var vo *verifyOptions
	parse(t, newVerifyCmdRun(f, func(o *verifyOptions) error { vo = o; return nil }), "--users", "alice@acme.com,bob@acme.com", "--all", "--probe-query", "SELECT 2", "--wait", "30s")
	if vo == nil || strings.Join(vo.run.Users, ",") != "alice@acme.com,bob@acme.com" || vo.run.ProbeQuery != "SELECT 2" || vo.run.Wait.String() != "30s" {
		t.Errorf("verify options = %+v", vo)
	}
	if n := srv.Stats().Total; n != 0 {
		t.Errorf("parsing flags made %d API calls", n)
	}
}

// setup, plan, verify and teardown run from their options alone.
func TestRunsWithoutCobra(t *testing.T) {
	srv := newFedServer(t)
	f, ios := injected(t, srv)
	out := ios.Out.(interface{ String() string })
	ctx := context.Background()
	cfg := &config.Config{Project: "demo-project", Verifier: "user:operator@example.com"}
	cfg.SetUsers([]string{"alice@acme.com"})
	cfg.ApplyDefaults()

	if err := runPlanCmd(ctx, f, &planOptions{cfg: cfg, detailedExitCode: true}); cmdutil.ExitCode(err) != cmdutil.ExitPending {
		t.Fatalf("plan before setup: %v, want pending changes", err)
	}
	if err := runSetup(ctx, f, cfg, &setupOptions{yes: true}); err != nil {
		t.Fatalf("setup: %v\n%s", err, out.String())
	}
	if err := runPlanCmd(ctx, f, &planOptions{cfg: cfg, detailedExitCode: true}); err != nil {
		t.Fatalf("plan after setup: %v", err)
	}
	vo, err := verify.OptionsFrom(cfg, verify.From{})
	if err != nil {
		t.Fatal(err)
	}
	if err := runVerifyChecks(ctx, f, &verifyOptions{cfg: cfg, run: vo}); err != nil {
		t.Fatalf("verify: %v\n%s", err, out.String())
	}
	if err := runTeardown(ctx, f, cfg, &teardownOptions{yes: true}); err != nil {
		t.Fatalf("teardown: %v", err)
	}
	if err := runPlanCmd(ctx, f, &planOptions{cfg: cfg, detailedExitCode: true}); cmdutil.ExitCode(err) != cmdutil.ExitPending {
		t.Fatalf("plan after teardown: %v, want pending changes", err)
	}
}
