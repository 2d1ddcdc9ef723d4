package wif

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

// rsaKey is one 2048-bit key shared by the package's tests (generation is
// the slow part).
func rsaKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		testKey = k
	})
	return testKey
}

func TestSignParseVerify(t *testing.T) {
	key := rsaKey(t)
	tok, err := SignRS256(key, "k1", map[string]any{"iss": "https://issuer.example", "sub": "s", "n": 7})
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := ParseJWT(tok)
	if err != nil {
		t.Fatal(err)
	}
	if parsed.Claims["sub"] != "s" || parsed.Claims["n"] != float64(7) || parsed.Header["kid"] != "k1" {
		t.Errorf("parsed = %+v %+v", parsed.Header, parsed.Claims)
	}
	set := &JWKS{Keys: []JWK{PublicJWK(&key.PublicKey, "k1")}}
	if err := parsed.VerifySignature(set); err != nil {
		t.Errorf("VerifySignature = %v", err)
	}

	// A tampered payload no longer verifies.
	parts := strings.Split(tok, ".")
	other, _ := SignRS256(key, "k1", map[string]any{"iss": "https://issuer.example", "sub": "admin"})
	forged, _ := ParseJWT(parts[0] + "." + strings.Split(other, ".")[1] + "." + parts[2])
	if err := forged.VerifySignature(set); !errors.Is(err, ErrSignature) {
		t.Errorf("forged: %v, want ErrSignature", err)
	}
	// An unknown kid says so.
	wrongKid := &JWKS{Keys: []JWK{PublicJWK(&key.PublicKey, "k2")}}
	if err := parsed.VerifySignature(wrongKid); err == nil || !strings.Contains(err.Error(), `kid "k1"`) {
		t.Errorf("unknown kid: %v", err)
	}
	// JWKS round trip through JSON.
	if _, err := ParseJWKS([]byte(`{"keys":[]}`)); err == nil {
		t.Error("an empty JWKS must be refused")
	}
}

func TestParseJWTRejectsGarbage(t *testing.T) {
	for _, s := range []string{"", "a.b", "a.b.c.d", "!!!.e30.", "e30.bm90anNvbg.", "W10.e30."} {
		if _, err := ParseJWT(s); err == nil {
			t.Errorf("ParseJWT(%q) succeeded", s)
		}
	}
}

func TestCheckClaims(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	const prov = "projects/1/locations/global/workloadIdentityPools/p/providers/q"
	auds := DefaultAudiences(prov)
	claims := map[string]any{"iss": "https://issuer.example", "aud": []any{"other", "https://iam.googleapis.com/" + prov},
		"exp": float64(now.Add(time.Hour).Unix()), "iat": float64(now.Add(-time.Minute).Unix())}
	for _, c := range CheckClaims(claims, "https://issuer.example", auds, now) {
		if !c.OK {
			t.Errorf("%s: %+v, want OK", c.Claim, c)
		}
	}

	bad := map[string]any{"iss": "https://issuer.example/", "aud": "https://github.com/acme",
		"exp": float64(now.Add(-time.Minute).Unix()), "iat": float64(now.Add(-25 * time.Hour).Unix())}
	got := map[string]ClaimCheck{}
	for _, c := range CheckClaims(bad, "https://issuer.example", auds, now) {
		got[c.Claim] = c
	}
	for claim, frag := range map[string]string{"iss": "exactly", "aud": "want one of //iam", "exp": "expired 1m0s ago", "iat": "older than"} {
		if c := got[claim]; c.OK || !strings.Contains(c.Detail, frag) {
			t.Errorf("%s: %+v, want a failure mentioning %q", claim, c, frag)
		}
	}
	if c := CheckClaims(map[string]any{}, "x", nil, now); len(c) != 3 || c[2].OK {
		t.Errorf("no claims: %+v, want iss/aud/exp failing and no iat row", c)
	}
}

func TestReadClaimsFile(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "claims.json")
	os.WriteFile(js, []byte(`{"sub":"s","org":"acme"}`), 0o600)
	claims, tok, err := ReadClaimsFile(js)
	if err != nil || tok != nil || claims["org"] != "acme" {
		t.Errorf("JSON file: %v %v %v", claims, tok, err)
	}
	jwt, _ := SignRS256(rsaKey(t), "k", map[string]any{"sub": "from-jwt"})
	jf := filepath.Join(dir, "token")
	os.WriteFile(jf, []byte(jwt+"\n"), 0o600)
	claims, tok, err = ReadClaimsFile(jf)
	if err != nil || tok == nil || claims["sub"] != "from-jwt" {
		t.Errorf("JWT file: %v %v %v", claims, tok, err)
	}
	os.WriteFile(jf, []byte("not a token"), 0o600)
	if _, _, err := ReadClaimsFile(jf); err == nil {
		t.Error("garbage file accepted")
	}
}
