package cmd

import (
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/config"
)

func TestParseSinkFlag(t *testing.T) {
	for in, want := range map[string]config.Sink{
		"":                  {},
		"trail":             {Name: "trail", Dataset: config.DefaultSinkDataset, Location: config.DefaultSinkLocation},
		"trail:evidence":    {Name: "trail", Dataset: "evidence", Location: config.DefaultSinkLocation},
		"trail:evidence:EU": {Name: "trail", Dataset: "evidence", Location: "EU"},
		"::EU":              {Name: config.DefaultSinkName, Dataset: config.DefaultSinkDataset, Location: "EU"},
	} {
		got, err := parseSinkFlag(in)
		if err != nil || got != want {
			t.Errorf("parseSinkFlag(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	if _, err := parseSinkFlag("a:b:c:d"); cmdutil.ExitCode(err) != cmdutil.ExitUsage {
		t.Errorf("four parts: %v", err)
	}
}

// setup --sink makes the sink as part of the plan; teardown --sink deletes
// it and says the dataset stays.
func TestSetupSinkFlag(t *testing.T) {
	srv := newFedServer(t)
	args := []string{"--users", "alice@acme.com", "--sink", "fedctl-federation-audit:audit_logs:EU"}
	r := runFed(t, srv, append([]string{"setup", "--yes"}, args...)...)
	if r.code != 0 {
		t.Fatalf("setup: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{`+ logging_sink["fedctl-federation-audit"]`, `+ bigquery_dataset["audit_logs"]`, "(location EU)",
		"Audit log sink", "FROM `demo-project.audit_logs.cloudaudit_googleapis_com_data_access`"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("setup stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runFed(t, srv, "teardown", "--yes", "--sink", "fedctl-federation-audit:audit_logs:EU")
	if r.code != 0 || !strings.Contains(r.stdout, `- logging_sink["fedctl-federation-audit"]`) || !strings.Contains(r.stdout, "audit_logs is KEPT") {
		t.Errorf("teardown: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	r = runFed(t, srv, "setup", "--yes", "--users", "alice@acme.com", "--sink", "a:b:c:d")
	if r.code != cmdutil.ExitUsage || !strings.Contains(r.stderr, "NAME[:DATASET[:LOCATION]]") {
		t.Errorf("bad --sink: exit %d\n%s", r.code, r.stderr)
	}
}
