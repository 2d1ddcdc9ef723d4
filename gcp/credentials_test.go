package gcp

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

func TestGenerateAccessTokenWire(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, `{"accessToken":"ya29.c.minted","expireTime":"2021-08-26T00:57:30Z"}`)
	})
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()

	tok, err := c.GenerateAccessToken(ctx, "target@p.iam.gserviceaccount.com", []string{"hop@p.iam.gserviceaccount.com"}, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken != "ya29.c.minted" || !tok.Expiry.Equal(time.Date(2021, 8, 26, 0, 57, 30, 0, time.UTC)) {
		t.Errorf("token = %+v", tok)
	}
	// With an explicit scope and lifetime, as another identity.
	as := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "federated-token"})
	if _, err := c.GenerateAccessToken(ctx, "target@p.iam.gserviceaccount.com", nil, []string{"https://www.googleapis.com/auth/bigquery"}, 10*time.Minute, as); err != nil {
		t.Fatal(err)
	}
	// The Client's own identity is unchanged afterwards.
	if _, err := c.GenerateAccessToken(ctx, "target@p.iam.gserviceaccount.com", nil, nil, 0, nil); err != nil {
		t.Fatal(err)
	}

	reqs := f.requests()
	type body struct {
		Delegates []string `json:"delegates"`
		Scope     []string `json:"scope"`
		Lifetime  string   `json:"lifetime"`
	}
	var b0, b1 body
	_ = json.Unmarshal([]byte(reqs[0].Body), &b0)
	_ = json.Unmarshal([]byte(reqs[1].Body), &b1)
	if reqs[0].Path != "/iamcredentials/v1/projects/-/serviceAccounts/target@p.iam.gserviceaccount.com:generateAccessToken" {
		t.Errorf("path = %s", reqs[0].Path)
	}
	if !slices.Equal(b0.Delegates, []string{"projects/-/serviceAccounts/hop@p.iam.gserviceaccount.com"}) ||
		!slices.Equal(b0.Scope, []string{cloudPlatformScope}) || b0.Lifetime != "3600s" {
		t.Errorf("first body = %s", reqs[0].Body)
	}
	if b1.Delegates != nil || !slices.Equal(b1.Scope, []string{"https://www.googleapis.com/auth/bigquery"}) || b1.Lifetime != "600s" {
		t.Errorf("second body = %s", reqs[1].Body)
	}
	if got := []string{reqs[0].Auth, reqs[1].Auth, reqs[2].Auth}; !slices.Equal(got, []string{"Bearer operator-token", "Bearer federated-token", "Bearer operator-token"}) {
		t.Errorf("Authorization per call = %q", got)
	}
}

func TestGenerateAccessTokenBadExpireTime(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, `{"accessToken":"x","expireTime":"tomorrow"}`)
	})
	c, _ := newTestClient(t, f, nil)
	if _, err := c.GenerateAccessToken(context.Background(), "a@p.iam.gserviceaccount.com", nil, nil, 0, nil); err == nil || !strings.Contains(err.Error(), "expireTime") {
		t.Errorf("err = %v, want a bad expireTime error", err)
	}
}

// --impersonate-service-account in override mode: tokens are minted through
// the overridden iamcredentials with the operator's token, used for the API
// calls, reused while fresh and re-minted before they expire.
func TestImpersonationMintsThroughOwnIAMCredentials(t *testing.T) {
	var mints atomic.Int32
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		if strings.HasSuffix(r.Path, ":generateAccessToken") {
			n := mints.Add(1)
			life := time.Hour
			if n == 1 {
				life = time.Minute // inside the early-expiry window: re-mint on next use
			}
			reply(w, 200, fmt.Sprintf(`{"accessToken":"ya29.minted-%d","expireTime":%q}`, n, time.Now().Add(life).UTC().Format(time.RFC3339)))
			return
		}
		reply(w, 200, `{"projectId":"p","projectNumber":"1"}`)
	})
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.ImpersonateServiceAccount = "admin@p.iam.gserviceaccount.com" })
	for range 3 {
		if _, err := c.GetProject(context.Background(), "p"); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range f.requests() {
		got = append(got, r.Path+" "+r.Auth)
	}
	mint := "/iamcredentials/v1/projects/-/serviceAccounts/admin@p.iam.gserviceaccount.com:generateAccessToken Bearer operator-token"
	want := []string{
		mint,
		"/cloudresourcemanager/v1/projects/p Bearer ya29.minted-1",
		mint,
		"/cloudresourcemanager/v1/projects/p Bearer ya29.minted-2",
		"/cloudresourcemanager/v1/projects/p Bearer ya29.minted-2",
	}
	if !slices.Equal(got, want) {
		t.Errorf("requests:\n got %q\nwant %q", got, want)
	}
}

// testKeyFile is a service-account key file with a fresh RSA key.
func testKeyFile(t *testing.T, tokenURI string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	kf := map[string]string{
		"type":           "service_account",
		"project_id":     "p",
		"private_key_id": "k1",
		"private_key":    string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":   "keyed@p.iam.gserviceaccount.com",
		"client_id":      "104523627489021847156",
		"token_uri":      tokenURI,
	}
	b, _ := json.Marshal(kf)
	return b
}

func TestTokenSourceFromKeyFileUsesOverriddenTokenURI(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		if r.Path == "/oauth2/token" {
			reply(w, 200, `{"access_token":"ya29.from-key-file-token","token_type":"Bearer","expires_in":3600}`)
			return
		}
		reply(w, 200, `{"accessToken":"x","expireTime":"2030-01-01T00:00:00Z"}`)
	})
	var trace bytes.Buffer
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.Trace = &trace })
	ts, err := c.TokenSourceFromKeyFile(context.Background(), testKeyFile(t, "https://oauth2.googleapis.com/token"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenerateAccessToken(context.Background(), "target@p.iam.gserviceaccount.com", nil, nil, 0, ts); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 || reqs[0].Path != "/oauth2/token" || reqs[0].Method != "POST" {
		t.Fatalf("requests = %v, want the JWT grant at /oauth2/token first", f.paths())
	}
	form, _ := url.ParseQuery(reqs[0].Body)
	if form.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" || form.Get("assertion") == "" {
		t.Errorf("token request form = %v", form)
	}
	if reqs[0].Auth != "" {
		t.Errorf("the token request carried Authorization %q", reqs[0].Auth)
	}
	if reqs[1].Auth != "Bearer ya29.from-key-file-token" {
		t.Errorf("API call Authorization = %q", reqs[1].Auth)
	}
	// The grant and the token both went through the trace, masked.
	out := trace.String()
	if strings.Contains(out, form.Get("assertion")) || strings.Contains(out, "ya29.from-key-file-token") {
		t.Errorf("trace leaks the assertion or the token:\n%s", out)
	}
	if !strings.Contains(out, "--> POST "+f.URL+"/oauth2/token") {
		t.Errorf("trace lacks the token request:\n%s", out)
	}

	if _, err := c.TokenSourceFromKeyFile(context.Background(), []byte(`{"type":"authorized_user"}`)); err == nil {
		t.Error("a non-service-account file was accepted")
	}
}
