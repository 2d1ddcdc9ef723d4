package emulator

import (
	"strings"
	"testing"
	"time"

	iamcredentials "google.golang.org/api/iamcredentials/v1"
)

const (
	dpScope        = "https://www.googleapis.com/auth/cloud-platform"
	dpTokenCreator = "roles/iam.serviceAccountTokenCreator"
)

func (e *dpEnv) credClient(t *testing.T, token string) *iamcredentials.Service {
	t.Helper()
	svc, err := iamcredentials.NewService(dpCtx, e.as(token, "iamcredentials")...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func dpMint(svc *iamcredentials.Service, email string, delegates ...string) (*iamcredentials.GenerateAccessTokenResponse, error) {
	req := &iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}, Lifetime: "3600s"}
	for _, d := range delegates {
		req.Delegates = append(req.Delegates, "projects/-/serviceAccounts/"+d)
	}
	return svc.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+email, req).Do()
}

// identityOf decodes a token the emulator minted (tests only look inside).
func (e *dpEnv) identityOf(t *testing.T, tok string) *Identity {
	t.Helper()
	var id *Identity
	e.state(t, func(st *State) {
		var ok bool
		if id, ok = parseToken(st.Secret, tok, e.clock.Now()); !ok {
			t.Fatalf("emulator rejects the token it minted")
		}
	})
	return id
}

func TestGenerateAccessTokenHonoursPropagationDelay(t *testing.T) {
	e := dpNew(t, time.Minute)
	e.enable(t, credService, true)
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-alice")
	svc := e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email))

	_, err := dpMint(svc, user.Email)
	if dpCode(err) != 403 || dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("before the grant: got %v, want 403 IAM_PERMISSION_DENIED", err)
	}
	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	if _, err := dpMint(svc, user.Email); dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("inside the propagation delay: got %v, want IAM_PERMISSION_DENIED", err)
	}
	e.clock.Advance(time.Minute)
	resp, err := dpMint(svc, user.Email)
	if err != nil {
		t.Fatalf("after propagation: %v", err)
	}
	exp, err := time.Parse(time.RFC3339, resp.ExpireTime)
	if err != nil || !exp.Equal(e.clock.Now().Add(time.Hour).Truncate(time.Second)) || !strings.HasSuffix(resp.ExpireTime, "Z") {
		t.Errorf("expireTime = %q, want now+1h in RFC 3339 UTC", resp.ExpireTime)
	}
	id := e.identityOf(t, resp.AccessToken)
	if id.Principal != "serviceAccount:"+user.Email || len(id.Chain) != 1 || id.Chain[0] != "serviceAccount:"+admin.Email {
		t.Errorf("token identity = %+v, want the user SA with chain [admin]", id)
	}
}

func TestGenerateAccessTokenPatternBProjectGrant(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-bob")
	e.grant(t, e.onProject(), dpTokenCreator, "serviceAccount:"+admin.Email)
	if _, err := dpMint(e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email)), user.Email); err != nil {
		t.Fatalf("project-level Token Creator: %v", err)
	}
}

func TestGenerateAccessTokenDelegationChain(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	const verifier = "user:verifier@example.com" // no project role
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-carol")
	svc := e.credClient(t, e.tokenFor(verifier))

	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	if _, err := dpMint(svc, user.Email, admin.Email); dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("verifier without Token Creator on the admin: got %v, want IAM_PERMISSION_DENIED", err)
	}
	if _, err := dpMint(svc, user.Email); dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("verifier minting directly: got %v, want IAM_PERMISSION_DENIED", err)
	}
	e.grant(t, e.onSA(admin), dpTokenCreator, verifier)
	resp, err := dpMint(svc, user.Email, admin.Email)
	if err != nil {
		t.Fatalf("full chain: %v", err)
	}
	id := e.identityOf(t, resp.AccessToken)
	want := []string{verifier, "serviceAccount:" + admin.Email}
	if id.Principal != "serviceAccount:"+user.Email || strings.Join(id.Chain, ",") != strings.Join(want, ",") {
		t.Errorf("identity = %s via %v, want %s via %v", id.Principal, id.Chain, user.Email, want)
	}

	// The admin's hop is checked too: without its grant on the user SA the
	// chain breaks even though the verifier holds its own hop.
	e.state(t, func(st *State) { st.Projects[dpProject].ServiceAccounts[user.Email].Policy = &Policy{} })
	if _, err := dpMint(svc, user.Email, admin.Email); dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("admin without Token Creator on the user SA: got %v, want IAM_PERMISSION_DENIED", err)
	}
}

func TestGenerateAccessTokenMissingAccount(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	admin := e.sa(t, "fedctl-admin")
	missing := "nobody@" + dpProject + ".iam.gserviceaccount.com"
	svc := e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email))

	if _, err := dpMint(svc, missing); dpCode(err) != 403 {
		t.Fatalf("without project-wide permission: got %v, want 403", err)
	}
	e.grant(t, e.onProject(), dpTokenCreator, "serviceAccount:"+admin.Email)
	_, err := dpMint(svc, missing)
	if dpCode(err) != 404 || !strings.Contains(err.Error(), "Gaia id not found for email "+missing) {
		t.Fatalf("with project-wide permission: got %v, want 404 Gaia id not found", err)
	}
}

func TestGenerateAccessTokenServiceDisabled(t *testing.T) {
	e := dpNew(t, 0) // iamcredentials is off in a new project
	user := e.sa(t, "fedctl-dave")
	_, err := dpMint(e.credClient(t, e.Token), user.Email)
	if dpCode(err) != 403 || dpReason(err) != "SERVICE_DISABLED" {
		t.Fatalf("got %v, want 403 SERVICE_DISABLED", err)
	}
}

func TestGenerateAccessTokenInvalidRequests(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	user := e.sa(t, "fedctl-erin")
	// Even an owner needs Token Creator to mint (basic roles lack it).
	e.grant(t, e.onSA(user), "roles/iam.serviceAccountTokenCreator", DefaultSeed.Operator)
	svc := e.credClient(t, e.Token)
	name := "projects/-/serviceAccounts/" + user.Email
	for _, tc := range []struct {
		label string
		name  string
		req   *iamcredentials.GenerateAccessTokenRequest
	}{
		{"no scope", name, &iamcredentials.GenerateAccessTokenRequest{}},
		{"lifetime over an hour", name, &iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}, Lifetime: "7200s"}},
		{"bad lifetime", name, &iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}, Lifetime: "1h"}},
		{"delegate without '-'", name, &iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope},
			Delegates: []string{"projects/" + dpProject + "/serviceAccounts/" + user.Email}}},
		{"name without '-'", "projects/" + dpProject + "/serviceAccounts/" + user.Email,
			&iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}}},
	} {
		_, err := svc.Projects.ServiceAccounts.GenerateAccessToken(tc.name, tc.req).Do()
		if dpCode(err) != 400 || !strings.Contains(err.Error(), "Request contains an invalid argument.") {
			t.Errorf("%s: got %v, want 400 invalid argument", tc.label, err)
		}
	}
	e.state(t, func(st *State) { st.Projects[dpProject].ServiceAccounts[user.Email].Disabled = true })
	if _, err := dpMint(svc, user.Email); dpCode(err) != 400 || !strings.Contains(err.Error(), "Precondition check failed.") {
		t.Errorf("disabled SA: got %v, want 400 Precondition check failed.", err)
	}
}

func TestGenerateAccessTokenAuditEntries(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	const verifier = "user:verifier@example.com"
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-frank")
	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	e.grant(t, e.onSA(admin), dpTokenCreator, verifier)
	adminSvc := e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email))

	if _, err := dpMint(adminSvc, user.Email); err != nil {
		t.Fatal(err)
	}
	if got := e.entries(t, "GenerateAccessToken"); len(got) != 0 {
		t.Fatalf("%d GenerateAccessToken entries with Data Access logs off, want 0", len(got))
	}

	e.auditOn(t, "iam.googleapis.com", "ADMIN_READ")
	// The admin mints as impersonated by the verifier: its own entry shows
	// the admin as the caller with the verifier as delegation.
	res, err := dpMint(e.credClient(t, e.tokenFor(verifier)), admin.Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dpMint(e.credClient(t, res.AccessToken), user.Email); err != nil {
		t.Fatal(err)
	}
	other := e.sa(t, "fedctl-gina")
	if _, err := dpMint(adminSvc, other.Email); dpCode(err) != 403 {
		t.Fatalf("denied mint: %v", err)
	}

	got := e.entries(t, "GenerateAccessToken")
	if len(got) != 3 {
		t.Fatalf("%d GenerateAccessToken entries, want 3 (verifier→admin, admin→user, denied)", len(got))
	}
	ok := got[1]
	checks := map[string][2]any{
		"logName":        {dpDig(ok, "logName"), "projects/" + dpProject + "/logs/cloudaudit.googleapis.com%2Fdata_access"},
		"resource.type":  {dpDig(ok, "resource", "type"), "service_account"},
		"unique_id":      {dpDig(ok, "resource", "labels", "unique_id"), user.UniqueID},
		"email_id":       {dpDig(ok, "resource", "labels", "email_id"), user.Email},
		"severity":       {dpDig(ok, "severity"), "INFO"},
		"@type":          {dpDig(ok, "protoPayload", "@type"), auditLogType},
		"serviceName":    {dpDig(ok, "protoPayload", "serviceName"), credService},
		"resourceName":   {dpDig(ok, "protoPayload", "resourceName"), "projects/-/serviceAccounts/" + user.UniqueID},
		"principalEmail": {dpDig(ok, "protoPayload", "authenticationInfo", "principalEmail"), admin.Email},
		"delegation":     {dpDig(ok, "protoPayload", "authenticationInfo", "serviceAccountDelegationInfo", 0, "firstPartyPrincipal", "principalEmail"), "verifier@example.com"},
		"permission":     {dpDig(ok, "protoPayload", "authorizationInfo", 0, "permission"), permGetAccessToken},
		"granted":        {dpDig(ok, "protoPayload", "authorizationInfo", 0, "granted"), true},
		"permissionType": {dpDig(ok, "protoPayload", "authorizationInfo", 0, "permissionType"), "ADMIN_READ"},
		"request.name":   {dpDig(ok, "protoPayload", "request", "name"), "projects/-/serviceAccounts/" + user.Email},
		"chain":          {dpDig(ok, "protoPayload", "metadata", "identityDelegationChain", 0), "projects/-/serviceAccounts/" + user.Email},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("granted entry %s = %v, want %v", k, v[0], v[1])
		}
	}
	if st := dpDig(ok, "protoPayload", "status"); st == nil || len(st.(map[string]any)) != 0 {
		t.Errorf("granted entry status = %v, want {}", st)
	}
	denied := got[2]
	if dpDig(denied, "protoPayload", "status", "code") != float64(7) || dpDig(denied, "severity") != "ERROR" ||
		dpDig(denied, "protoPayload", "authorizationInfo", 0, "granted") != nil {
		t.Errorf("denied entry = %v, want status code 7, severity ERROR, granted absent", denied["protoPayload"])
	}
	if got[0]["insertId"] == got[1]["insertId"] {
		t.Errorf("insertId repeats: %v", got[0]["insertId"])
	}
}

// A project Owner holds every permission but the impersonation ones, as in
// Google Cloud: minting needs an explicit Token Creator grant.
func TestOwnerNeedsTokenCreatorToMint(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	user := e.sa(t, "fedctl-oscar")
	svc := e.credClient(t, e.Token)
	if _, err := dpMint(svc, user.Email); dpReason(err) != "IAM_PERMISSION_DENIED" {
		t.Fatalf("owner without Token Creator: got %v, want IAM_PERMISSION_DENIED", err)
	}
	e.grant(t, e.onSA(user), "roles/iam.serviceAccountTokenCreator", DefaultSeed.Operator)
	if _, err := dpMint(svc, user.Email); err != nil {
		t.Fatalf("owner with Token Creator: %v", err)
	}
}
