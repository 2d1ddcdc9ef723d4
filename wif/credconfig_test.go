package wif

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/google"
)

const testAudience = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/q"

func TestCredConfigMatchesGcloud(t *testing.T) {
	b, err := CredConfig(CredConfigOptions{Audience: testAudience, ServiceAccount: "runner@proj.iam.gserviceaccount.com",
		File: "/var/run/token", TokenLifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	// What `gcloud iam workload-identity-pools create-cred-config
	// --service-account=… --credential-source-file=… --service-account-token-lifetime-seconds=3600` writes.
	want := `{
  "universe_domain": "googleapis.com",
  "type": "external_account",
  "audience": "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/p/providers/q",
  "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
  "token_url": "https://sts.googleapis.com/v1/token",
  "credential_source": {
    "file": "/var/run/token",
    "format": {
      "type": "text"
    }
  },
  "service_account_impersonation_url": "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/runner@proj.iam.gserviceaccount.com:generateAccessToken",
  "service_account_impersonation": {
    "token_lifetime_seconds": 3600
  }
}
`
	if string(b) != want {
		t.Errorf("got:\n%s\nwant:\n%s", b, want)
	}
}

func TestCredConfigURLSourceDirectAndRewrite(t *testing.T) {
	b, err := CredConfig(CredConfigOptions{Audience: testAudience, URL: "http://169.254.169.254/token",
		Headers: map[string]string{"Metadata": "true"}, JSONField: "access_token",
		RewriteURL: func(s string) string { return strings.Replace(s, "https://sts.googleapis.com/", "http://emu/sts/", 1) }})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	src := m["credential_source"].(map[string]any)
	format := src["format"].(map[string]any)
	if src["url"] != "http://169.254.169.254/token" || src["headers"].(map[string]any)["Metadata"] != "true" ||
		format["type"] != "json" || format["subject_token_field_name"] != "access_token" {
		t.Errorf("credential_source = %v", src)
	}
	if m["token_url"] != "http://emu/sts/v1/token" {
		t.Errorf("token_url = %v", m["token_url"])
	}
	if _, ok := m["service_account_impersonation_url"]; ok {
		t.Error("direct federation must not impersonate")
	}
	for _, bad := range []CredConfigOptions{
		{File: "f"}, {Audience: testAudience}, {Audience: testAudience, File: "f", URL: "u"},
		{Audience: testAudience, File: "f", ServiceAccount: "s", TokenLifetime: time.Minute},
	} {
		if _, err := CredConfig(bad); err == nil {
			t.Errorf("CredConfig(%+v) succeeded", bad)
		}
	}
}

// TestCredConfigDrivesGoogleAuth loads the file with
// golang.org/x/oauth2/google and checks the two requests it makes: the STS
// exchange of the file's token and the impersonation with the STS token.
func TestCredConfigDrivesGoogleAuth(t *testing.T) {
	var stsForm url.Values
	var impersonationAuth string
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sts/v1/token", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		stsForm, _ = url.ParseQuery(string(b))
		io.WriteString(w, `{"access_token":"federated","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("POST /iamcredentials/v1/projects/-/serviceAccounts/runner@proj.iam.gserviceaccount.com:generateAccessToken",
		func(w http.ResponseWriter, r *http.Request) {
			impersonationAuth = r.Header.Get("Authorization")
			io.WriteString(w, `{"accessToken":"sa-token","expireTime":"`+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)+`"}`)
		})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte("subject-jwt\n"), 0o600)
	b, err := CredConfig(CredConfigOptions{Audience: testAudience, ServiceAccount: "runner@proj.iam.gserviceaccount.com", File: tokenFile,
		RewriteURL: func(s string) string {
			s = strings.Replace(s, "https://sts.googleapis.com/", srv.URL+"/sts/", 1)
			return strings.Replace(s, "https://iamcredentials.googleapis.com/", srv.URL+"/iamcredentials/", 1)
		}})
	if err != nil {
		t.Fatal(err)
	}
	creds, err := google.CredentialsFromJSON(context.Background(), b, "https://www.googleapis.com/auth/cloud-platform")
	if err != nil {
		t.Fatalf("google.CredentialsFromJSON: %v", err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		t.Fatalf("Token: %v", err)
	}
	if tok.AccessToken != "sa-token" {
		t.Errorf("token = %q, want the impersonated one", tok.AccessToken)
	}
	if stsForm.Get("subject_token") != "subject-jwt" || stsForm.Get("audience") != testAudience ||
		stsForm.Get("subject_token_type") != SubjectTokenTypeJWT {
		t.Errorf("STS form = %v", stsForm)
	}
	if impersonationAuth != "Bearer federated" {
		t.Errorf("impersonation Authorization = %q", impersonationAuth)
	}
}
