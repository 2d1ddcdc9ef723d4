package gcp

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCreateServiceAccountWire(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, `{"name":"projects/p/serviceAccounts/runner@p.iam.gserviceaccount.com","projectId":"p","uniqueId":"104523627489021847156","email":"runner@p.iam.gserviceaccount.com","displayName":"Runner","description":"d","etag":"MDEwMjE5MjA=","oauth2ClientId":"104523627489021847156"}`)
	})
	c, _ := newTestClient(t, f, nil)
	sa, err := c.CreateServiceAccount(context.Background(), "p", "runner", "Runner", "d")
	if err != nil {
		t.Fatal(err)
	}
	want := ServiceAccount{Email: "runner@p.iam.gserviceaccount.com", UniqueID: "104523627489021847156", DisplayName: "Runner", Description: "d", Project: "p"}
	if *sa != want {
		t.Errorf("sa = %+v", sa)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/iam/v1/projects/p/serviceAccounts" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	var body map[string]any
	_ = json.Unmarshal([]byte(r.Body), &body)
	wantBody := map[string]any{"accountId": "runner", "serviceAccount": map[string]any{"displayName": "Runner", "description": "d"}}
	if fmt.Sprint(body) != fmt.Sprint(wantBody) {
		t.Errorf("body = %s", r.Body)
	}
}

func TestGetAndDeleteServiceAccount(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		if r.Method == "DELETE" {
			reply(w, 200, `{}`)
			return
		}
		reply(w, 404, `{"error":{"code":404,"message":"Unknown service account","status":"NOT_FOUND"}}`)
	})
	c, _ := newTestClient(t, f, nil)
	_, err := c.GetServiceAccount(context.Background(), "gone@p.iam.gserviceaccount.com")
	if !IsNotFound(err) {
		t.Errorf("err = %v, want not found", err)
	}
	if err := c.DeleteServiceAccount(context.Background(), "x@p.example.com.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"GET /iam/v1/projects/p/serviceAccounts/gone@p.iam.gserviceaccount.com",
		// A domain-scoped project cannot be recovered from the email.
		"DELETE /iam/v1/projects/-/serviceAccounts/x@p.example.com.iam.gserviceaccount.com",
	}
	if got := f.paths(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("paths = %q", got)
	}
}

func TestListServiceAccountsFollowsPages(t *testing.T) {
	pages := map[string]string{
		"":   `{"accounts":[{"email":"a@p.iam.gserviceaccount.com"},{"email":"b@p.iam.gserviceaccount.com"}],"nextPageToken":"t1"}`,
		"t1": `{"accounts":[{"email":"c@p.iam.gserviceaccount.com"}],"nextPageToken":"t2"}`,
		"t2": `{"accounts":[{"email":"d@p.iam.gserviceaccount.com","disabled":true}]}`,
	}
	var tokens []string
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		q, _ := url.ParseQuery(r.Query)
		tokens = append(tokens, q.Get("pageToken"))
		reply(w, 200, pages[q.Get("pageToken")])
	})
	c, _ := newTestClient(t, f, nil)
	var got []string
	err := c.ListServiceAccounts(context.Background(), "p", func(sa *ServiceAccount) error {
		got = append(got, fmt.Sprintf("%s:%v", sa.Email, sa.Disabled))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a@p.iam.gserviceaccount.com:false,b@p.iam.gserviceaccount.com:false,c@p.iam.gserviceaccount.com:false,d@p.iam.gserviceaccount.com:true" {
		t.Errorf("listed %v", got)
	}
	if strings.Join(tokens, ",") != ",t1,t2" {
		t.Errorf("page tokens sent = %q", tokens)
	}

	// The callback's error stops the listing at once.
	stop := errors.New("enough")
	tokens = nil
	n := 0
	err = c.ListServiceAccounts(context.Background(), "p", func(*ServiceAccount) error { n++; return stop })
	if err != stop || n != 1 || len(tokens) != 1 {
		t.Errorf("err=%v calls=%d pages=%d", err, n, len(tokens))
	}
}

func TestListKeys(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, `{"keys":[{"name":"projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/1f3c","validAfterTime":"2024-01-01T00:00:00Z","validBeforeTime":"9999-12-31T23:59:59Z","keyAlgorithm":"KEY_ALG_RSA_2048","keyOrigin":"GOOGLE_PROVIDED","keyType":"USER_MANAGED"}]}`)
	})
	c, _ := newTestClient(t, f, nil)
	keys, err := c.ListKeys(context.Background(), "a@p.iam.gserviceaccount.com", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].KeyType != "USER_MANAGED" || !keys[0].ValidAfter.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) || keys[0].ValidBefore.Year() != 9999 {
		t.Errorf("keys = %+v", keys[0])
	}
	if _, err := c.ListKeys(context.Background(), "a@p.iam.gserviceaccount.com", false); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if reqs[0].Path != "/iam/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys" ||
		!strings.Contains(reqs[0].Query, "keyTypes=USER_MANAGED") || strings.Contains(reqs[1].Query, "keyTypes") {
		t.Errorf("queries = %q / %q", reqs[0].Query, reqs[1].Query)
	}
}

func TestCreateKeyDecodesKeyFile(t *testing.T) {
	keyFile := `{"type":"service_account","client_email":"a@p.iam.gserviceaccount.com"}`
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 200, fmt.Sprintf(`{"name":"projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys/k1","privateKeyType":"TYPE_GOOGLE_CREDENTIALS_FILE","privateKeyData":%q,"keyType":"USER_MANAGED"}`,
			base64.StdEncoding.EncodeToString([]byte(keyFile))))
	})
	c, _ := newTestClient(t, f, nil)
	got, err := c.CreateKey(context.Background(), "a@p.iam.gserviceaccount.com")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != keyFile {
		t.Errorf("key file = %s", got)
	}
	r := f.requests()[0]
	if r.Method != "POST" || r.Path != "/iam/v1/projects/p/serviceAccounts/a@p.iam.gserviceaccount.com/keys" || strings.TrimSpace(r.Body) != "{}" {
		t.Errorf("request = %s %s %s", r.Method, r.Path, r.Body)
	}
}
