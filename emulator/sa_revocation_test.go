package emulator

import (
	"testing"

	iam "google.golang.org/api/iam/v1"
)

// Google's documented token semantics for disable, enable and delete
// (projects.serviceAccounts.disable): a disabled SA's existing tokens are
// rejected and no new ones are minted; re-enabled, its old tokens are
// accepted again; deleted, they are rejected, and undelete (same unique
// ID) brings them back. Through the real iam and iamcredentials clients.
func TestServiceAccountTokensFollowDisableEnableDelete(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	e.enable(t, iamService, true)
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-alice")
	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	adminCred := e.credClient(t, e.tokenFor("serviceAccount:"+admin.Email))
	ownerIAM, err := iam.NewService(dpCtx, e.as(e.Token, "iam")...)
	if err != nil {
		t.Fatal(err)
	}
	name := "projects/" + dpProject + "/serviceAccounts/" + user.Email

	resp, err := dpMint(adminCred, user.Email)
	if err != nil {
		t.Fatal(err)
	}
	// The user's token is accepted (authenticated) but may not mint for
	// the admin: 403. A rejected token is 401.
	userCred := e.credClient(t, resp.AccessToken)
	accepted := func(when string, want bool) {
		t.Helper()
		_, err := dpMint(userCred, admin.Email)
		if got := dpCode(err) != 401; got != want {
			t.Errorf("%s: token accepted = %v (err %v), want %v", when, got, err, want)
		}
	}
	accepted("enabled", true)

	if _, err := ownerIAM.Projects.ServiceAccounts.Disable(name, &iam.DisableServiceAccountRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	accepted("disabled", false)
	if _, err := dpMint(adminCred, user.Email); err == nil {
		t.Error("a disabled SA still gets new tokens")
	}

	if _, err := ownerIAM.Projects.ServiceAccounts.Enable(name, &iam.EnableServiceAccountRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	accepted("re-enabled", true)

	if _, err := ownerIAM.Projects.ServiceAccounts.Delete(name).Do(); err != nil {
		t.Fatal(err)
	}
	accepted("deleted", false)
	if _, err := ownerIAM.Projects.ServiceAccounts.Undelete("projects/"+dpProject+"/serviceAccounts/"+user.UniqueID, &iam.UndeleteServiceAccountRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	accepted("undeleted", true)

	// Deleted, then recreated under the same email: a new principal, which
	// the old token does not speak for.
	if _, err := ownerIAM.Projects.ServiceAccounts.Delete(name).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := ownerIAM.Projects.ServiceAccounts.Create("projects/"+dpProject, &iam.CreateServiceAccountRequest{AccountId: "fedctl-alice"}).Do(); err != nil {
		t.Fatal(err)
	}
	accepted("recreated", false)
}
