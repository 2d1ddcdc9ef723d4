package emulator

import (
	"testing"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// keys.disable / enable / delete as Google's REST (gcp-wire §5.4), seen
// through the oauth2 token endpoint: a disabled or deleted key signs
// nothing in, an enabled one does again.
func TestKeyDisableEnableDelete(t *testing.T) {
	e := dpNewAt(t, 0, time.Now())
	e.enable(t, "iam.googleapis.com", true)
	runner := e.sa(t, "runner")
	keyJSON, keyID := e.dpKeyFile(t, runner)
	svc, err := iam.NewService(dpCtx, e.as(e.Token, "iam")...)
	if err != nil {
		t.Fatal(err)
	}
	keys := svc.Projects.ServiceAccounts.Keys
	name := "projects/" + dpProject + "/serviceAccounts/" + runner.Email + "/keys/" + keyID

	if _, err := keys.Disable(name, &iam.DisableServiceAccountKeyRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	if k, err := keys.Get(name).Do(); err != nil || !k.Disabled || k.DisableReason != "SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED" {
		t.Fatalf("after disable: %+v %v", k, err)
	}
	if _, err := e.keyToken(t, keyJSON); dpOAuthError(err) != "invalid_grant" {
		t.Errorf("disabled key: %v, want invalid_grant", err)
	}
	if _, err := keys.Enable(name, &iam.EnableServiceAccountKeyRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.keyToken(t, keyJSON); err != nil {
		t.Errorf("enabled key: %v", err)
	}
	if k, err := keys.Get(name).Do(); err != nil || k.Disabled || k.DisableReason != "" {
		t.Fatalf("after enable: %+v %v", k, err)
	}
	if _, err := keys.Delete(name).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := keys.Get(name).Do(); cpGoogleErr(t, err, 404) == nil {
		t.Errorf("deleted key still readable")
	}
	if _, err := e.keyToken(t, keyJSON); dpOAuthError(err) != "invalid_grant" {
		t.Errorf("deleted key: %v, want invalid_grant", err)
	}
	if _, err := keys.Disable(name, &iam.DisableServiceAccountKeyRequest{}).Do(); cpGoogleErr(t, err, 404) == nil {
		t.Errorf("disabling a deleted key succeeded")
	}
}

// An admin write signed in with a key writes an Admin Activity entry that
// names the key as Google formats it; the operator's own writes (no key)
// are not logged there by the emulator.
func TestKeySignedWriteIsInTheActivityLog(t *testing.T) {
	e := dpNewAt(t, 0, time.Now())
	e.enable(t, "iam.googleapis.com", true)
	runner := e.sa(t, "runner")
	e.grant(t, e.onProject(), "roles/iam.serviceAccountAdmin", "serviceAccount:"+runner.Email)
	keyJSON, keyID := e.dpKeyFile(t, runner)
	tok, err := e.keyToken(t, keyJSON)
	if err != nil {
		t.Fatal(err)
	}
	asKey, err := iam.NewService(dpCtx, e.as(tok.AccessToken, "iam")...)
	if err != nil {
		t.Fatal(err)
	}
	create := &iam.CreateServiceAccountRequest{AccountId: "made-with-key"}
	if _, err := asKey.Projects.ServiceAccounts.Create("projects/"+dpProject, create).Do(); err != nil {
		t.Fatal(err)
	}
	asOperator, err := iam.NewService(dpCtx, e.as(e.Token, "iam")...)
	if err != nil {
		t.Fatal(err)
	}
	create.AccountId = "made-by-operator"
	if _, err := asOperator.Projects.ServiceAccounts.Create("projects/"+dpProject, create).Do(); err != nil {
		t.Fatal(err)
	}
	entries := e.entries(t, "google.iam.admin.v1.CreateServiceAccount")
	if len(entries) != 1 {
		t.Fatalf("%d CreateServiceAccount entries, want 1 (the key-signed one)", len(entries))
	}
	want := "//iam.googleapis.com/projects/" + dpProject + "/serviceAccounts/" + runner.Email + "/keys/" + keyID
	if got := dpDig(entries[0], "protoPayload", "authenticationInfo", "serviceAccountKeyName"); got != want {
		t.Errorf("serviceAccountKeyName = %v, want %s", got, want)
	}
	if got := dpDig(entries[0], "logName"); got != "projects/"+dpProject+"/logs/cloudaudit.googleapis.com%2Factivity" {
		t.Errorf("logName = %v", got)
	}
	if got := dpDig(entries[0], "protoPayload", "authenticationInfo", "principalEmail"); got != runner.Email {
		t.Errorf("principalEmail = %v", got)
	}
}
