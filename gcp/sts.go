package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	sts "google.golang.org/api/sts/v1"
)

// Security Token Service token exchange (gcp-wire §7): what a federated
// workload does first, and what `fedctl verify` replays with a subject
// token to say whether STS accepts it.

const (
	stsGrantTokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
	stsAccessTokenType    = "urn:ietf:params:oauth:token-type:access_token"
	// SubjectTokenTypeJWT is the subject token type of OIDC tokens.
	SubjectTokenTypeJWT = "urn:ietf:params:oauth:token-type:jwt"
)

// STSError is STS's OAuth-style rejection: invalid_request, invalid_target
// (pool or provider missing, deleted or disabled), invalid_grant (the token:
// signature, issuer, audience, expiry) or unauthorized_client (the attribute
// condition).
type STSError struct {
	HTTP        int
	Code        string // the OAuth "error"
	Description string // "error_description"
}

func (e *STSError) Error() string {
	return fmt.Sprintf("STS rejected the token: %s: %s", e.Code, e.Description)
}

// ExchangeToken exchanges an OIDC subject token for a federated access
// token at audience (//iam.googleapis.com/projects/N/…/providers/P). The
// request carries no credentials of fedctl's own: STS authenticates the
// subject token alone.
func (c *Client) ExchangeToken(ctx context.Context, audience, subjectToken string) (*oauth2.Token, error) {
	svc, err := sts.NewService(ctx, c.clientOptions(c.authClient(nil), stsBase)...)
	if err != nil {
		return nil, fmt.Errorf("sts client: %w", err)
	}
	resp, err := svc.V1.Token(&sts.GoogleIdentityStsV1ExchangeTokenRequest{
		Audience: audience, GrantType: stsGrantTokenExchange, RequestedTokenType: stsAccessTokenType,
		Scope: cloudPlatformScope, SubjectToken: subjectToken, SubjectTokenType: SubjectTokenTypeJWT,
	}).Context(ctx).Do()
	if err != nil {
		var ge *googleapi.Error
		if errors.As(err, &ge) {
			var body struct {
				Error       string `json:"error"`
				Description string `json:"error_description"`
			}
			if json.Unmarshal([]byte(ge.Body), &body) == nil && body.Error != "" {
				return nil, &STSError{HTTP: ge.Code, Code: body.Error, Description: body.Description}
			}
		}
		return nil, Classify(err)
	}
	if resp.ExpiresIn <= 0 || resp.AccessToken == "" {
		return nil, errors.New("STS answered without a usable token")
	}
	return &oauth2.Token{AccessToken: resp.AccessToken, TokenType: "Bearer",
		Expiry: time.Now().Add(time.Duration(resp.ExpiresIn) * time.Second)}, nil
}
