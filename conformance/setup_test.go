package conformance

import (
	"encoding/json"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

const (
	adminSA = "fedctl-admin@demo-project.iam.gserviceaccount.com"
	aliceSA = "fedctl-alice@demo-project.iam.gserviceaccount.com"
)

// TestAfterFedctlSetup: on a fedctl setup, the guides' own verification
// commands succeed (print-access-token as the admin, and through the
// ADMIN,USER_SA delegation chain as the verifier); 20 gcloud policy writes
// in a row never meet a 409 (gcloud sends the etag back re-encoded);
// bq runs SELECT 1 with a minted token through docs/sandbox.md's recipe; and
// gcloud logging read with the configuration guide's filters returns the
// entries fedctl audit tail shows.
func TestAfterFedctlSetup(t *testing.T) {
	needTools(t)
	t.Parallel()
	_, bqErr := exec.LookPath("bq")
	sb := startSandbox(t)
	if out, errOut, code := sb.fedctl("setup", "--yes", "--users", "alice@acme.com", "--verifier", "user:operator@example.com",
		"--admin-key-file", "admin-key.json", "--data-access-logs"); code != 0 {
		t.Fatalf("fedctl setup exit %d\n%s\n%s", code, out, errOut)
	}

	// As the verifier (the sandbox operator's token): the delegation chain.
	verifierTok := strings.TrimSpace(sb.run(`gcloud auth print-access-token --impersonate-service-account=`+adminSA+`,`+aliceSA, nil))
	if !strings.HasPrefix(verifierTok, "ya29.") {
		t.Fatalf("verifier chain printed no token: %q", verifierTok)
	}

	// As the admin, with its key: the configuration guide's Step 3.
	adminOut := sb.run(`unset CLOUDSDK_AUTH_ACCESS_TOKEN_FILE
gcloud auth activate-service-account --key-file=./admin-key.json
gcloud auth print-access-token --impersonate-service-account=`+aliceSA, nil)
	if lines := strings.Split(strings.TrimSpace(adminOut), "\n"); !strings.HasPrefix(lines[len(lines)-1], "ya29.") {
		t.Fatalf("admin printed no token: %q", adminOut)
	}

	// 20 read-modify-writes of the project policy: never a 409. gcloud's
	// debug log has one line per HTTP response.
	_, log, err := sb.exec(`for i in $(seq 1 20); do
  gcloud projects add-iam-policy-binding demo-project --member="user:loop-$i@example.com" --role=roles/bigquery.dataViewer --format=none --verbosity=debug
done`, nil)
	if err != nil {
		t.Fatalf("the add-iam-policy-binding loop failed: %v\n%s", err, tail(log, 4000))
	}
	responses := regexp.MustCompile(`"POST /cloudresourcemanager/v1/projects/demo-project:setIamPolicy\S* HTTP/1\.?1" (\d{3})`).FindAllStringSubmatch(log, -1)
	ok := 0
	for _, m := range responses {
		switch m[1] {
		case "200":
			ok++
		case "409":
			t.Errorf("a setIamPolicy answered 409: gcloud's etag was refused")
		}
	}
	if ok != 20 {
		t.Errorf("%d setIamPolicy calls succeeded, want 20 (%d responses seen)", ok, len(responses))
	}

	// bq, through docs/sandbox.md's recipe, as alice with the minted token.
	if bqErr != nil {
		t.Log("bq is not installed: skipping its query (and the query half of the logging comparison)")
	} else {
		bqOut := sb.run(recipe(t, "bq", "sh"), map[string]string{"FEDCTL_ACCESS_TOKEN": verifierTok})
		if !regexp.MustCompile(`\|\s+1\s+\|`).MatchString(bqOut) {
			t.Errorf("bq query printed no 1:\n%s", bqOut)
		}
	}

	// The configuration guide's two logging filters (Linux date), names
	// substituted, against what fedctl audit tail shows.
	readLog := func(filter string) []string {
		t.Helper()
		out := sb.run(`PROJECT_ID=demo-project
gcloud logging read '`+filter+`
  AND timestamp >= "'"$(date -u --date='1 hour ago' +%Y-%m-%dT%H:%M:%SZ)"'"
' --limit=20 --format=json --project="$PROJECT_ID"`, nil)
		var entries []struct {
			InsertID string `json:"insertId"`
		}
		if err := json.Unmarshal([]byte(out), &entries); err != nil {
			t.Fatalf("gcloud logging read printed no JSON: %v\n%s", err, out)
		}
		var ids []string
		for _, e := range entries {
			ids = append(ids, e.InsertID)
		}
		return ids
	}
	mints := readLog(`
  protoPayload.serviceName="iamcredentials.googleapis.com"
  AND protoPayload.methodName="GenerateAccessToken"
  AND protoPayload.authenticationInfo.principalEmail="` + adminSA + `"`)
	queries := readLog(`
  protoPayload.serviceName="bigquery.googleapis.com"
  AND protoPayload.authenticationInfo.principalEmail="` + aliceSA + `"`)

	stdout, stderr, code := sb.fedctl("audit", "tail", "--since", "1h", "--output", "json")
	if code != 0 {
		t.Fatalf("fedctl audit tail exit %d\n%s", code, stderr)
	}
	var events []struct {
		Kind      string `json:"event"`
		InsertID  string `json:"insert_id"`
		Principal string `json:"principal"`
	}
	if err := json.Unmarshal([]byte(stdout), &events); err != nil {
		t.Fatalf("audit tail JSON: %v\n%s", err, stdout)
	}
	var tailMints, tailQueries []string
	for _, e := range events {
		switch {
		case e.Kind == "mint" && strings.HasSuffix(e.Principal, adminSA):
			tailMints = append(tailMints, e.InsertID)
		case e.Kind == "query" && strings.HasSuffix(e.Principal, aliceSA):
			tailQueries = append(tailQueries, e.InsertID)
		}
	}
	if len(mints) == 0 || !sameSet(mints, tailMints) {
		t.Errorf("the admin's mints: gcloud logging read %v, fedctl audit tail %v", mints, tailMints)
	}
	if bqErr == nil && (len(tailQueries) == 0 || !subset(tailQueries, queries)) {
		t.Errorf("alice's queries: fedctl audit tail %v, not all among gcloud logging read's %v", tailQueries, queries)
	}
}

func subset(a, b []string) bool {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	for _, s := range a {
		if !in[s] {
			return false
		}
	}
	return true
}

func sameSet(a, b []string) bool { return subset(a, b) && subset(b, a) }
