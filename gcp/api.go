// Package gcp is fedctl's one way to reach Google Cloud: it builds every API
// client (from ADC, an impersonated identity, or the SPEC §4 endpoint
// override) and offers the typed operations the rest of fedctl uses, with
// error classification, retries and etag-safe IAM policy edits.
//
// CONTRACT FILE: the types below, and the exported functions in the other
// files of this package, are what engine/, verify/, audit/ and cmd/ code
// against. Bodies may change freely; signatures change only by agreement
// (see docs/ARCHITECTURE.md, "gcp API (contract)").
//
// Where things live:
//
//	client.go          New, the per-API clients
//	endpoint.go        the SPEC §4 endpoint layout, ServiceURL
//	transport.go       bearer / user-agent / quota-project HTTP plumbing
//	retrytransport.go  THE retry of every request (429/5xx/resets, Retry-After, time budget)
//	operation.go       the one long-running-operation poller
//	raw.go             HTTPClient, LoggingBaseURL: for callers that stream a response themselves
//	trace.go, mask.go  the --verbose HTTP trace and token masking
//	credentials.go     impersonation, GenerateAccessToken, key files
//	project.go         GetProject
//	services.go        ServiceStates, EnableServices
//	sinks.go           BigQuery datasets (access-list edits), Logging sinks and entries, testIamPermissions
//	serviceaccounts.go service accounts and their keys
//	bigquery.go        the cloud.google.com/go/bigquery client
//	policy.go          the neutral IAM Policy type and its edits
//	iampolicy.go       PolicyResource, ProjectPolicy, ServiceAccountPolicy, ModifyPolicy
//	errors.go          Kind, Error, Classify
//	retry.go           RetryPolicy (time budget), Backoff, Do, Sleep, IsTransient
package gcp

import (
	"io"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	bqv2 "google.golang.org/api/bigquery/v2"
	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	logging "google.golang.org/api/logging/v2"
	serviceusage "google.golang.org/api/serviceusage/v1"
	sts "google.golang.org/api/sts/v1"
)

// Config says how to reach Google.
type Config struct {
	// Endpoint is the SPEC §4 override root ("http://127.0.0.1:8086/").
	// Empty means production Google with Application Default Credentials.
	Endpoint string
	// AccessToken is sent as "Authorization: Bearer" when Endpoint is set
	// (FEDCTL_ACCESS_TOKEN). Ignored in production mode.
	AccessToken string
	// ImpersonateServiceAccount: every call runs as this SA, its token minted
	// through fedctl's own iamcredentials client (so Endpoint reaches it too).
	ImpersonateServiceAccount string
	// TokenSource, when set, replaces ADC / AccessToken (tests, key files).
	TokenSource oauth2.TokenSource
	// Trace, when set, receives an HTTP trace of every request (--verbose),
	// with bearer tokens and keys masked.
	Trace io.Writer
	// UserAgent is added to every request ("fedctl/1.2.3").
	UserAgent string
	// Retry governs transient-error retries; zero value = DefaultRetry.
	Retry RetryPolicy
}

// Client holds every API client fedctl uses, all built the same way.
type Client struct {
	cfg        Config
	httpClient *http.Client // authenticated as the Client's identity

	endpoint string            // normalised cfg.Endpoint ("" = production)
	base     http.RoundTripper // trace + headers, no Authorization
	retry    RetryPolicy       // cfg.Retry with defaults filled in

	// The generated API clients: private to this package, so that every
	// Google call goes through a typed operation (and nothing forgets its
	// error classification).
	serviceUsage *serviceusage.Service
	crm          *cloudresourcemanager.Service
	iamAPI       *iam.Service
	credsAPI     *iamcredentials.Service
	stsAPI       *sts.Service
	loggingAPI   *logging.Service
	bigQueryAPI  *bqv2.Service // raw discovery client (datasets, access lists)
}

// Project is a project's identity.
type Project struct {
	ID     string
	Number string // decimal, as Google sends it
	Name   string
	State  string
}

// ServiceAccount is the part of an IAM service account fedctl uses.
type ServiceAccount struct {
	Email       string
	UniqueID    string
	DisplayName string
	Description string
	Disabled    bool
	Project     string
}

// Key is a service-account key's metadata (never its private data).
type Key struct {
	Name        string // projects/P/serviceAccounts/E/keys/ID
	KeyType     string // USER_MANAGED | SYSTEM_MANAGED
	ValidAfter  time.Time
	ValidBefore time.Time
	Disabled    bool
}

// Token is a minted access token. Never print AccessToken; use Mask.
type Token struct {
	AccessToken string
	Expiry      time.Time
}
