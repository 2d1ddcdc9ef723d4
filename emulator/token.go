package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// tokenPrefix marks the opaque access tokens this emulator mints. Google's
// tokens are opaque too ("ya29.…"); clients must not look inside.
const tokenPrefix = "ya29.fedctl."

// Identity is who a bearer token speaks for.
type Identity struct {
	// Principal is an IAM member string: "user:x", "serviceAccount:x" or
	// "principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/P/subject/S".
	Principal string `json:"p"`
	// Chain is the delegation chain, the original caller first, as members
	// (the AuditLog's serviceAccountDelegationInfo order).
	Chain []string `json:"c,omitempty"`
	// Attributes are a federated principal's mapped attributes
	// (google.subject, attribute.X, ...), for principalSet matching.
	Attributes map[string]string `json:"a,omitempty"`
	// KeyName is the SA key used, when the token came from a key file.
	KeyName string `json:"k,omitempty"`
	// Scopes granted.
	Scopes []string `json:"s,omitempty"`
	// Grant is the OAuth consent a user token was issued under
	// (oauth_consent.go): revoking the grant invalidates the token.
	Grant string `json:"g,omitempty"`
	// Expiry in Unix seconds.
	Expiry int64 `json:"e"`
	// UID is the unique ID of the service account a serviceAccount: token
	// speaks for, so that the token follows that account (not a later one
	// of the same email) through disable, enable and delete (revoked).
	UID string `json:"u,omitempty"`
}

// Email is the principal's email for user: and serviceAccount: members.
func (id *Identity) Email() string {
	if i := strings.IndexByte(id.Principal, ':'); i >= 0 && !strings.HasPrefix(id.Principal, "principal") {
		return id.Principal[i+1:]
	}
	return ""
}

// mintToken encodes id as an opaque token MAC'd with the state secret.
func mintToken(secret []byte, id *Identity) string {
	payload, _ := json.Marshal(id)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return tokenPrefix + p + "." + tokenMAC(secret, p)
}

func tokenMAC(secret []byte, payload string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// parseToken verifies and decodes a token; ok is false for a token this
// emulator did not mint (or minted before a reset) and for an expired one.
func parseToken(secret []byte, tok string, now time.Time) (*Identity, bool) {
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return nil, false
	}
	p, mac, ok := strings.Cut(rest, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(tokenMAC(secret, p))) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, false
	}
	var id Identity
	if json.Unmarshal(b, &id) != nil || id.Principal == "" {
		return nil, false
	}
	if id.Expiry != 0 && now.Unix() >= id.Expiry {
		return nil, false
	}
	return &id, true
}

// revoked reports whether a service account token is no longer accepted
// because of its account's state. Google documents that disabling an SA
// takes effect at once ("Existing access tokens for the service account
// are rejected, and requests for new access tokens will fail"), and that
// after re-enabling it "its existing access tokens will be accepted"
// (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts/disable);
// a deleted account authenticates nothing, and one recreated with the same
// email is a different principal (a new unique ID) that old tokens do not
// speak for. Undeleting restores the same unique ID. Tokens without a UID
// (seeded operator tokens) are not tied to an account.
func (st *State) revoked(id *Identity) bool {
	email, ok := strings.CutPrefix(id.Principal, "serviceAccount:")
	if !ok || id.UID == "" {
		return false
	}
	_, sa := st.FindServiceAccount(email)
	return sa == nil || sa.UniqueID != id.UID || sa.Disabled
}
