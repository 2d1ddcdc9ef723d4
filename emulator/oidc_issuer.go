package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"strings"
	"time"

	"github.com/fedctl/fedctl/wif"
)

// The sandbox's demo OIDC issuers: what a newcomer (or a test) federates
// from when there is no GitHub or Gumloop to sign tokens. Each named issuer
// has an RSA key kept in the state; the emulator serves its discovery
// document and JWKS at ENDPOINT/oidc/NAME/.well-known/openid-configuration
// and ENDPOINT/oidc/NAME/jwks, and its STS verifies tokens signed by it
// without any network access.
//
// The issuer URI (the tokens' iss, the provider's issuerUri) is the stable
// https://oidc.fedctl.invalid/NAME rather than the endpoint URL: the
// sandbox's port changes from run to run while its state (and the providers
// in it) persist, and Google only accepts https issuers. The reserved
// .invalid domain never resolves, so it cannot be mistaken for a real one.
// ENDPOINT/oidc/NAME is accepted as the same issuer.

const (
	// DemoIssuerBase prefixes every demo issuer URI.
	DemoIssuerBase = "https://oidc.fedctl.invalid/"
	// DefaultDemoIssuer is the issuer newcomers get.
	DefaultDemoIssuer = "demo"
	oidcFeature       = "oidc.demoIssuers"
)

var demoIssuerName = lazyregexp.New(`^[a-z0-9][a-z0-9-]{0,62}$`)

type demoIssuer struct {
	KID       string    `json:"kid"`
	KeyPEM    string    `json:"keyPem"` // PKCS#1 RSA private key
	CreatedAt time.Time `json:"createdAt"`
}

type oidcState struct {
	Issuers map[string]*demoIssuer `json:"issuers,omitempty"`
}

func init() {
	registerAPI(func(s *Server) {
		s.handle(&route{Service: "oidc", Method: "GET", Pattern: `^/([^/]+)/\.well-known/openid-configuration$`,
			Name: "oidc.discovery", NoAuth: true, Handler: oidcDiscovery})
		s.handle(&route{Service: "oidc", Method: "GET", Pattern: `^/([^/]+)/jwks$`,
			Name: "oidc.jwks", NoAuth: true, Handler: oidcJWKS})
	})
}

// DemoIssuerURI is the issuer URI of the named demo issuer.
func DemoIssuerURI(name string) string { return DemoIssuerBase + name }

// demoIssuerOf returns the demo issuer name an issuer URI names, if any:
// the stable URI or this server's ENDPOINT/oidc/NAME.
func (s *Server) demoIssuerOf(uri string) (string, bool) {
	uri = strings.TrimSuffix(uri, "/")
	name, ok := strings.CutPrefix(uri, DemoIssuerBase)
	if !ok {
		if u := s.URL(); u != "" {
			name, ok = strings.CutPrefix(uri, u+"oidc/")
		}
	}
	return name, ok && demoIssuerName.MatchString(name)
}

// isDemoIssuerURL: the one non-https issuer a provider may name is this
// server's own http ENDPOINT/oidc/NAME.
func isDemoIssuerURL(s *Server, uri string) bool {
	_, ok := s.demoIssuerOf(uri)
	return ok
}

// issuerKey loads (creating on first use) a demo issuer's key.
func issuerKey(st *State, name string, now time.Time) (*rsa.PrivateKey, string, bool, error) {
	if !demoIssuerName.MatchString(name) {
		return nil, "", false, fmt.Errorf("demo issuer name %q: use 1-63 of a-z, 0-9 and '-'", name)
	}
	var os oidcState
	if err := st.GetExt(oidcFeature, &os); err != nil {
		return nil, "", false, err
	}
	if os.Issuers == nil {
		os.Issuers = map[string]*demoIssuer{}
	}
	created := false
	is := os.Issuers[name]
	if is == nil {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return nil, "", false, err
		}
		is = &demoIssuer{KID: hex.EncodeToString(randomBytes(8)), CreatedAt: now,
			KeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))}
		os.Issuers[name] = is
		if err := st.PutExt(oidcFeature, &os); err != nil {
			return nil, "", false, err
		}
		created = true
	}
	block, _ := pem.Decode([]byte(is.KeyPEM))
	if block == nil {
		return nil, "", false, errors.New("demo issuer key is corrupt; run `fedctl sandbox reset`")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, "", false, err
	}
	return key, is.KID, created, nil
}

// demoJWKS is the public key set of a demo issuer.
func demoJWKS(st *State, name string, now time.Time) (*wif.JWKS, bool, error) {
	key, kid, created, err := issuerKey(st, name, now)
	if err != nil {
		return nil, false, err
	}
	return &wif.JWKS{Keys: []wif.JWK{wif.PublicJWK(&key.PublicKey, kid)}}, created, nil
}

// MintSubjectToken signs claims as the named demo issuer ("" is
// DefaultDemoIssuer), creating it on first use: the subject token a
// workload would get from its IdP. iss defaults to the issuer's URI, iat to
// now and exp to an hour later; sub and aud are the caller's to set.
func (s *Server) MintSubjectToken(issuer string, claims map[string]any) (string, error) {
	if issuer == "" {
		issuer = DefaultDemoIssuer
	}
	var key *rsa.PrivateKey
	var kid string
	err := s.transact(func() (bool, error) {
		var created bool
		var err error
		key, kid, created, err = issuerKey(s.st, issuer, s.opts.Now())
		return created, err
	})
	if err != nil {
		return "", err
	}
	now := s.opts.Now()
	c := map[string]any{"iss": DemoIssuerURI(issuer), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range claims {
		c[k] = v
	}
	return wif.SignRS256(key, kid, c)
}

// DemoIssuerJWKS returns the JSON of a demo issuer's key set (for a
// provider's jwksJson, or to inspect).
func (s *Server) DemoIssuerJWKS(issuer string) (*wif.JWKS, error) {
	if issuer == "" {
		issuer = DefaultDemoIssuer
	}
	var set *wif.JWKS
	err := s.transact(func() (bool, error) {
		var created bool
		var err error
		set, created, err = demoJWKS(s.st, issuer, s.opts.Now())
		return created && err == nil, err
	})
	return set, err
}

func oidcDiscovery(c *call) (any, error) {
	name := c.args[0]
	if _, _, err := c.issuer(name); err != nil {
		return nil, err
	}
	return map[string]any{
		"issuer":                                DemoIssuerURI(name),
		"jwks_uri":                              c.s.URL() + "oidc/" + name + "/jwks",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"claims_supported":                      []string{"sub", "aud", "exp", "iat", "iss"},
	}, nil
}

func oidcJWKS(c *call) (any, error) {
	set, _, err := c.issuer(c.args[0])
	return set, err
}

// issuer loads a demo issuer for a request, marking the state dirty when it
// was created.
func (c *call) issuer(name string) (*wif.JWKS, bool, error) {
	set, created, err := demoJWKS(c.st, name, c.now)
	if err != nil {
		return nil, false, errNotFound(err.Error())
	}
	if created {
		c.dirty = true
	}
	return set, created, nil
}
