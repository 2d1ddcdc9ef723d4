package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	bqv2 "google.golang.org/api/bigquery/v2"
	cloudresourcemanager "google.golang.org/api/cloudresourcemanager/v1"
	iam "google.golang.org/api/iam/v1"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	logging "google.golang.org/api/logging/v2"
	"google.golang.org/api/option"
	serviceusage "google.golang.org/api/serviceusage/v1"
	sts "google.golang.org/api/sts/v1"
)

// cloudPlatformScope is the one OAuth scope fedctl asks for.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// impersonationEarlyExpiry: an impersonated token is re-minted this long
// before it expires, so that no request leaves with a token about to lapse.
const impersonationEarlyExpiry = 2 * time.Minute

// tokenFetchTimeout bounds one token request (ADC refresh, key-file grant,
// impersonation mint): token sources are called without a context.
const tokenFetchTimeout = time.Minute

// New builds a Client. Every API client is built the same way: one HTTP
// client (bearer token → retry → headers → trace) handed over with
// option.WithHTTPClient, plus option.WithEndpoint in override mode.
//
// Credentials, in order: cfg.TokenSource; else with cfg.Endpoint set, the
// static cfg.AccessToken (or none: no credential lookup at all); else
// Application Default Credentials. cfg.ImpersonateServiceAccount then wraps
// that identity in tokens minted through this Client's own iamcredentials
// endpoint.
func New(ctx context.Context, cfg Config) (*Client, error) {
	endpoint, err := normaliseEndpoint(cfg.Endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{cfg: cfg, endpoint: endpoint, retry: cfg.Retry.withDefaults()}

	var rt http.RoundTripper = newBaseTransport()
	if cfg.Trace != nil {
		rt = newTraceTransport(rt, cfg.Trace)
	}
	headers := &headerTransport{base: rt, userAgent: cfg.UserAgent}
	// The retry layer is outermost, so that the trace shows every try;
	// token requests (key files, ADC refresh, impersonation) go through it
	// too.
	c.base = &retryTransport{base: headers, policy: &c.retry}

	tokenCtx := c.tokenContext(ctx)

	var ts oauth2.TokenSource
	switch {
	case cfg.TokenSource != nil:
		ts = cfg.TokenSource
	case endpoint != "":
		if cfg.AccessToken != "" {
			ts = oauth2.StaticTokenSource(&oauth2.Token{AccessToken: cfg.AccessToken, TokenType: "Bearer"})
		}
	default:
		creds, err := google.FindDefaultCredentials(tokenCtx, cloudPlatformScope)
		if err != nil {
			return nil, fmt.Errorf("finding Google credentials (run `gcloud auth application-default login`; or try fedctl with no GCP project at all: --sandbox): %w", err)
		}
		ts = creds.TokenSource
		// A user ADC names the project its quota is charged to; an
		// impersonated SA is charged to its own project instead.
		if cfg.ImpersonateServiceAccount == "" {
			headers.quotaProject = quotaProject(creds.JSON)
		}
	}

	if sa := cfg.ImpersonateServiceAccount; sa != "" {
		minter, err := c.credentialsService(ctx, ts)
		if err != nil {
			return nil, err
		}
		src := &impersonatedSource{ctx: tokenCtx, c: c, svc: minter, email: sa}
		ts = oauth2.ReuseTokenSourceWithExpiry(nil, src, impersonationEarlyExpiry)
	}

	c.httpClient = c.authClient(ts)
	if err := c.buildServices(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) buildServices(ctx context.Context) error {
	var err error
	hc := c.httpClient
	if c.serviceUsage, err = serviceusage.NewService(ctx, c.clientOptions(hc, serviceUsageBase)...); err != nil {
		return fmt.Errorf("serviceusage client: %w", err)
	}
	if c.crm, err = cloudresourcemanager.NewService(ctx, c.clientOptions(hc, crmBase)...); err != nil {
		return fmt.Errorf("cloudresourcemanager client: %w", err)
	}
	if c.iamAPI, err = iam.NewService(ctx, c.clientOptions(hc, iamBase)...); err != nil {
		return fmt.Errorf("iam client: %w", err)
	}
	if c.credsAPI, err = iamcredentials.NewService(ctx, c.clientOptions(hc, iamCredentialsBase)...); err != nil {
		return fmt.Errorf("iamcredentials client: %w", err)
	}
	if c.stsAPI, err = sts.NewService(ctx, c.clientOptions(hc, stsBase)...); err != nil {
		return fmt.Errorf("sts client: %w", err)
	}
	if c.loggingAPI, err = logging.NewService(ctx, c.clientOptions(hc, loggingBase)...); err != nil {
		return fmt.Errorf("logging client: %w", err)
	}
	if c.bigQueryAPI, err = bqv2.NewService(ctx, c.clientOptions(hc, bigQueryBase)...); err != nil {
		return fmt.Errorf("bigquery client: %w", err)
	}
	return nil
}

// tokenContext is the context token sources keep: they outlive the call
// that made them (they refresh later), so it is never canceled; it carries
// the traced HTTP client, with a timeout, for their own token requests.
func (c *Client) tokenContext(ctx context.Context) context.Context {
	hc := &http.Client{Transport: c.base, Timeout: tokenFetchTimeout}
	return context.WithValue(context.WithoutCancel(ctx), oauth2.HTTPClient, hc)
}

// clientOptions are the options every API client gets: our HTTP client and,
// in override mode, the SPEC §4 endpoint for the API whose production base
// is prodBase.
func (c *Client) clientOptions(hc *http.Client, prodBase string) []option.ClientOption {
	opts := []option.ClientOption{option.WithHTTPClient(hc)}
	if ep := c.apiEndpoint(prodBase); ep != "" {
		opts = append(opts, option.WithEndpoint(ep))
	}
	return opts
}

// credentialsService is an iamcredentials client at this Client's endpoint
// authenticated by ts (nil: no Authorization header).
func (c *Client) credentialsService(ctx context.Context, ts oauth2.TokenSource) (*iamcredentials.Service, error) {
	svc, err := iamcredentials.NewService(ctx, c.clientOptions(c.authClient(ts), iamCredentialsBase)...)
	if err != nil {
		return nil, fmt.Errorf("iamcredentials client: %w", err)
	}
	return svc, nil
}

// quotaProject reads quota_project_id from an ADC JSON file, if any.
func quotaProject(credJSON []byte) string {
	var f struct {
		QuotaProjectID string `json:"quota_project_id"`
	}
	if len(credJSON) == 0 || json.Unmarshal(credJSON, &f) != nil {
		return ""
	}
	return f.QuotaProjectID
}

// newBaseTransport is http.DefaultTransport with room to keep a connection
// per concurrent call: the default keeps 2 idle connections per host, so at
// concurrency 16 every round of calls would dial anew.
func newBaseTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	return t
}
