package gcp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/googleapis/gax-go/v2/apierror"
	"google.golang.org/api/googleapi"
	sts "google.golang.org/api/sts/v1"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Canned error bodies, verbatim from gcp-wire.md.
const (
	// §2.3: setIamPolicy with a stale etag.
	abortedBody = `{"error":{"code":409,
    "message":"There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.",
    "errors":[{"message":"There were concurrent policy changes. Please retry the whole read-modify-write with exponential backoff.","domain":"global","reason":"aborted"}],
    "status":"ABORTED"}}`

	// §3.3: an OnePlatform API that is disabled (ErrorInfo + LocalizedMessage + Help).
	serviceDisabledBody = `{
  "error": {
    "code": 403,
    "message": "Identity and Access Management (IAM) API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry.",
    "status": "PERMISSION_DENIED",
    "details": [
      {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": "SERVICE_DISABLED",
        "domain": "googleapis.com",
        "metadata": {
          "service": "iam.googleapis.com",
          "consumer": "projects/123456789012",
          "activationUrl": "https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012",
          "serviceTitle": "Identity and Access Management (IAM) API",
          "containerInfo": "123456789012"
        }
      },
      {
        "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
        "locale": "en-US",
        "message": "Identity and Access Management (IAM) API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012 then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
      },
      {
        "@type": "type.googleapis.com/google.rpc.Help",
        "links": [ { "description": "Google developers console API activation",
                     "url": "https://console.developers.google.com/apis/api/iam.googleapis.com/overview?project=123456789012" } ]
      }
    ]
  }
}`

	// §3.3 note: BigQuery (apiary era) adds errors[] accessNotConfigured.
	bqServiceDisabledBody = `{"error":{"code":403,
  "message":"BigQuery API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=123456789012 then retry.",
  "errors":[{"message":"BigQuery API has not been used in project 123456789012 before or it is disabled. Enable it by visiting https://console.developers.google.com/apis/api/bigquery.googleapis.com/overview?project=123456789012 then retry.","domain":"usageLimits","reason":"accessNotConfigured","extendedHelp":"https://console.developers.google.com"}],
  "status":"PERMISSION_DENIED"}}`

	// §6.1: missing Token Creator.
	permissionDeniedBody = `{"error":{"code":403,
    "message":"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).",
    "status":"PERMISSION_DENIED",
    "details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"IAM_PERMISSION_DENIED",
                "domain":"iam.googleapis.com","metadata":{"permission":"iam.serviceAccounts.getAccessToken"}}]}}`

	// §6.1: generateAccessToken for a missing SA.
	gaiaNotFoundBody = `{"error":{"code":404,"message":"Not found; Gaia id not found for email my-sa@my-proj.iam.gserviceaccount.com","status":"NOT_FOUND"}}`

	// §5.2: duplicate SA create.
	alreadyExistsBody = `{"error":{"code":409,
  "message":"Service account my-sa already exists within project projects/my-proj.",
  "errors":[{"message":"Service account my-sa already exists within project projects/my-proj.","domain":"global","reason":"alreadyExists"}],
  "status":"ALREADY_EXISTS",
  "details":[{"@type":"type.googleapis.com/google.rpc.ResourceInfo",
              "resourceName":"projects/my-proj/serviceAccounts/my-sa@my-proj.iam.gserviceaccount.com"}]}}`

	// §9.4: BigQuery job without bigquery.jobs.create.
	bqAccessDeniedBody = `{"error":{"code":403,
  "message":"Access Denied: Project my-proj: User does not have bigquery.jobs.create permission in project my-proj.",
  "errors":[{"message":"Access Denied: Project my-proj: User does not have bigquery.jobs.create permission in project my-proj.","domain":"global","reason":"accessDenied"}],
  "status":"PERMISSION_DENIED"}}`

	// §4.3: crm v1 project missing or hidden.
	crmForbiddenBody = `{"error":{"code":403,"message":"The caller does not have permission","errors":[{"message":"The caller does not have permission","domain":"global","reason":"forbidden"}],"status":"PERMISSION_DENIED"}}`

	// §7: STS OAuth-style error.
	stsUnauthorizedBody = `{"error":"unauthorized_client","error_description":"The given credential is rejected by the attribute condition."}`

	// §6.1: no credentials.
	credentialsMissingBody = `{"error":{"code":401,"message":"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.","status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"CREDENTIALS_MISSING","domain":"googleapis.com","metadata":{"service":"iamcredentials.googleapis.com","method":"google.iam.credentials.v1.IAMCredentials.GenerateAccessToken"}}]}}`

	// §11.2: an unknown URL.
	htmlNotFoundBody = `<!DOCTYPE html><html lang=en><title>Error 404 (Not Found)!!1</title>`
)

// TestClassifyGoogleBodies feeds each canned body to a real generated client
// and classifies what it returns.
func TestClassifyGoogleBodies(t *testing.T) {
	type want struct {
		kind                        Kind
		reason, permission, service string
		msg                         string // substring of Message
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		status int
		body   string
		call   func(*Client) error
		want   want
	}{
		{"aborted", 409, abortedBody,
			func(c *Client) error { _, err := c.ProjectPolicy("p").Set(ctx, &Policy{Etag: "x"}); return err },
			want{kind: KindAborted, reason: "aborted", msg: "concurrent policy changes"}},
		{"service disabled", 403, serviceDisabledBody,
			func(c *Client) error { _, err := c.GetServiceAccount(ctx, "a@p.iam.gserviceaccount.com"); return err },
			want{kind: KindServiceDisabled, reason: "SERVICE_DISABLED", service: "iam.googleapis.com", msg: "has not been used"}},
		{"bigquery service disabled", 403, bqServiceDisabledBody,
			func(c *Client) error { _, err := c.bigQueryAPI.Datasets.Get("p", "d").Do(); return err },
			want{kind: KindServiceDisabled, reason: "accessNotConfigured", service: "bigquery.googleapis.com", msg: "BigQuery API"}},
		{"iam permission denied", 403, permissionDeniedBody,
			func(c *Client) error {
				_, err := c.GenerateAccessToken(ctx, "a@p.iam.gserviceaccount.com", nil, nil, 0, nil)
				return err
			},
			want{kind: KindPermissionDenied, reason: "IAM_PERMISSION_DENIED", permission: "iam.serviceAccounts.getAccessToken", msg: "denied on resource"}},
		{"gaia id not found", 404, gaiaNotFoundBody,
			func(c *Client) error {
				_, err := c.GenerateAccessToken(ctx, "my-sa@my-proj.iam.gserviceaccount.com", nil, nil, 0, nil)
				return err
			},
			want{kind: KindNotFound, msg: "Gaia id not found"}},
		{"already exists", 409, alreadyExistsBody,
			func(c *Client) error { _, err := c.CreateServiceAccount(ctx, "my-proj", "my-sa", "", ""); return err },
			want{kind: KindAlreadyExists, reason: "alreadyExists", msg: "already exists within project"}},
		{"already exists by status only", 409, `{"error":{"code":409,"message":"Requested entity already exists","status":"ALREADY_EXISTS"}}`,
			func(c *Client) error { _, err := c.CreateServiceAccount(ctx, "my-proj", "my-sa", "", ""); return err },
			want{kind: KindAlreadyExists, msg: "Requested entity already exists"}},
		{"bigquery access denied", 403, bqAccessDeniedBody,
			func(c *Client) error {
				bq, err := c.BigQuery(ctx, "my-proj", nil)
				if err != nil {
					return err
				}
				defer bq.Close()
				_, err = bq.Query("SELECT 1").Read(ctx)
				return err
			},
			want{kind: KindPermissionDenied, reason: "accessDenied", permission: "bigquery.jobs.create", msg: "Access Denied"}},
		{"crm forbidden", 403, crmForbiddenBody,
			func(c *Client) error { _, err := c.GetProject(ctx, "nope"); return err },
			want{kind: KindPermissionDenied, reason: "forbidden", msg: "does not have permission"}},
		{"sts oauth error", 400, stsUnauthorizedBody,
			func(c *Client) error {
				_, err := c.stsAPI.V1.Token(&sts.GoogleIdentityStsV1ExchangeTokenRequest{}).Do()
				return err
			},
			want{kind: KindInvalidArgument, reason: "unauthorized_client", msg: "rejected by the attribute condition"}},
		{"credentials missing", 401, credentialsMissingBody,
			func(c *Client) error {
				_, err := c.GenerateAccessToken(ctx, "a@p.iam.gserviceaccount.com", nil, nil, 0, nil)
				return err
			},
			want{kind: KindUnauthenticated, reason: "CREDENTIALS_MISSING", service: "iamcredentials.googleapis.com", msg: "missing required authentication"}},
		{"html 404", 404, htmlNotFoundBody,
			func(c *Client) error { _, err := c.GetProject(ctx, "p"); return err },
			want{kind: KindNotFound, msg: "non-JSON"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) { reply(w, tc.status, tc.body) })
			c, _ := newTestClient(t, f, nil)
			err := tc.call(c)
			if err == nil {
				t.Fatal("call succeeded, want an error")
			}
			e := Classify(err)
			got := want{kind: e.Kind, reason: e.Reason, permission: e.Permission, service: e.Service}
			wantCmp := tc.want
			wantCmp.msg = ""
			if got != wantCmp {
				t.Errorf("Classify = %+v, want %+v", got, wantCmp)
			}
			if !strings.Contains(e.Message, tc.want.msg) {
				t.Errorf("Message = %q, want it to contain %q", e.Message, tc.want.msg)
			}
			if e.Code != tc.status {
				t.Errorf("Code = %d, want %d", e.Code, tc.status)
			}
			if s := e.Error(); strings.Contains(s, "\n") || !strings.Contains(s, fmt.Sprintf("HTTP %d", tc.status)) {
				t.Errorf("Error() = %q, want one line naming HTTP %d", s, tc.status)
			}
			// The raw error stays reachable for callers that need it.
			if _, ok := errors.AsType[*googleapi.Error](err); !ok {
				t.Errorf("%T does not unwrap to *googleapi.Error", err)
			}
			if KindOf(err) != tc.want.kind {
				t.Errorf("KindOf = %v, want %v", KindOf(err), tc.want.kind)
			}
		})
	}
}

func TestClassifyNonHTTP(t *testing.T) {
	if Classify(nil) != nil || KindOf(nil) != KindUnknown {
		t.Error("nil must classify as nil / KindUnknown")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if k := KindOf(fmt.Errorf("x: %w", ctx.Err())); k != KindCanceled {
		t.Errorf("canceled context: %v", k)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 0)
	defer dcancel()
	<-dctx.Done()
	if k := KindOf(dctx.Err()); k != KindDeadlineExceeded {
		t.Errorf("deadline: %v", k)
	}

	// A server that is gone: a real network error from a real client.
	f := newFakeGoogle(t, nil)
	c, _ := newTestClient(t, f, nil)
	f.Close()
	_, err := c.GetProject(context.Background(), "p")
	if k := KindOf(err); k != KindUnavailable {
		t.Errorf("closed server: kind %v (%v), want unavailable", k, err)
	}

	plain := errors.New("boom")
	if e := Classify(plain); e.Kind != KindUnknown || e.Error() != "boom" || !errors.Is(e, plain) {
		t.Errorf("plain error: %+v", e)
	}
}

func TestStatusErrorFromOperation(t *testing.T) {
	e := statusError(9, "Billing must be enabled for activation of service bigquery.googleapis.com", nil)
	if e.Kind != KindFailedPrecondition || e.Code != 400 {
		t.Errorf("got %+v", e)
	}
	if KindOf(statusError(7, "no", nil)) != KindPermissionDenied || KindOf(statusError(10, "x", nil)) != KindAborted {
		t.Error("gRPC codes 7 and 10 misclassified")
	}
}

// A key file's token endpoint refusing the JWT grant: the oauth2 library's
// *RetrieveError, reached through the real API call it was meant to
// authorize.
func TestClassifyTokenEndpointError(t *testing.T) {
	f := newFakeGoogle(t, func(w http.ResponseWriter, r *request) {
		reply(w, 400, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
	})
	c, s := newTestClient(t, f, nil)
	ts, err := c.TokenSourceFromKeyFile(context.Background(), testKeyFile(t, oauth2TokenURL))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GenerateAccessToken(context.Background(), "a@p.iam.gserviceaccount.com", nil, nil, 0, ts)
	e := Classify(err)
	if e == nil || e.Kind != KindInvalidArgument || e.Reason != "invalid_grant" || e.Message != "Invalid JWT Signature." || e.Code != 400 {
		t.Fatalf("Classify = %+v", e)
	}
	if len(s.recorded()) != 0 || len(f.requests()) != 1 {
		t.Errorf("a refused grant was retried: %v", f.paths())
	}
}

// gRPC-based clients report *apierror.APIError only.
func TestClassifyAPIError(t *testing.T) {
	ae, ok := apierror.FromError(status.Error(codes.PermissionDenied, "Permission 'bigquery.readsessions.create' denied"))
	if !ok {
		t.Fatal("no APIError")
	}
	e := Classify(fmt.Errorf("reading: %w", ae))
	if e.Kind != KindPermissionDenied || e.Permission != "bigquery.readsessions.create" || e.Code != 0 {
		t.Errorf("Classify = %+v", e)
	}
	for k := KindUnknown; k <= KindDeadlineExceeded; k++ {
		if strings.HasPrefix(k.String(), "Kind(") {
			t.Errorf("Kind %d has no name", k)
		}
	}
}
