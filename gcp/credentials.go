package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
)

// defaultTokenLifetime is what GenerateAccessToken asks for when the caller
// does not say (Google's default and, without an org-policy exception, its
// maximum).
const defaultTokenLifetime = time.Hour

// GenerateAccessToken mints a token for email, through delegates (emails;
// sent as projects/-/serviceAccounts/EMAIL), with the caller's credentials
// or, when as != nil, with that token source's (that one call only).
// Scopes default to cloud-platform, lifetime to one hour.
func (c *Client) GenerateAccessToken(ctx context.Context, email string, delegates, scopes []string, lifetime time.Duration, as oauth2.TokenSource) (*Token, error) {
	svc := c.credsAPI
	if as != nil {
		var err error
		if svc, err = c.credentialsService(ctx, as); err != nil {
			return nil, err
		}
	}
	return c.generateAccessToken(ctx, svc, email, delegates, scopes, lifetime)
}

func (c *Client) generateAccessToken(ctx context.Context, svc *iamcredentials.Service, email string, delegates, scopes []string, lifetime time.Duration) (*Token, error) {
	if len(scopes) == 0 {
		scopes = []string{cloudPlatformScope}
	}
	if lifetime <= 0 {
		lifetime = defaultTokenLifetime
	}
	req := &iamcredentials.GenerateAccessTokenRequest{
		Scope:    scopes,
		Lifetime: fmt.Sprintf("%ds", int64(lifetime.Round(time.Second)/time.Second)),
	}
	for _, d := range delegates {
		req.Delegates = append(req.Delegates, credentialsName(d))
	}
	var resp *iamcredentials.GenerateAccessTokenResponse
	resp, err := svc.Projects.ServiceAccounts.GenerateAccessToken(credentialsName(email), req).Context(ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("minting a token for %s: %w", email, Classify(err))
	}
	expiry, err := time.Parse(time.RFC3339, resp.ExpireTime)
	if err != nil {
		return nil, fmt.Errorf("minting a token for %s: bad expireTime %q: %w", email, resp.ExpireTime, err)
	}
	return &Token{AccessToken: resp.AccessToken, Expiry: expiry}, nil
}

// credentialsName is the iamcredentials resource name of a service account:
// the "-" project wildcard is required there.
func credentialsName(email string) string {
	if strings.HasPrefix(email, "projects/") {
		return email
	}
	return "projects/-/serviceAccounts/" + email
}

// impersonatedSource mints tokens for one service account through fedctl's
// own iamcredentials client (google.golang.org/api/impersonate would call
// Google's host even in override mode). Wrapped in a ReuseTokenSource.
type impersonatedSource struct {
	ctx   context.Context
	c     *Client
	svc   *iamcredentials.Service // authenticated as the impersonating identity
	email string
}

func (s *impersonatedSource) Token() (*oauth2.Token, error) {
	// Token has no context of its own: bound the mint so that a hung
	// endpoint cannot hang every call behind it.
	ctx, cancel := context.WithTimeout(s.ctx, tokenFetchTimeout)
	defer cancel()
	t, err := s.c.generateAccessToken(ctx, s.svc, s.email, nil, nil, 0)
	if err != nil {
		return nil, fmt.Errorf("impersonating %s: %w", s.email, err)
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: "Bearer", Expiry: t.Expiry}, nil
}

// TokenSourceFromKeyFile returns a token source for a service-account key
// file (JSON). Its token_uri is rewritten through ServiceURL, and tokens are
// fetched with this Client's transport, so in override mode the JWT grant
// goes to ENDPOINT/oauth2/token and never to Google.
func (c *Client) TokenSourceFromKeyFile(ctx context.Context, keyJSON []byte) (oauth2.TokenSource, error) {
	jc, err := google.JWTConfigFromJSON(keyJSON, cloudPlatformScope)
	if err != nil {
		return nil, fmt.Errorf("reading service account key file: %w", err)
	}
	if jc.TokenURL == "" {
		jc.TokenURL = oauth2TokenURL
	}
	jc.TokenURL = c.ServiceURL(jc.TokenURL)
	return jc.TokenSource(c.tokenContext(ctx)), nil
}
