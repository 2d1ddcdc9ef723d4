package emulator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2/google"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	"google.golang.org/api/option"

	"github.com/fedctl/fedctl/wif"
)

// TestWIFEndToEnd drives Google's own external_account implementation
// (golang.org/x/oauth2/google) with a credential configuration written by
// wif.CredConfig: demo-issuer JWT → STS → generateAccessToken on the target
// SA (workloadIdentityUser for the principal set) → SELECT 1 through
// cloud.google.com/go/bigquery, and checks the audit trail names the target
// SA with the federated principal as its delegate. The clock is real: the
// auth library checks token expiry against it.
func TestWIFEndToEnd(t *testing.T) {
	clk := NewFakeClock(time.Now())
	e := stNew(t, Options{Now: clk.Now})
	ctx := context.Background()
	runner := e.createSA("bq-runner")
	members := func(v string) []string {
		return []string{"principalSet://iam.googleapis.com/" + stPoolName + "/attribute.org/" + v}
	}
	if _, err := e.iam.Projects.ServiceAccounts.SetIamPolicy("projects/"+cpProject+"/serviceAccounts/"+runner.Email,
		&iam.SetIamPolicyRequest{Policy: &iam.Policy{Bindings: []*iam.Binding{{Role: "roles/iam.workloadIdentityUser", Members: members("acme")}}}}).Do(); err != nil {
		t.Fatal(err)
	}
	pol, err := e.crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
	if err != nil {
		t.Fatal(err)
	}
	pol.Bindings = append(pol.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{"serviceAccount:" + runner.Email}})
	pol.AuditConfigs = append(pol.AuditConfigs, &crmv1.AuditConfig{Service: "iam.googleapis.com",
		AuditLogConfigs: []*crmv1.AuditLogConfig{{LogType: "ADMIN_READ"}}})
	if _, err := e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pol,
		UpdateMask: "bindings,etag,auditConfigs"}).Do(); err != nil {
		t.Fatal(err)
	}

	// credentials writes the subject token for org and a credential config
	// pointing at the emulator, and loads it as Google's libraries do.
	credentials := func(org string) *google.Credentials {
		dir := t.TempDir()
		tokenFile := filepath.Join(dir, "token.jwt")
		if err := os.WriteFile(tokenFile, []byte(e.subjectToken(map[string]any{"org": org})), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := wif.CredConfig(wif.CredConfigOptions{Audience: stAudience, ServiceAccount: runner.Email, File: tokenFile,
			RewriteURL: func(u string) string {
				u = strings.Replace(u, "https://sts.googleapis.com/", e.ts.Endpoint+"sts/", 1)
				return strings.Replace(u, "https://iamcredentials.googleapis.com/", e.ts.Endpoint+"iamcredentials/", 1)
			}})
		if err != nil {
			t.Fatal(err)
		}
		creds, err := google.CredentialsFromJSON(ctx, cfg, cloudPlatformScope)
		if err != nil {
			t.Fatalf("CredentialsFromJSON: %v", err)
		}
		return creds
	}

	creds := credentials("acme")
	bq, err := bigquery.NewClient(ctx, cpProject, option.WithEndpoint(e.ts.Endpoint+"bigquery/bigquery/v2/"),
		option.WithTokenSource(creds.TokenSource))
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	it, err := bq.Query("SELECT 1").Read(ctx)
	if err != nil {
		t.Fatalf("SELECT 1: %v", err)
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil || len(row) != 1 || row[0] != int64(1) {
		t.Fatalf("row = %v, %v", row, err)
	}

	principal := "principal://iam.googleapis.com/" + stPoolName + "/subject/workflow-1"
	dp := &dpEnv{TestServer: e.ts, clock: clk}
	jobs := dp.entries(t, "jobservice.jobcompleted")
	if len(jobs) != 1 {
		t.Fatalf("%d jobcompleted entries, want 1", len(jobs))
	}
	auth := dpDig(jobs[0], "protoPayload", "authenticationInfo")
	if dpDig(auth, "principalEmail") != runner.Email || dpDig(auth, "serviceAccountDelegationInfo", 0, "principalSubject") != principal {
		t.Errorf("BigQuery authenticationInfo = %v, want %s via %s", auth, runner.Email, principal)
	}
	mints := dp.entries(t, "GenerateAccessToken")
	if len(mints) != 1 || dpDig(mints[0], "protoPayload", "authenticationInfo", "principalSubject") != principal {
		t.Errorf("GenerateAccessToken entries = %v", mints)
	}

	// Admitted by the condition but outside the principal set: STS
	// succeeds, impersonation is denied.
	_, err = credentials("beta").TokenSource.Token()
	if err == nil || !strings.Contains(err.Error(), "iam.serviceAccounts.getAccessToken") {
		t.Errorf("beta (not in the principal set): %v, want the impersonation 403", err)
	}
	// Rejected by the condition: STS fails.
	_, err = credentials("evil").TokenSource.Token()
	if err == nil || !strings.Contains(err.Error(), "unauthorized_client") {
		t.Errorf("evil (rejected by the condition): %v, want STS unauthorized_client", err)
	}
}

// TestWIFDirectFederation: with no target SA the federated token itself
// queries BigQuery, authorized by a principalSet binding on the project.
func TestWIFDirectFederation(t *testing.T) {
	e := stNew(t, Options{})
	pol, _ := e.crm.Projects.GetIamPolicy(cpProject, &crmv1.GetIamPolicyRequest{}).Do()
	pol.Bindings = append(pol.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser",
		Members: []string{"principalSet://iam.googleapis.com/" + stPoolName + "/attribute.org/acme"}})
	if _, err := e.crm.Projects.SetIamPolicy(cpProject, &crmv1.SetIamPolicyRequest{Policy: pol}).Do(); err != nil {
		t.Fatal(err)
	}
	dp := &dpEnv{TestServer: e.ts, clock: e.clk}
	for org, wantOK := range map[string]bool{"acme": true, "beta": false} {
		resp, err := e.exchange(e.subjectToken(map[string]any{"org": org}))
		if err != nil {
			t.Fatal(err)
		}
		_, err = dpReadAll(t, dp.bqClient(t, resp.AccessToken).Query("SELECT 1"))
		if (err == nil) != wantOK {
			t.Errorf("org %s: SELECT 1 error = %v, want ok=%v", org, err, wantOK)
		}
	}
}
