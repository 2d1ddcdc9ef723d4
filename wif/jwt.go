package wif

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// MaxTokenAge is how old (by iat) a subject token STS still accepts.
const MaxTokenAge = 24 * time.Hour

// Token is a decoded JWT. Decoding does not check the signature: see
// VerifySignature.
type Token struct {
	Header map[string]any
	Claims map[string]any

	signingInput string
	signature    []byte
}

// ParseJWT decodes a compact JWS (header.payload.signature). Numbers in the
// claims become float64, as in any JSON claim set.
func ParseJWT(s string) (*Token, error) {
	s = strings.TrimSpace(s)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT: want three base64url parts separated by dots")
	}
	t := &Token{signingInput: parts[0] + "." + parts[1]}
	if err := decodeSegment(parts[0], &t.Header); err != nil {
		return nil, fmt.Errorf("JWT header: %w", err)
	}
	if err := decodeSegment(parts[1], &t.Claims); err != nil {
		return nil, fmt.Errorf("JWT claims: %w", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return nil, fmt.Errorf("JWT signature: %w", err)
	}
	t.signature = sig
	return t, nil
}

func decodeSegment(seg string, v *map[string]any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return errors.New("not base64url")
	}
	if err := json.Unmarshal(b, v); err != nil || *v == nil {
		return errors.New("not a JSON object")
	}
	return nil
}

// ReadClaimsFile reads claims from a file holding either a JWT or a JSON
// object of claims (verify --claims / --subject-token-file). It returns the
// token too when the file held one.
func ReadClaimsFile(path string) (map[string]any, *Token, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var claims map[string]any
		if err := json.Unmarshal(b, &claims); err != nil {
			return nil, nil, fmt.Errorf("%s: not a JSON object of claims: %v", path, err)
		}
		return claims, nil, nil
	}
	t, err := ParseJWT(string(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return t.Claims, t, nil
}

// ClaimCheck is the verdict on one registered claim.
type ClaimCheck struct {
	Claim  string // iss, aud, exp, iat
	OK     bool
	Seen   string
	Detail string // why not, or what was matched
}

// CheckClaims checks a token's registered claims as STS does: iss equals
// the provider's issuer; aud is one of the allowed audiences (or, with
// none configured, the provider's own resource name — DefaultAudiences);
// exp in the future; iat at most MaxTokenAge old and not in the future.
func CheckClaims(claims map[string]any, issuer string, audiences []string, now time.Time) []ClaimCheck {
	var out []ClaimCheck
	iss, _ := claims["iss"].(string)
	c := ClaimCheck{Claim: "iss", Seen: iss, OK: iss == strings.TrimSpace(issuer)}
	if !c.OK {
		c.Detail = fmt.Sprintf("want %q (the provider's issuer URI, exactly)", issuer)
	}
	out = append(out, c)

	auds := audienceList(claims["aud"])
	c = ClaimCheck{Claim: "aud", Seen: strings.Join(auds, ", ")}
	for _, a := range auds {
		if slices.Contains(audiences, a) {
			c.OK, c.Detail = true, "allowed audience "+a
			break
		}
	}
	if !c.OK {
		c.Detail = "want one of " + strings.Join(audiences, ", ")
	}
	out = append(out, c)

	out = append(out, timeClaim(claims, "exp", now, func(t time.Time) string {
		if !t.After(now) {
			return "expired " + now.Sub(t).Round(time.Second).String() + " ago"
		}
		return ""
	}))
	if _, ok := claims["iat"]; ok {
		out = append(out, timeClaim(claims, "iat", now, func(t time.Time) string {
			switch {
			case t.After(now.Add(time.Minute)):
				return "issued in the future (clock skew?)"
			case now.Sub(t) > MaxTokenAge:
				return fmt.Sprintf("issued %s ago; STS refuses tokens older than %s", now.Sub(t).Round(time.Second), MaxTokenAge)
			}
			return ""
		}))
	}
	return out
}

func timeClaim(claims map[string]any, name string, now time.Time, problem func(time.Time) string) ClaimCheck {
	n, ok := claims[name].(float64)
	if !ok {
		return ClaimCheck{Claim: name, Detail: "missing or not a number"}
	}
	t := time.Unix(int64(n), 0).UTC()
	c := ClaimCheck{Claim: name, Seen: t.Format(time.RFC3339)}
	if why := problem(t); why != "" {
		c.Detail = why
	} else {
		c.OK = true
	}
	return c
}

// audienceList reads aud as a string or an array of strings.
func audienceList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}
