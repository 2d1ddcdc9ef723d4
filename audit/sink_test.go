package audit

import (
	"strings"
	"testing"
	"time"

	logging "google.golang.org/api/logging/v2"

	"github.com/fedctl/fedctl/emulator"
)

func TestSinkFilter(t *testing.T) {
	f := SinkFilter(testProject, impersonationFederation(t))
	for _, want := range []string{
		`logName="projects/demo-project/logs/cloudaudit.googleapis.com%2Fdata_access"`,
		// The mints: caller = admin, and no delegation-info requirement.
		`(protoPayload.serviceName="iamcredentials.googleapis.com" AND protoPayload.methodName:"GenerateAccessToken" AND (protoPayload.authenticationInfo.principalEmail="` + admin + `" OR protoPayload.metadata.identityDelegationChain:"serviceAccounts/` + admin + `"))`,
		`protoPayload.authenticationInfo.principalEmail=~"^fedctl-[a-z0-9-]+@demo-project\\.iam\\.gserviceaccount\\.com$"`,
		`protoPayload.methodName="jobservice.jobcompleted"`,
		`protoPayload.methodName="google.cloud.bigquery.v2.JobService.InsertJob"`,
	} {
		if !strings.Contains(f, want) {
			t.Errorf("filter lacks %s\n%s", want, f)
		}
	}
	if strings.Contains(f, "serviceAccountDelegationInfo:*") {
		t.Errorf("filter requires delegation info, dropping every mint: %s", f)
	}
}

// TestSinkFilterKeepsEvidence runs the sink filter through the emulator's
// Logging filter: mints and federated jobs pass, unrelated entries do not.
func TestSinkFilterKeepsEvidence(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	scenario(e)
	e.seed(
		newStyleQuery(entryOpts{insertID: "stranger", time: base.Add(4 * time.Hour), principal: "eve@example.com"}, "job_e", "SELECT 1", true, nil),
		// Keyless verification: the operator mints through the admin.
		mintEntry(entryOpts{insertID: "keyless", time: base.Add(5 * time.Hour), principal: "operator@example.com"}, alice, admin),
		// A mint that has nothing to do with the admin.
		mintEntry(entryOpts{insertID: "unrelated", time: base.Add(6 * time.Hour), principal: "ci@example.com"}, sa("ci-runner")),
	)
	var got []string
	err := e.c.ListLogEntries(e.ctx, &logging.ListLogEntriesRequest{ResourceNames: []string{"projects/" + testProject},
		Filter: SinkFilter(testProject, impersonationFederation(t))}, func(r *logging.ListLogEntriesResponse) error {
		for _, le := range r.Entries {
			got = append(got, le.InsertId)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := "ins000002,ins000003,ins000004,ins000006,ins000007,ins000008,ins000009,keyless"; strings.Join(got, ",") != want {
		t.Errorf("sink filter kept %v, want %s", got, want)
	}
}
