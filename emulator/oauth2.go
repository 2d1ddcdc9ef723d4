package emulator

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The OAuth 2.0 token endpoint (oauth2.googleapis.com) as service-account key
// files use it: the JWT-bearer grant (RFC 7523) that golang.org/x/oauth2/jwt
// sends, and tokeninfo. Errors are OAuth-style JSON, not google.rpc.Status.

const jwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// Google's token URIs a key-file assertion may be addressed to, besides the
// emulator's own ENDPOINT/oauth2/token.
var oauthAudiences = map[string]bool{
	"https://oauth2.googleapis.com/token":        true,
	"https://www.googleapis.com/oauth2/v4/token": true,
	"https://accounts.google.com/o/oauth2/token": true,
}

// gcloudClientID is the OAuth client Google reports as azp/aud of user tokens
// minted by gcloud; the sandbox's user tokens are described as such.
const gcloudClientID = "764086051850-6qr4p6gpi6hn506pt8ejuq83di341hur.apps.googleusercontent.com"

func init() {
	registerAPI(func(s *Server) {
		s.handle(&route{Service: "oauth2", Method: "POST", Pattern: `^/token$`, Name: "oauth2.token", NoAuth: true, Handler: oauthToken})
		for _, m := range []string{"GET", "POST"} {
			s.handle(&route{Service: "oauth2", Method: m, Pattern: `^/(v1/|v3/)?tokeninfo$`, Name: "oauth2.tokeninfo", NoAuth: true, Handler: oauthTokenInfo})
		}
	})
}

func oauthErr(code, desc string) *apiError {
	return &apiError{HTTP: 400, OAuth: code, Message: desc}
}

var errJWTSignature = oauthErr("invalid_grant", "Invalid JWT Signature.")

// jwtClaims are the claims of a service-account assertion.
type jwtClaims struct {
	Iss            string `json:"iss"`
	Sub            string `json:"sub"`
	Aud            string `json:"aud"`
	Scope          string `json:"scope"`
	TargetAudience string `json:"target_audience"`
	Iat            int64  `json:"iat"`
	Exp            int64  `json:"exp"`
}

func oauthToken(c *call) (any, error) {
	form, err := url.ParseQuery(string(c.body))
	if err != nil {
		return nil, oauthErr("invalid_request", "Invalid request body.")
	}
	switch gt := form.Get("grant_type"); gt {
	case jwtBearerGrant:
	case "authorization_code":
		return oauthCodeGrant(c, form)
	case "refresh_token":
		return oauthRefreshGrant(c, form)
	case "":
		return nil, oauthErr("unsupported_grant_type", "Missing grant_type.")
	default:
		return nil, oauthErr("unsupported_grant_type", "Invalid grant_type: "+gt)
	}
	parts := strings.Split(form.Get("assertion"), ".")
	if len(parts) != 3 {
		return nil, oauthErr("invalid_request", "Invalid JWT: bad format.")
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var cl jwtClaims
	if jwtSegment(parts[0], &hdr) != nil || jwtSegment(parts[1], &cl) != nil {
		return nil, oauthErr("invalid_request", "Invalid JWT: bad format.")
	}
	if hdr.Alg != "RS256" {
		return nil, errJWTSignature
	}
	p, sa := c.st.FindServiceAccount(cl.Iss)
	if sa == nil || !c.saVisible(sa) {
		return nil, oauthErr("invalid_grant", "Invalid grant: account not found")
	}
	key, err := verifyJWTSignature(sa, hdr.Kid, parts, c.now)
	if err != nil {
		return nil, err
	}
	if sa.Disabled {
		return nil, oauthErr("invalid_grant", "Invalid grant: account disabled")
	}
	if !oauthAudiences[cl.Aud] && !c.ownTokenURL(cl.Aud) {
		return nil, oauthErr("invalid_grant", "Invalid JWT: Failed audience check. The right audience is https://oauth2.googleapis.com/token")
	}
	now := c.now.Unix()
	if cl.Exp <= now || cl.Iat > now+300 || cl.Exp-cl.Iat > 3600 || cl.Iat == 0 {
		return nil, oauthErr("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	}
	if cl.Sub != "" && cl.Sub != cl.Iss {
		return nil, oauthErr("unauthorized_client", "Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.")
	}
	scopes := strings.Fields(cl.Scope)
	if len(scopes) == 0 {
		return nil, oauthErr("invalid_scope", "Invalid OAuth scope or ID token audience provided.")
	}
	id := &Identity{Principal: "serviceAccount:" + sa.Email, Scopes: scopes, Expiry: c.now.Add(time.Hour).Unix(), UID: sa.UniqueID,
		KeyName: "//iam.googleapis.com/projects/" + p.ID + "/serviceAccounts/" + sa.Email + "/keys/" + key.ID}
	return map[string]any{"access_token": mintToken(c.st.Secret, id), "expires_in": 3599, "token_type": "Bearer"}, nil
}

// ownTokenURL reports whether aud is this emulator's token endpoint, as the
// server knows its URL or as the request reached it.
func (c *call) ownTokenURL(aud string) bool {
	if u := c.s.URL(); u != "" && aud == u+"oauth2/token" {
		return true
	}
	au, err := url.Parse(aud)
	return err == nil && au.Host == c.r.Host && au.Path == "/oauth2/token"
}

func jwtSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// verifyJWTSignature checks the RS256 signature against the SA's usable keys:
// the one named by kid, or any when kid is absent (as Google does).
func verifyJWTSignature(sa *ServiceAccount, kid string, parts []string, now time.Time) (*SAKey, error) {
	sig, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[2], "="))
	if err != nil {
		return nil, errJWTSignature
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	for _, k := range sa.Keys {
		if kid != "" && k.ID != kid {
			continue
		}
		if k.Disabled || (!k.ValidBefore.IsZero() && !now.Before(k.ValidBefore)) || now.Before(k.ValidAfter) {
			continue
		}
		pub, err := parseRSAPublicKey(k.PublicKeyPEM)
		if err != nil {
			continue
		}
		if rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig) == nil {
			return k, nil
		}
	}
	return nil, errJWTSignature
}

// parseRSAPublicKey accepts a PEM certificate (what Google publishes for SA
// keys), a PKIX public key or a PKCS#1 public key.
func parseRSAPublicKey(pemText string) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode([]byte(pemText))
	if blk == nil {
		return nil, errors.New("no PEM block")
	}
	var pub any
	var err error
	switch blk.Type {
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(blk.Bytes); err == nil {
			pub = cert.PublicKey
		}
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(blk.Bytes)
	default:
		pub, err = x509.ParsePKIXPublicKey(blk.Bytes)
	}
	if err != nil {
		return nil, err
	}
	rk, ok := pub.(*rsa.PublicKey)
	if !ok {
		return nil, errors.New("not an RSA key")
	}
	return rk, nil
}

// oauthTokenInfo describes an access token (oauth2 v3 tokeninfo: every value
// a string).
func oauthTokenInfo(c *call) (any, error) {
	tok := c.query("access_token")
	if tok == "" && c.r.Method == "POST" {
		if form, err := url.ParseQuery(string(c.body)); err == nil {
			tok = form.Get("access_token")
		}
	}
	id, ok := parseToken(c.st.Secret, tok, c.now)
	if !ok {
		return nil, oauthErr("invalid_token", "Invalid Value")
	}
	azp := gcloudClientID
	if id.Grant != "" {
		if !grantActive(c.st, id.Grant) {
			return nil, oauthErr("invalid_token", "Invalid Value")
		}
		if os, err := loadOAuth(c.st); err == nil {
			azp = os.Grants[id.Grant].Client
		}
	}
	if email, ok := strings.CutPrefix(id.Principal, "serviceAccount:"); ok {
		if _, sa := c.st.FindServiceAccount(email); sa != nil {
			azp = sa.UniqueID
		}
	}
	out := map[string]string{
		"azp": azp, "aud": azp, "scope": strings.Join(id.Scopes, " "),
		"exp": strconv.FormatInt(id.Expiry, 10), "expires_in": strconv.FormatInt(id.Expiry-c.now.Unix(), 10),
		"access_type": "online",
	}
	if e := id.Email(); e != "" {
		out["email"], out["email_verified"] = e, "true"
	}
	return out, nil
}
