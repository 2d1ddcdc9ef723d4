package emulator

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"mime"
	"net/url"
	"strings"
	"time"

	sts "google.golang.org/api/sts/v1"

	"github.com/fedctl/fedctl/wif"
)

// Security Token Service (gcp-wire §7): POST /v1/token exchanges an OIDC
// subject token for a federated access token. It takes the generated
// client's JSON body and the auth libraries' form body, verifies the JWT's
// RS256 signature against the issuer's keys (a demo issuer's, or the
// provider's jwksJson — the emulator never fetches a JWKS from the
// network), checks iss/aud/exp/iat, maps attributes and runs the condition
// with the wif package (the same code fedctl's local verification uses),
// and answers errors OAuth-style.
//
// Enablement: the exchange is unauthenticated and bills no consumer, so the
// emulator does not require sts.googleapis.com to be enabled for it
// (Google's setup guides still enable it; so does fedctl setup).

const (
	grantTokenExchange     = "urn:ietf:params:oauth:grant-type:token-exchange"
	tokenTypeAccessToken   = "urn:ietf:params:oauth:token-type:access_token"
	tokenTypeIDToken       = "urn:ietf:params:oauth:token-type:id_token"
	federatedTokenLifetime = time.Hour
	cloudPlatformScope     = "https://www.googleapis.com/auth/cloud-platform"
)

var stsAudienceRE = lazyregexp.New(`^(?:https:)?//iam\.googleapis\.com/projects/([^/]+)/locations/global/workloadIdentityPools/([^/]+)/providers/([^/]+)$`)

func init() {
	registerAPI(func(s *Server) {
		s.handle(&route{Service: "sts", Method: "POST", Pattern: `^/v1/token$`, Name: "sts.token", NoAuth: true, Handler: stsToken})
	})
}

var (
	errSTSAudience = oauthErr("invalid_request", `Invalid value for "audience". This value should be the full resource name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token for the list of possible formats.`)
	errSTSTarget   = oauthErr("invalid_target", `The target service indicated by the "audience" parameters is invalid. This might either be because the pool or provider is disabled or deleted or because it doesn't exist.`)
	errSTSRejected = oauthErr("unauthorized_client", "The given credential is rejected by the attribute condition.")
)

// stsRequest reads either encoding into the generated client's type.
func stsRequest(c *call) (*sts.GoogleIdentityStsV1ExchangeTokenRequest, error) {
	var req sts.GoogleIdentityStsV1ExchangeTokenRequest
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt == "application/json" {
		if err := json.Unmarshal(c.body, &req); err != nil {
			return nil, oauthErr("invalid_request", "Invalid JSON payload received.")
		}
		return &req, nil
	}
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return nil, oauthErr("invalid_request", "Invalid request body.")
	}
	req = sts.GoogleIdentityStsV1ExchangeTokenRequest{
		Audience: form.Get("audience"), GrantType: form.Get("grant_type"), Options: form.Get("options"),
		RequestedTokenType: form.Get("requested_token_type"), Scope: form.Get("scope"),
		SubjectToken: form.Get("subject_token"), SubjectTokenType: form.Get("subject_token_type"),
	}
	return &req, nil
}

func stsToken(c *call) (any, error) {
	req, err := stsRequest(c)
	if err != nil {
		return nil, err
	}
	switch {
	case req.GrantType != grantTokenExchange:
		return nil, oauthErr("unsupported_grant_type", fmt.Sprintf("Invalid value for \"grant_type\": %q. Expected %s.", req.GrantType, grantTokenExchange))
	case req.RequestedTokenType != "" && req.RequestedTokenType != tokenTypeAccessToken:
		return nil, oauthErr("invalid_request", fmt.Sprintf("Invalid value for \"requested_token_type\": %q.", req.RequestedTokenType))
	case req.SubjectTokenType != wif.SubjectTokenTypeJWT && req.SubjectTokenType != tokenTypeIDToken:
		return nil, oauthErr("invalid_request", fmt.Sprintf("Invalid value for \"subject_token_type\": %q. The sandbox accepts OIDC tokens (%s or %s).", req.SubjectTokenType, wif.SubjectTokenTypeJWT, tokenTypeIDToken))
	case req.SubjectToken == "":
		return nil, oauthErr("invalid_request", `Missing required parameter "subject_token".`)
	}
	m := stsAudienceRE.FindStringSubmatch(req.Audience)
	if m == nil {
		return nil, errSTSAudience
	}
	p := c.st.ProjectByIDOrNumber(m[1])
	if p == nil || p.Number != m[1] {
		return nil, errSTSTarget
	}
	ws := loadWIF(c.st, c.now)
	pool := ws.Pools[p.ID+"/"+m[2]]
	if pool == nil || pool.State != "ACTIVE" || pool.Disabled {
		return nil, errSTSTarget
	}
	prov := pool.Providers[m[3]]
	if prov == nil || prov.State != "ACTIVE" || prov.Disabled {
		return nil, errSTSTarget
	}

	tok, err := wif.ParseJWT(req.SubjectToken)
	if err != nil {
		return nil, oauthErr("invalid_grant", "Unable to parse the ID Token: "+err.Error())
	}
	keys, err := c.issuerKeys(prov)
	if err != nil {
		return nil, err
	}
	if err := tok.VerifySignature(keys); err != nil {
		if errors.Is(err, wif.ErrSignature) {
			return nil, oauthErr("invalid_grant", "Unable to verify the ID token signature.")
		}
		return nil, oauthErr("invalid_grant", "Unable to verify the ID token: "+err.Error())
	}
	provName := wif.PoolName(p.Number, m[2]) + "/providers/" + m[3]
	auds := prov.OIDC.AllowedAudiences
	if len(auds) == 0 {
		auds = wif.DefaultAudiences(provName)
	}
	for _, chk := range wif.CheckClaims(tok.Claims, prov.OIDC.IssuerUri, auds, c.now) {
		if chk.OK {
			continue
		}
		if chk.Claim == "iss" && c.sameDemoIssuer(chk.Seen, prov.OIDC.IssuerUri) {
			continue // the demo issuer's stable URI and its ENDPOINT/oidc/NAME form are one issuer
		}
		return nil, oauthErr("invalid_grant", stsClaimMessage(chk))
	}

	compiled, err := wif.Compile(prov.AttributeMapping, prov.AttributeCondition)
	if err != nil {
		return nil, oauthErr("invalid_grant", "The provider's attribute mapping or condition is invalid: "+err.Error())
	}
	res := compiled.Evaluate(tok.Claims)
	if !res.Admitted {
		if res.Subject != "" {
			return nil, errSTSRejected
		}
		return nil, oauthErr("invalid_grant", res.Reason)
	}
	scopes := strings.Fields(req.Scope)
	if len(scopes) == 0 {
		scopes = []string{cloudPlatformScope}
	}
	id := &Identity{Principal: wif.Principal(p.Number, m[2], res.Subject), Attributes: res.Flat(),
		Scopes: scopes, Expiry: c.now.Add(federatedTokenLifetime).Unix()}
	return &sts.GoogleIdentityStsV1ExchangeTokenResponse{
		AccessToken:     mintToken(c.st.Secret, id),
		IssuedTokenType: tokenTypeAccessToken,
		TokenType:       "Bearer",
		ExpiresIn:       int64(federatedTokenLifetime / time.Second),
	}, nil
}

// issuerKeys finds the keys that verify a provider's tokens: a demo
// issuer's, else the provider's inline jwksJson. Anything else would need
// the network, which the sandbox does not use.
func (c *call) issuerKeys(prov *wifProvider) (*wif.JWKS, error) {
	if name, ok := c.s.demoIssuerOf(prov.OIDC.IssuerUri); ok {
		set, _, err := c.issuer(name)
		return set, err
	}
	if prov.OIDC.JwksJson != "" {
		set, err := wif.ParseJWKS([]byte(prov.OIDC.JwksJson))
		if err != nil {
			return nil, oauthErr("invalid_grant", "The provider's JWKS is invalid: "+err.Error())
		}
		return set, nil
	}
	return nil, oauthErr("invalid_grant", fmt.Sprintf("Unable to retrieve the public keys of issuer %s: the sandbox does not fetch JWKS from the network. Set the provider's jwksJson (fedctl setup --jwks-file), or use a demo issuer (%sNAME).", prov.OIDC.IssuerUri, DemoIssuerBase))
}

func (c *call) sameDemoIssuer(a, b string) bool {
	na, oka := c.s.demoIssuerOf(a)
	nb, okb := c.s.demoIssuerOf(b)
	return oka && okb && na == nb
}

// stsClaimMessage words a failed claim check as STS's invalid_grant.
func stsClaimMessage(chk wif.ClaimCheck) string {
	switch chk.Claim {
	case "iss":
		return fmt.Sprintf("The issuer in ID Token [%s] does not match the expected issuer.", chk.Seen)
	case "aud":
		return fmt.Sprintf("The audience in ID Token [%s] does not match the expected audience.", chk.Seen)
	case "exp":
		return "The ID Token has expired: " + chk.Detail + "."
	case "iat":
		return "The ID Token is stale to sign-in or issued in the future: " + chk.Detail + "."
	}
	return "Invalid ID Token: " + chk.Claim + " " + chk.Detail
}
