package wif

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// JWK is a public RSA JSON Web Key (RFC 7517), the only kind fedctl signs
// with or verifies.
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	Use string `json:"use,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

// JWKS is a key set ({"keys": [...]}).
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// ParseJWKS parses a JWKS document.
func ParseJWKS(b []byte) (*JWKS, error) {
	var s JWKS
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("not a JWKS document: %v", err)
	}
	if len(s.Keys) == 0 {
		return nil, errors.New("the JWKS has no keys")
	}
	return &s, nil
}

// PublicJWK is the JWK of an RSA public key.
func PublicJWK(pub *rsa.PublicKey, kid string) JWK {
	return JWK{Kty: "RSA", Kid: kid, Alg: "RS256", Use: "sig",
		N: base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		E: base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes())}
}

func (k JWK) rsaKey() (*rsa.PublicKey, error) {
	if k.Kty != "RSA" {
		return nil, fmt.Errorf("key %q is %s, not RSA", k.Kid, k.Kty)
	}
	n, err1 := base64.RawURLEncoding.DecodeString(k.N)
	e, err2 := base64.RawURLEncoding.DecodeString(k.E)
	if err1 != nil || err2 != nil || len(n) == 0 || len(e) == 0 {
		return nil, fmt.Errorf("key %q is malformed", k.Kid)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

// ErrSignature is returned when no key of the set verifies the token.
var ErrSignature = errors.New("unable to verify the ID token signature")

// VerifySignature checks an RS256 signature against the key of the set
// whose kid the header names (any RSA key when the header has no kid).
func (t *Token) VerifySignature(set *JWKS) error {
	if alg, _ := t.Header["alg"].(string); alg != "RS256" {
		return fmt.Errorf("unsupported signing algorithm %q (want RS256)", alg)
	}
	kid, _ := t.Header["kid"].(string)
	digest := sha256.Sum256([]byte(t.signingInput))
	for _, k := range set.Keys {
		if kid != "" && k.Kid != kid {
			continue
		}
		pub, err := k.rsaKey()
		if err != nil {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], t.signature) == nil {
			return nil
		}
	}
	if kid != "" && !set.hasKid(kid) {
		return fmt.Errorf("%w: no key with kid %q in the issuer's JWKS", ErrSignature, kid)
	}
	return ErrSignature
}

func (s *JWKS) hasKid(kid string) bool {
	for _, k := range s.Keys {
		if k.Kid == kid {
			return true
		}
	}
	return false
}

// SignRS256 signs claims as a compact JWT with header {alg: RS256, typ: JWT,
// kid}. The emulator's demo issuer and tests mint subject tokens with it.
func SignRS256(key *rsa.PrivateKey, kid string, claims map[string]any) (string, error) {
	hdr, err := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid})
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	input := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString(body)
	digest := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
