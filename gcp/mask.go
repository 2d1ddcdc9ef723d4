package gcp

import (
	"github.com/fedctl/fedctl/internal/lazyregexp"
	"strings"
)

// maskKeep is the most of a secret Mask ever shows.
const maskKeep = 8

// Mask returns a printable stand-in for a secret (a token, a key): at most
// its first 8 characters — fewer for short secrets, so that a short value is
// never shown whole — followed by "…". Mask("") is "".
func Mask(secret string) string {
	if secret == "" {
		return ""
	}
	r := []rune(secret)
	n := min(maskKeep, len(r)/2)
	return string(r[:n]) + "…"
}

// secretFields are the JSON keys / form fields whose values are credentials:
// access tokens (iamcredentials, STS, oauth2), private keys (key creation,
// key files), and the assertions and subject tokens exchanged for tokens.
var secretFields = []string{
	"accessToken", "access_token", "privateKeyData", "private_key",
	"id_token", "idToken", "refresh_token", "client_secret",
	"subjectToken", "subject_token", "actorToken", "actor_token",
	"assertion", "signedJwt", "token", "code", "code_verifier",
}

var (
	// "key" : "value" with JSON escapes inside the value.
	jsonSecretRE = lazyregexp.New(`("(?:` + strings.Join(secretFields, "|") + `)"\s*:\s*")((?:[^"\\]|\\.)*)(")`)
	// key=value in a form body or a query string.
	formSecretRE = lazyregexp.New(`((?:^|&)(?:` + strings.Join(secretFields, "|") + `)=)([^&]*)`)
	// Bearer / Basic credentials wherever they appear.
	authHeaderRE = lazyregexp.New(`(?i)^(bearer|basic)\s+(.+)$`)
)

// maskJSON masks the values of secretFields in a JSON document (or in any
// text that embeds one, such as an error body).
func maskJSON(s string) string {
	return jsonSecretRE.ReplaceAllStringFunc(s, func(m string) string {
		p := jsonSecretRE.FindStringSubmatch(m)
		return p[1] + Mask(p[2]) + p[3]
	})
}

// maskForm masks the values of secretFields in a form body or query string.
func maskForm(s string) string {
	return formSecretRE.ReplaceAllStringFunc(s, func(m string) string {
		p := formSecretRE.FindStringSubmatch(m)
		return p[1] + Mask(p[2])
	})
}

// maskAuthorization masks an Authorization header value, keeping its scheme.
func maskAuthorization(v string) string {
	if p := authHeaderRE.FindStringSubmatch(v); p != nil {
		return p[1] + " " + Mask(p[2])
	}
	return Mask(v)
}
