package wif

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Google's production URLs a credential configuration names.
const (
	DefaultTokenURL = "https://sts.googleapis.com/v1/token"
	// impersonationURLFormat takes the SA email.
	impersonationURLFormat = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/%s:generateAccessToken"
	// SubjectTokenTypeJWT is the subject token type of OIDC tokens.
	SubjectTokenTypeJWT = "urn:ietf:params:oauth:token-type:jwt"
)

// CredConfigOptions describe an external_account credential configuration.
type CredConfigOptions struct {
	// Audience is the provider's STS audience
	// (//iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/providers/Q).
	Audience string
	// ServiceAccount is the target SA's email; empty for direct federation
	// (the federated token itself is used, no impersonation).
	ServiceAccount string
	// Exactly one of File and URL: where the workload finds its subject token.
	File    string
	URL     string
	Headers map[string]string // for URL sources
	// JSONField, when set, means the source holds JSON and the token is this
	// field (format type "json"); otherwise the source is the bare token
	// (format type "text").
	JSONField string
	// TokenLifetime is service_account_impersonation.token_lifetime_seconds
	// (0: omitted, Google's default of one hour).
	TokenLifetime time.Duration
	// RewriteURL maps Google's production URLs (token_url and the
	// impersonation URL) to where this fedctl talks — gcp.Client.ServiceURL
	// with --api-endpoint. Nil keeps them.
	RewriteURL func(string) string
}

// credConfig is the file, fields in the order gcloud writes them.
type credConfig struct {
	UniverseDomain                 string              `json:"universe_domain"`
	Type                           string              `json:"type"`
	Audience                       string              `json:"audience"`
	SubjectTokenType               string              `json:"subject_token_type"`
	TokenURL                       string              `json:"token_url"`
	CredentialSource               credSource          `json:"credential_source"`
	ServiceAccountImpersonationURL string              `json:"service_account_impersonation_url,omitempty"`
	ServiceAccountImpersonation    *impersonationBlock `json:"service_account_impersonation,omitempty"`
}

type credSource struct {
	File    string            `json:"file,omitempty"`
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Format  credFormat        `json:"format"`
}

type credFormat struct {
	Type                  string `json:"type"`
	SubjectTokenFieldName string `json:"subject_token_field_name,omitempty"`
}

type impersonationBlock struct {
	TokenLifetimeSeconds int `json:"token_lifetime_seconds"`
}

// CredConfig renders the external_account credential configuration that
// `gcloud iam workload-identity-pools create-cred-config` writes, which
// Google's client libraries (golang.org/x/oauth2/google among them) load
// as Application Default Credentials. It holds no secret.
func CredConfig(o CredConfigOptions) ([]byte, error) {
	if o.Audience == "" {
		return nil, errors.New("credential config: no audience (the provider's resource name)")
	}
	if (o.File == "") == (o.URL == "") {
		return nil, errors.New("credential config: give exactly one of a token file and a token URL")
	}
	if lt := o.TokenLifetime; lt != 0 && (lt < 600*time.Second || lt > 43200*time.Second) {
		return nil, fmt.Errorf("credential config: token lifetime %s is outside 600s–43200s", lt)
	}
	rewrite := o.RewriteURL
	if rewrite == nil {
		rewrite = func(s string) string { return s }
	}
	c := credConfig{
		UniverseDomain:   "googleapis.com",
		Type:             "external_account",
		Audience:         o.Audience,
		SubjectTokenType: SubjectTokenTypeJWT,
		TokenURL:         rewrite(DefaultTokenURL),
		CredentialSource: credSource{File: o.File, URL: o.URL, Headers: o.Headers, Format: credFormat{Type: "text"}},
	}
	if o.JSONField != "" {
		c.CredentialSource.Format = credFormat{Type: "json", SubjectTokenFieldName: o.JSONField}
	}
	if o.ServiceAccount != "" {
		c.ServiceAccountImpersonationURL = rewrite(fmt.Sprintf(impersonationURLFormat, o.ServiceAccount))
		if o.TokenLifetime != 0 {
			c.ServiceAccountImpersonation = &impersonationBlock{TokenLifetimeSeconds: int(o.TokenLifetime / time.Second)}
		}
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
