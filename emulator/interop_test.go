package emulator

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	bq "google.golang.org/api/bigquery/v2"
	crmv1 "google.golang.org/api/cloudresourcemanager/v1"
	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"
)

// etagBytes encode with both '+' and '/' in standard base64 and need padding,
// so every re-encoding a client may send back differs as text.
var etagBytes = []byte{0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 0xfb, 0xef}

// etagForms are the spellings of etagBytes Google accepts as the same etag:
// gcloud decodes a policy's etag and re-encodes it URL-safe.
var etagForms = map[string]string{
	"standard padded": base64.StdEncoding.EncodeToString(etagBytes),
	"standard raw":    base64.RawStdEncoding.EncodeToString(etagBytes),
	"url-safe padded": base64.URLEncoding.EncodeToString(etagBytes),
	"url-safe raw":    base64.RawURLEncoding.EncodeToString(etagBytes),
}

func TestProjectPolicyEtagComparedAsBytes(t *testing.T) {
	for form, sent := range etagForms {
		t.Run(form, func(t *testing.T) {
			e := cpNew(t, Options{})
			stored := base64.StdEncoding.EncodeToString(etagBytes)
			if err := e.ts.WithState(func(st *State) error { st.Projects[cpProject].Policy.Etag = stored; return nil }); err != nil {
				t.Fatal(err)
			}
			p := e.getPolicy(3)
			if p.Etag != stored {
				t.Fatalf("etag read back %q, want %q", p.Etag, stored)
			}
			p.Etag = sent
			p.Bindings = append(p.Bindings, &crmv1.Binding{Role: "roles/bigquery.jobUser", Members: []string{"user:a@example.com"}})
			if _, err := e.setPolicy(p, ""); err != nil {
				t.Fatalf("setIamPolicy with etag %q: %v", sent, err)
			}
			// The etag changed with the write: the same bytes are now stale.
			p.Etag = sent
			if _, err := e.setPolicy(p, ""); cpLegacyReason(t, err, 409) != "aborted" {
				t.Fatalf("stale etag: %v, want 409 aborted", err)
			}
		})
	}
}

func TestServiceAccountPolicyEtagComparedAsBytes(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable("iam.googleapis.com")
	sa := e.createSA("fedctl-alice")
	res := "projects/" + cpProject + "/serviceAccounts/" + sa.Email
	stored := base64.StdEncoding.EncodeToString(etagBytes)
	if err := e.ts.WithState(func(st *State) error {
		s := st.Projects[cpProject].ServiceAccounts[sa.Email]
		if s.Policy == nil {
			s.Policy = &Policy{}
		}
		s.Policy.Etag = stored
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	p, err := e.iam.Projects.ServiceAccounts.GetIamPolicy(res).Do()
	if err != nil {
		t.Fatal(err)
	}
	if p.Etag != stored {
		t.Fatalf("etag %q, want %q", p.Etag, stored)
	}
	p.Etag = base64.RawURLEncoding.EncodeToString(etagBytes)
	p.Bindings = append(p.Bindings, &iam.Binding{Role: "roles/iam.serviceAccountTokenCreator", Members: []string{"user:a@example.com"}})
	if _, err := e.iam.Projects.ServiceAccounts.SetIamPolicy(res, &iam.SetIamPolicyRequest{Policy: p}).Do(); err != nil {
		t.Fatalf("URL-safe unpadded etag refused: %v", err)
	}
	if _, err := e.iam.Projects.ServiceAccounts.SetIamPolicy(res, &iam.SetIamPolicyRequest{Policy: p}).Do(); cpLegacyReason(t, err, 409) != "aborted" {
		t.Fatalf("stale etag: %v, want 409 aborted", err)
	}
}

func TestEtagsEqual(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"BwX+/a8=", "BwX-_a8", true},
		{"BwX+/a8=", "BwX-_a8=", true},
		{"ACAB", "ACAB", true},
		{"BwX+/a8=", "BwX+/b8=", false},
		{"BwX+/a8=", "", false},
		{"not base64!", "not base64?", false},
	} {
		if got := etagsEqual(tc.a, tc.b); got != tc.want {
			t.Errorf("etagsEqual(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestDelegatesForms: Google accepts a delegate as the resource name, a bare
// email (what gcloud sends for --impersonate-service-account=A,B) or a unique
// ID; the chain is authorized the same way whichever form names it.
func TestDelegatesForms(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, credService, true)
	admin, user := e.sa(t, "fedctl-admin"), e.sa(t, "fedctl-alice")
	e.grant(t, e.onSA(admin), dpTokenCreator, "user:verifier@example.com")
	e.grant(t, e.onSA(user), dpTokenCreator, "serviceAccount:"+admin.Email)
	e.auditOn(t, "iam.googleapis.com", "ADMIN_READ")
	svc := e.credClient(t, e.tokenFor("user:verifier@example.com"))
	for form, d := range map[string]string{
		"resource name":           "projects/-/serviceAccounts/" + admin.Email,
		"bare email":              admin.Email,
		"unique id":               admin.UniqueID,
		"resource with unique id": "projects/-/serviceAccounts/" + admin.UniqueID,
	} {
		resp, err := svc.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+user.Email,
			&iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}, Delegates: []string{d}}).Do()
		if err != nil {
			t.Errorf("%s %q: %v", form, d, err)
			continue
		}
		id := e.identityOf(t, resp.AccessToken)
		if id.Principal != "serviceAccount:"+user.Email || len(id.Chain) != 2 || id.Chain[1] != "serviceAccount:"+admin.Email {
			t.Errorf("%s: token identity %+v, want alice via the admin", form, id)
		}
	}
	// The audit entry names every delegate in the resource form.
	entries := e.entries(t, "GenerateAccessToken")
	if len(entries) != 4 {
		t.Fatalf("%d GenerateAccessToken entries, want 4", len(entries))
	}
	for _, en := range entries {
		first, _ := dpDig(en, "protoPayload", "metadata", "identityDelegationChain", 0).(string)
		if !strings.HasPrefix(first, "projects/-/serviceAccounts/") {
			t.Errorf("identityDelegationChain[0] = %q, want the resource form", first)
		}
	}
	// A bare delegate still needs the grant: the verifier holds nothing on alice.
	_, err := svc.Projects.ServiceAccounts.GenerateAccessToken("projects/-/serviceAccounts/"+admin.Email,
		&iamcredentials.GenerateAccessTokenRequest{Scope: []string{dpScope}, Delegates: []string{user.Email}}).Do()
	if dpCode(err) != 403 {
		t.Errorf("ungranted bare delegate: %v, want 403", err)
	}
}

// TestBigQueryErrorsArrayOnEveryStatus: BigQuery's errors carry errors[]
// always, its 401s included (reason required / authError, location
// Authorization), through both Go BigQuery clients.
func TestBigQueryErrorsArrayOnEveryStatus(t *testing.T) {
	e := dpNew(t, 0)
	e.enable(t, bqService, true)
	check := func(label string, err error, code int, reason string) {
		t.Helper()
		var ge *googleapi.Error
		if !errors.As(err, &ge) {
			t.Fatalf("%s: %T %v, want *googleapi.Error", label, err, err)
		}
		if ge.Code != code || len(ge.Errors) != 1 || ge.Errors[0].Reason != reason {
			t.Fatalf("%s: %d %+v, want %d with errors[0].reason %q", label, ge.Code, ge.Errors, code, reason)
		}
		if code == 401 && ge.Errors[0].Message == "" {
			t.Errorf("%s: errors[0] has no message", label)
		}
	}
	_, err := e.bqDiscovery(t, "ya29.bogus").Jobs.Query(dpProject, nil).Do()
	check("bad token (discovery client)", err, 401, "authError")

	anon, err := bqNoAuth(e)
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Jobs.Query(dpProject, nil).Do()
	check("no credentials", err, 401, "required")

	_, err = e.bqClient(t, "ya29.bogus").Query("SELECT 1").Read(dpCtx)
	check("bad token (cloud.google.com/go/bigquery)", err, 401, "authError")

	_, err = e.bqDiscovery(t, e.Token).Jobs.Query("no-such-project", nil).Do()
	check("missing project", err, 404, "notFound")
}

func bqNoAuth(e *dpEnv) (*bq.Service, error) {
	return bq.NewService(dpCtx, option.WithEndpoint(e.Endpoint+"bigquery/bigquery/v2/"), option.WithoutAuthentication())
}
