package gcp

import (
	"context"
	"net/http"
	"testing"

	"cloud.google.com/go/bigquery"

	"golang.org/x/oauth2"
)

// BigQuery with an explicit token source: the query authenticates as that
// identity (a minted, impersonated token), at the overridden REST endpoint
// only — no Storage Read API.
func TestBigQueryWithTokenSource(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) { reply(w, 200, queryResponse) })
	c, _ := newTestClient(t, f, nil)
	bq, err := c.BigQuery(context.Background(), "p", oauth2.StaticTokenSource(&oauth2.Token{AccessToken: "ya29.alice-as-runner"}))
	if err != nil {
		t.Fatal(err)
	}
	defer bq.Close()
	q := bq.Query("SELECT 1")
	it, err := q.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var row []bigquery.Value
	if err := it.Next(&row); err != nil || len(row) != 1 || row[0] != int64(1) {
		t.Errorf("row = %v, %v; want [1]", row, err)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].Path != "/bigquery/bigquery/v2/projects/p/queries" || reqs[0].Auth != "Bearer ya29.alice-as-runner" {
		t.Errorf("requests = %+v", reqs)
	}
}
