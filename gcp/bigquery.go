package gcp

import (
	"context"
	"fmt"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
)

// BigQuery returns a cloud.google.com/go/bigquery client for project that
// authenticates with ts (nil: the Client's own credentials), at
// ENDPOINT/bigquery/bigquery/v2/ in override mode.
//
// It speaks REST only: the BigQuery Storage Read API (gRPC, which the
// endpoint override cannot reach) is opt-in through
// (*bigquery.Client).EnableStorageReadClient, and fedctl never enables it;
// query results are read through jobs.query / jobs.getQueryResults.
func (c *Client) BigQuery(ctx context.Context, project string, ts oauth2.TokenSource) (*bigquery.Client, error) {
	hc := c.httpClient
	if ts != nil {
		hc = c.authClient(ts)
	}
	bq, err := bigquery.NewClient(ctx, project, c.clientOptions(hc, bigQueryBase)...)
	if err != nil {
		return nil, fmt.Errorf("bigquery client for %s: %w", project, err)
	}
	return bq, nil
}
