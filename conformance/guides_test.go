package conformance

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The seeds' IAM API precondition: a new project's IAM API is off (as in
// the sandbox and on Google), and the guides create service accounts and
// pools as if it were on. Google's Workload Identity Federation setup also
// enables STS, which Gumloop's guide leaves out.
const enableIAM = `gcloud services enable iam.googleapis.com`

// TestHoopGuidePatternA runs the "IAM Federation for GCP Configuration"
// guide's gcloud steps for Pattern A verbatim — the project is demo-project,
// the admin SA hoop-admin and the user SA hoop-alice (the guide's "alice" is
// shorter than the 6 characters Google requires, which the guide's own
// warning explains) — then its Step 3 verification as the admin, its Data
// Access logs step, and fedctl verify on the result.
func TestHoopGuidePatternA(t *testing.T) {
	needTools(t)
	t.Parallel()
	sb := startSandbox(t)
	sb.run(enableIAM, nil)

	// Prerequisites, Step 1 and Step 2 (Pattern A), verbatim.
	sb.run(`
# Use your real project id.
export PROJECT_ID="demo-project"

# Pick a name for the admin service account Hoop will hold the key to.
export ADMIN_SA="hoop-admin"
export ADMIN_EMAIL="${ADMIN_SA}@${PROJECT_ID}.iam.gserviceaccount.com"

gcloud config set project "$PROJECT_ID"

gcloud services enable iamcredentials.googleapis.com

gcloud iam service-accounts create "$ADMIN_SA" \
  --display-name="Hoop Federation Admin"

# Export the JSON key — this is what you'll paste into Hoop.
gcloud iam service-accounts keys create ./hoop-admin-sa.json \
  --iam-account="$ADMIN_EMAIL"

# Repeat per user — example: alice
USER_SA_NAME="hoop-alice"
USER_EMAIL="${USER_SA_NAME}@${PROJECT_ID}.iam.gserviceaccount.com"

# Create the per-user service account
gcloud iam service-accounts create "$USER_SA_NAME" \
  --display-name="Hoop user: alice"

# Let the admin SA impersonate this user-SA
gcloud iam service-accounts add-iam-policy-binding "$USER_EMAIL" \
  --member="serviceAccount:${ADMIN_EMAIL}" \
  --role="roles/iam.serviceAccountTokenCreator"

# Grant the user-SA the data access it actually needs (BigQuery in this example)
gcloud projects add-iam-policy-binding "$PROJECT_ID" \
  --member="serviceAccount:${USER_EMAIL}" \
  --role="roles/bigquery.user"

gcloud projects add-iam-policy-binding "$PROJECT_ID" \
  --member="serviceAccount:${USER_EMAIL}" \
  --role="roles/bigquery.dataViewer"
`, nil)

	// Enable Data Access logs: get the policy, add the auditConfigs entry
	// (the guide edits the file by hand; here Go does), set it back.
	sb.run(`export PROJECT_ID="demo-project"
gcloud projects get-iam-policy "$PROJECT_ID" --format=json > policy.json`, nil)
	addAuditConfig(t, filepath.Join(sb.dir, "policy.json"))
	sb.run(`export PROJECT_ID="demo-project"
gcloud projects set-iam-policy "$PROJECT_ID" policy.json`, nil)

	// Step 3 as the admin. The sandbox operator's access-token file
	// outranks any account, so the shell drops it first: the guide's
	// "switch accounts" warning.
	out := sb.run(`unset CLOUDSDK_AUTH_ACCESS_TOKEN_FILE
export PROJECT_ID="demo-project"
# Auth as the admin SA
gcloud auth activate-service-account --key-file=./hoop-admin-sa.json

# Try to mint a token AS one of your target user-SAs
gcloud auth print-access-token \
  --impersonate-service-account="hoop-alice@${PROJECT_ID}.iam.gserviceaccount.com" \
  --scopes=https://www.googleapis.com/auth/cloud-platform
`, nil)
	if !strings.HasPrefix(strings.TrimSpace(out), "ya29.") {
		t.Fatalf("Step 3 printed no token: %q", out)
	}

	// The guide's setup passes fedctl verify, minting with the admin's key
	// as Hoop does.
	stdout, stderr, code := sb.fedctl("verify", "--user", "alice@acme.com", "--admin-sa", "hoop-admin",
		"--template", "hoop-{user.email}@{project}.iam.gserviceaccount.com", "--admin-key-file", "hoop-admin-sa.json")
	if code != 0 {
		t.Fatalf("fedctl verify exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "Session would start as hoop-alice@demo-project.iam.gserviceaccount.com") {
		t.Errorf("verify did not mint as hoop-alice:\n%s", stdout)
	}
}

// addAuditConfig adds the guide's BigQuery auditConfigs entry to a policy
// file, keeping everything else (the etag included) as gcloud wrote it.
func addAuditConfig(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("policy.json: %v\n%s", err, b)
	}
	acs, _ := p["auditConfigs"].([]any)
	p["auditConfigs"] = append(acs, map[string]any{"service": "bigquery.googleapis.com", "auditLogConfigs": []any{
		map[string]any{"logType": "ADMIN_READ"}, map[string]any{"logType": "DATA_READ"}, map[string]any{"logType": "DATA_WRITE"}}})
	b, _ = json.MarshalIndent(p, "", "  ")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGumloopGuide runs the Gumloop BigQuery (Workload Identity) guide's
// gcloud steps verbatim — YOUR_PROJECT_ID is demo-project, the organization
// org-42, and the issuer the sandbox's demo issuer standing in for
// https://api.gumloop.com — then fedctl verify --mode wif with a token that
// issuer signed.
func TestGumloopGuide(t *testing.T) {
	needTools(t)
	t.Parallel()
	sb := startSandbox(t)
	sb.run(enableIAM+" sts.googleapis.com", nil)
	const issuer = "https://oidc.fedctl.invalid/gumloop"
	const number = "123456789012" // the recipe's gcloud projects describe printed it
	script := `
gcloud services enable iamcredentials.googleapis.com bigquery.googleapis.com \
  --project="YOUR_PROJECT_ID"

gcloud iam workload-identity-pools create gumloop-pool \
  --project="YOUR_PROJECT_ID" \
  --location="global" \
  --display-name="Gumloop"

gcloud iam workload-identity-pools providers create-oidc gumloop-oidc \
  --project="YOUR_PROJECT_ID" \
  --location="global" \
  --workload-identity-pool="gumloop-pool" \
  --issuer-uri="https://api.gumloop.com" \
  --attribute-mapping="google.subject=assertion.sub,attribute.gumloop_org_id=assertion.gumloop_org_id,attribute.gumloop_owner_id=assertion.gumloop_owner_id" \
  --attribute-condition="assertion.gumloop_org_id == 'YOUR_GUMLOOP_ORG_ID'"

gcloud iam service-accounts create bigquery-runner \
  --project="YOUR_PROJECT_ID" \
  --display-name="Gumloop BigQuery Runner"

gcloud projects add-iam-policy-binding YOUR_PROJECT_ID \
  --member="serviceAccount:bigquery-runner@YOUR_PROJECT_ID.iam.gserviceaccount.com" \
  --role="roles/bigquery.dataViewer"

gcloud projects add-iam-policy-binding YOUR_PROJECT_ID \
  --member="serviceAccount:bigquery-runner@YOUR_PROJECT_ID.iam.gserviceaccount.com" \
  --role="roles/bigquery.jobUser"

gcloud iam service-accounts add-iam-policy-binding \
  bigquery-runner@YOUR_PROJECT_ID.iam.gserviceaccount.com \
  --project="YOUR_PROJECT_ID" \
  --role="roles/iam.workloadIdentityUser" \
  --member="principalSet://iam.googleapis.com/projects/PROJECT_NUMBER/locations/global/workloadIdentityPools/gumloop-pool/attribute.gumloop_org_id/YOUR_GUMLOOP_ORG_ID"
`
	script = strings.NewReplacer("YOUR_PROJECT_ID", "demo-project", "YOUR_GUMLOOP_ORG_ID", "org-42",
		"PROJECT_NUMBER", number, "https://api.gumloop.com", issuer).Replace(script)
	sb.run(script, nil)

	aud := "//iam.googleapis.com/projects/" + number + "/locations/global/workloadIdentityPools/gumloop-pool/providers/gumloop-oidc"
	if out, errOut, code := sb.fedctl("sandbox", "oidc-token", "--state", sb.state, "--issuer", "gumloop",
		"--sub", "gumloop:project:ws-1", "--aud", aud, "--claim", "gumloop_org_id=org-42", "--claim", "gumloop_owner_id=ws-1",
		"--out", "gumloop.jwt"); code != 0 {
		t.Fatalf("sandbox oidc-token exit %d\n%s\n%s", code, out, errOut)
	}
	stdout, stderr, code := sb.fedctl("verify", "--mode", "wif", "--pool", "gumloop-pool", "--provider", "gumloop-oidc",
		"--target-sa", "bigquery-runner", "--issuer-uri", issuer,
		"--attribute-mapping", "google.subject=assertion.sub,attribute.gumloop_org_id=assertion.gumloop_org_id,attribute.gumloop_owner_id=assertion.gumloop_owner_id",
		"--attribute-condition", "assertion.gumloop_org_id == 'org-42'", "--principal-set", "attribute.gumloop_org_id/org-42",
		"--roles", "roles/bigquery.jobUser,roles/bigquery.dataViewer", "--subject-token-file", "gumloop.jwt")
	if code != 0 {
		t.Fatalf("fedctl verify --mode wif exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"STS exchange", "impersonation", "BigQuery probe"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("verify shows no %s row:\n%s", want, stdout)
		}
	}
}
