package gcp

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"cloud.google.com/go/bigquery"
	"google.golang.org/api/iterator"
	logging "google.golang.org/api/logging/v2"
	sts "google.golang.org/api/sts/v1"
)

func TestNormaliseEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{"", "", ""},
		{"http://127.0.0.1:8086", "http://127.0.0.1:8086/", ""},
		{"http://127.0.0.1:8086/", "http://127.0.0.1:8086/", ""},
		{" https://emu.example/root ", "https://emu.example/root/", ""},
		{"127.0.0.1:8086", "", "full http"},
		{"ftp://x/", "", "full http"},
		{"http://x/?a=b", "", "no query"},
	} {
		got, err := normaliseEndpoint(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("normaliseEndpoint(%q) error = %v, want it to mention %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("normaliseEndpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestServiceURL(t *testing.T) {
	const ep = "http://127.0.0.1:8086/"
	for _, tc := range []struct{ in, want string }{
		{"https://oauth2.googleapis.com/token", ep + "oauth2/token"},
		{"https://oauth2.googleapis.com/tokeninfo?access_token=x", ep + "oauth2/tokeninfo?access_token=x"},
		{"https://sts.googleapis.com/v1/token", ep + "sts/v1/token"},
		{"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:generateAccessToken",
			ep + "iamcredentials/v1/projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:generateAccessToken"},
		{"https://bigquery.googleapis.com/bigquery/v2/", ep + "bigquery/bigquery/v2/"},
		{"https://iam.googleapis.com/", ep + "iam/"},
		{"https://accounts.google.com/o/oauth2/token", ep + "oauth2/token"},
		{"https://www.googleapis.com/oauth2/v4/token", ep + "oauth2/token"},
		{"https://token.actions.githubusercontent.com", "https://token.actions.githubusercontent.com"},
		{"https://evil.googleapis.com.attacker.example/x", "https://evil.googleapis.com.attacker.example/x"},
	} {
		if got := serviceURL(ep, tc.in); got != tc.want {
			t.Errorf("ServiceURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := serviceURL("", tc.in); got != tc.in {
			t.Errorf("production ServiceURL(%q) = %q, want it unchanged", tc.in, got)
		}
	}
}

// queryResponse is gcp-wire §9.3's jobs.query answer for SELECT 1.
const queryResponse = `{ "kind": "bigquery#queryResponse",
  "schema": {"fields": [{"name": "f0_", "type": "INTEGER", "mode": "NULLABLE"}]},
  "jobReference": {"projectId": "p", "jobId": "job_AbC123", "location": "US"},
  "totalRows": "1",
  "rows": [ {"f": [ {"v": "1"} ]} ],
  "totalBytesProcessed": "0",
  "jobComplete": true,
  "cacheHit": false,
  "queryId": "job_AbC123" }`

// layoutHandler answers every API the layout test calls with a minimal
// valid body.
func layoutHandler(w http.ResponseWriter, r *request) {
	switch {
	case strings.HasSuffix(r.Path, ":generateAccessToken"):
		reply(w, 200, `{"accessToken":"ya29.minted","expireTime":"2030-01-01T00:00:00Z"}`)
	case r.Path == "/cloudresourcemanager/v1/projects/p":
		reply(w, 200, `{"projectId":"p","projectNumber":"123456789012","lifecycleState":"ACTIVE","name":"P"}`)
	case strings.HasSuffix(r.Path, "/queries"):
		reply(w, 200, queryResponse)
	case r.Path == "/sts/v1/token":
		reply(w, 200, `{"access_token":"ya29.sts","issued_token_type":"urn:ietf:params:oauth:token-type:access_token","token_type":"Bearer","expires_in":3599}`)
	default:
		reply(w, 200, `{}`)
	}
}

// TestEndpointLayout drives every generated client (and the BigQuery
// client) through the override and checks the SPEC §4 paths Google's
// production URLs map to, the bearer token and the user agent.
func TestEndpointLayout(t *testing.T) {
	f := newFakeGoogle(t, layoutHandler)
	c, _ := newTestClient(t, f, nil)
	ctx := context.Background()
	const sa = "sa@p.iam.gserviceaccount.com"

	if _, err := c.serviceUsage.Services.Get("projects/p/services/iam.googleapis.com").Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetProject(ctx, "p"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetServiceAccount(ctx, sa); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GenerateAccessToken(ctx, sa, nil, nil, 0, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.stsAPI.V1.Token(&sts.GoogleIdentityStsV1ExchangeTokenRequest{GrantType: "urn:ietf:params:oauth:grant-type:token-exchange"}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.loggingAPI.Entries.List(&logging.ListLogEntriesRequest{ResourceNames: []string{"projects/p"}}).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.bigQueryAPI.Datasets.Get("p", "audit").Do(); err != nil {
		t.Fatal(err)
	}
	bq, err := c.BigQuery(ctx, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	q := bq.Query("SELECT 1")
	it, err := q.Read(ctx)
	if err != nil {
		t.Fatalf("BigQuery query: %v", err)
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil {
		t.Fatalf("reading the row: %v", err)
	}
	if len(row) != 1 || row[0] != int64(1) {
		t.Errorf("row = %v, want [1]", row)
	}
	if err := it.Next(&row); err != iterator.Done {
		t.Errorf("second Next = %v, want iterator.Done", err)
	}

	want := []string{
		"GET /serviceusage/v1/projects/p/services/iam.googleapis.com",
		"GET /cloudresourcemanager/v1/projects/p",
		"GET /iam/v1/projects/p/serviceAccounts/" + sa,
		"POST /iamcredentials/v1/projects/-/serviceAccounts/" + sa + ":generateAccessToken",
		"POST /sts/v1/token",
		"POST /logging/v2/entries:list",
		"GET /bigquery/bigquery/v2/projects/p/datasets/audit",
		"POST /bigquery/bigquery/v2/projects/p/queries",
	}
	got := f.paths()
	if !slices.Equal(got, want) {
		t.Errorf("request paths:\n got %q\nwant %q", got, want)
	}
	for _, r := range f.requests() {
		if r.Auth != "Bearer operator-token" {
			t.Errorf("%s %s: Authorization = %q, want the access token", r.Method, r.Path, r.Auth)
		}
		if !strings.HasPrefix(r.UA, "fedctl/test") {
			t.Errorf("%s %s: User-Agent = %q, want it to start with fedctl/test", r.Method, r.Path, r.UA)
		}
	}
}

// Without FEDCTL_ACCESS_TOKEN the override sends no Authorization at all and
// looks up no credentials.
func TestOverrideWithoutTokenSendsNoAuthorization(t *testing.T) {
	f := newFakeGoogle(t, layoutHandler)
	c, _ := newTestClient(t, f, func(cfg *Config) { cfg.AccessToken = "" })
	if _, err := c.GetProject(context.Background(), "p"); err != nil {
		t.Fatal(err)
	}
	bq, err := c.BigQuery(context.Background(), "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	if _, err := bq.Query("SELECT 1").Read(context.Background()); err != nil {
		t.Fatal(err)
	}
	reqs := f.requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want 2: %v", len(reqs), f.paths())
	}
	for _, r := range reqs {
		if r.Auth != "" {
			t.Errorf("%s: Authorization = %q, want none", r.Path, r.Auth)
		}
	}
}
