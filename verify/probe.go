package verify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"cloud.google.com/go/bigquery"
	"golang.org/x/oauth2"
	"google.golang.org/api/iterator"

	"github.com/fedctl/fedctl/gcp"
)

// runProbe runs the probe query with the minted token: a session that can
// mint but not query would still not work.
func (u *userRun) runProbe(ctx context.Context) {
	r := u.r
	rows, err := r.query(ctx, u.token)
	if err != nil && gcp.IsPermissionDenied(err) && !gcp.IsServiceDisabled(err) {
		// A static row that explains the denial is the cause: no wait.
		if q := r.queryPermission(ctx); q.known && !q.ok {
			set(&u.probe, Fail, "access denied: "+q.seen+": "+gcp.Classify(err).Message, r.queryFix())
			return
		}
	}
	if err != nil && gcp.IsPermissionDenied(err) && !gcp.IsServiceDisabled(err) && u.roles.Status == Pass {
		// The policy shows the data roles: IAM is still propagating them.
		var waited time.Duration
		err = r.retryPropagation(ctx, &waited, func() (err error) { rows, err = r.query(ctx, u.token); return err })
		if err == nil {
			set(&u.probe, Pass, fmt.Sprintf("%q ran as %s (%d row(s); granted, not yet propagated: it took %s)",
				r.opts.ProbeQuery, u.id.Email, rows, waited), "")
			return
		}
		if gcp.IsPermissionDenied(err) {
			set(&u.probe, Fail, fmt.Sprintf("granted, not yet propagated: the data roles are in the policy, but BigQuery still denies after %s: %s",
				waited, gcp.Classify(err).Message), "wait a few minutes, then: "+r.verifyCommand(u.email, "--wait 10m"))
			return
		}
	}
	if err == nil {
		set(&u.probe, Pass, fmt.Sprintf("%q ran as %s (%d row(s))", r.opts.ProbeQuery, u.id.Email, rows), "")
		return
	}
	e := gcp.Classify(err)
	switch {
	case transient(err):
		set(&u.probe, Unchecked, "cannot query: "+errText(err), fixForReadError(err, r.project))
	case e.Kind == gcp.KindServiceDisabled || e.Reason == "accessNotConfigured":
		set(&u.probe, Fail, "SERVICE_DISABLED: bigquery.googleapis.com is not enabled in "+r.project, fixEnableAPI(r.project, "bigquery.googleapis.com"))
	case e.Kind == gcp.KindPermissionDenied:
		fix := u.roles.Fix
		if fix == "" {
			fix = fixGrantOnProject(r.project, u.member, r.cfg.Roles())
		}
		set(&u.probe, Fail, "access denied: "+e.Message, fix)
	default:
		set(&u.probe, Fail, e.Error(), "")
	}
}

// query runs the probe query as the token's identity and counts its rows.
func (r *runner) query(ctx context.Context, tok *gcp.Token) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, r.opts.ProbeTimeout)
	defer cancel()
	ts := oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok.AccessToken, TokenType: "Bearer", Expiry: tok.Expiry})
	bq, err := r.c.BigQuery(ctx, r.project, ts)
	if err != nil {
		return 0, err
	}
	defer bq.Close()
	q := bq.Query(r.opts.ProbeQuery)
	it, err := q.Read(ctx)
	if err != nil {
		return 0, err
	}
	var row []bigquery.Value
	switch err := it.Next(&row); {
	case errors.Is(err, iterator.Done):
		return 0, nil
	case err != nil:
		return 0, err
	}
	return int64(it.TotalRows), nil
}
