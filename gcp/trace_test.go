package gcp

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

func TestMask(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"ya29.c.averylongaccesstoken", "ya29.c.a…"},
		{"abcdefghij", "abcde…"}, // short secrets show at most half
		{"ab", "a…"},
		{"x", "…"},
	} {
		if got := Mask(tc.in); got != tc.want {
			t.Errorf("Mask(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMaskBodies(t *testing.T) {
	in := `{"accessToken":"ya29.secretsecret","expireTime":"x","privateKeyData":"TUlJRXZRSUJBREFOQmdr","nested":{"private_key":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END"},"access_token" : "ya29.other-secret"}`
	out := maskJSON(in)
	for _, secret := range []string{"ya29.secretsecret", "TUlJRXZRSUJBREFOQmdr", "MIIE", "ya29.other-secret"} {
		if strings.Contains(out, secret) {
			t.Errorf("maskJSON left %q in %s", secret, out)
		}
	}
	if !strings.Contains(out, `"accessToken":"ya29.sec…"`) || !strings.Contains(out, `"expireTime":"x"`) {
		t.Errorf("maskJSON = %s", out)
	}
	form := maskForm("grant_type=urn%3Ax&assertion=eyJhbGciOi.payload.sig&subject_token=eyJsubject")
	if strings.Contains(form, "payload") || strings.Contains(form, "eyJsubject") || !strings.Contains(form, "grant_type=urn%3Ax") {
		t.Errorf("maskForm = %s", form)
	}
	if got := maskAuthorization("Bearer ya29.abcdefghijkl"); got != "Bearer ya29.abc…" {
		t.Errorf("maskAuthorization = %q", got)
	}
}

// TestTraceMasksSecrets runs real calls whose requests and responses carry
// every kind of secret and checks the trace shows the exchange but none of
// them.
func TestTraceMasksSecrets(t *testing.T) {
	const (
		minted  = "ya29.c.minted-secret-token-value"
		keyData = `{"type":"service_account","private_key":"-----BEGIN PRIVATE KEY-----\nSECRETKEYMATERIAL\n-----END PRIVATE KEY-----\n"}`
	)
	encodedKey := base64.StdEncoding.EncodeToString([]byte(keyData))
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		switch {
		case strings.HasSuffix(r.Path, ":generateAccessToken"):
			reply(w, 200, fmt.Sprintf(`{"accessToken":%q,"expireTime":"2030-01-01T00:00:00Z"}`, minted))
		case strings.HasSuffix(r.Path, "/keys"):
			reply(w, 200, fmt.Sprintf(`{"name":"k","privateKeyData":%q}`, encodedKey))
		default:
			reply(w, 404, gaiaNotFoundBody)
		}
	})
	var trace bytes.Buffer
	c, _ := newTestClient(t, f, func(cfg *Config) {
		cfg.Trace = &trace
		cfg.AccessToken = "ya29.operator-secret-token"
	})
	ctx := context.Background()
	if _, err := c.GenerateAccessToken(ctx, "a@p.iam.gserviceaccount.com", nil, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateKey(ctx, "a@p.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetProject(ctx, "p"); !IsNotFound(err) {
		t.Fatalf("GetProject err = %v", err)
	}

	out := trace.String()
	for _, secret := range []string{minted, encodedKey, "SECRETKEYMATERIAL", "ya29.operator-secret-token"} {
		if strings.Contains(out, secret) {
			t.Errorf("trace leaks %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"--> POST " + f.URL + "/iamcredentials/v1/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:generateAccessToken?alt=json&prettyPrint=false\n",
		"    Authorization: Bearer ya29.ope…\n",
		`"accessToken":"ya29.c.m…"`,
		`"privateKeyData":"` + encodedKey[:8] + "…",
		"--> GET " + f.URL + "/cloudresourcemanager/v1/projects/p?",
		"Gaia id not found", // error bodies are shown
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if !regexp.MustCompile(`(?m)^<-- 200 OK \(\d+ms\) POST `).MatchString(out) || !regexp.MustCompile(`(?m)^<-- 404 Not Found \(\d+ms\) GET `).MatchString(out) {
		t.Errorf("trace lacks response lines:\n%s", out)
	}
}

func TestTraceMasksQueryTokens(t *testing.T) {
	if got := maskURL("http://h/oauth2/tokeninfo?access_token=ya29.secret-value&x=1"); got != "http://h/oauth2/tokeninfo?access_token=ya29.sec…&x=1" {
		t.Errorf("maskURL = %q", got)
	}
}
