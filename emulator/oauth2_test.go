package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
)

// dpKeyFile gives sa a user-managed key and returns a key file for it, as
// iam keys.create would hand out.
func (e *dpEnv) dpKeyFile(t *testing.T, sa *ServiceAccount) (keyJSON []byte, keyID string) {
	t.Helper()
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, _ := x509.MarshalPKCS8PrivateKey(priv)
	pub, _ := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	keyID = hex.EncodeToString(randomBytes(20))
	e.state(t, func(st *State) {
		s := st.Projects[dpProject].ServiceAccounts[sa.Email]
		s.Keys = append(s.Keys, &SAKey{ID: keyID, KeyType: "USER_MANAGED", ValidAfter: e.clock.Now().Add(-time.Hour),
			ValidBefore: e.clock.Now().Add(24 * time.Hour), PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))})
	})
	keyJSON, _ = json.Marshal(map[string]string{
		"type": "service_account", "project_id": dpProject, "private_key_id": keyID,
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		"client_email": sa.Email, "client_id": sa.UniqueID, "token_uri": "https://oauth2.googleapis.com/token",
	})
	return keyJSON, keyID
}

// keyToken runs the jwt-bearer flow of golang.org/x/oauth2/google against
// the emulator. The JWT library stamps iat/exp with the real clock, so these
// tests run the emulator on a fake clock that starts now (dpNewAt).
func (e *dpEnv) keyToken(t *testing.T, keyJSON []byte) (*oauth2.Token, error) {
	t.Helper()
	cfg, err := google.JWTConfigFromJSON(keyJSON, dpScope)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TokenURL = e.Endpoint + "oauth2/token"
	return cfg.TokenSource(dpCtx).Token()
}

func TestOAuthKeyFileTokenIsAcceptedAndAudited(t *testing.T) {
	e := dpNewAt(t, 0, time.Now())
	runner := e.sa(t, "runner")
	e.grant(t, e.onProject(), "roles/bigquery.jobUser", "serviceAccount:"+runner.Email)
	keyJSON, keyID := e.dpKeyFile(t, runner)

	tok, err := e.keyToken(t, keyJSON)
	if err != nil {
		t.Fatalf("jwt-bearer flow: %v", err)
	}
	if tok.TokenType != "Bearer" || time.Until(tok.Expiry) < 50*time.Minute {
		t.Errorf("token type %q expiring %v, want Bearer for ~1h", tok.TokenType, tok.Expiry)
	}
	if _, err := dpReadAll(t, e.bqClient(t, tok.AccessToken).Query("SELECT 1")); err != nil {
		t.Fatalf("SELECT 1 with the key's token: %v", err)
	}
	entries := e.entries(t, bqJobInsertName)
	wantKey := "//iam.googleapis.com/projects/" + dpProject + "/serviceAccounts/" + runner.Email + "/keys/" + keyID
	if len(entries) == 0 || dpDig(entries[0], "protoPayload", "authenticationInfo", "serviceAccountKeyName") != wantKey {
		t.Fatalf("InsertJob entry key name = %v, want %s", dpDig(entries, 0, "protoPayload", "authenticationInfo"), wantKey)
	}

	info := dpTokenInfo(t, e, tok.AccessToken)
	if info["email"] != runner.Email || info["email_verified"] != "true" || info["scope"] != dpScope || info["azp"] != runner.UniqueID {
		t.Errorf("tokeninfo = %v", info)
	}
	if info := dpTokenInfo(t, e, "ya29.not-ours"); info["error"] != "invalid_token" || info["error_description"] != "Invalid Value" {
		t.Errorf("tokeninfo of a foreign token = %v", info)
	}
}

func TestOAuthKeyFileRejections(t *testing.T) {
	e := dpNewAt(t, 0, time.Now())
	runner := e.sa(t, "runner")
	keyJSON, keyID := e.dpKeyFile(t, runner)

	// A key the account does not hold: same kid, other private key.
	var forged map[string]string
	json.Unmarshal(keyJSON, &forged)
	other, _ := e.dpKeyFile(t, e.sa(t, "other"))
	var otherKey map[string]string
	json.Unmarshal(other, &otherKey)
	forged["private_key"] = otherKey["private_key"]
	forgedJSON, _ := json.Marshal(forged)
	if _, err := e.keyToken(t, forgedJSON); dpOAuthError(err) != "invalid_grant" || !strings.Contains(err.Error(), "Invalid JWT Signature.") {
		t.Errorf("forged signature: got %v, want invalid_grant Invalid JWT Signature.", err)
	}

	e.state(t, func(st *State) { st.Projects[dpProject].ServiceAccounts[runner.Email].Keys[0].Disabled = true })
	if _, err := e.keyToken(t, keyJSON); dpOAuthError(err) != "invalid_grant" {
		t.Errorf("disabled key %s: got %v, want invalid_grant", keyID, err)
	}

	e.state(t, func(st *State) { delete(st.Projects[dpProject].ServiceAccounts, runner.Email) })
	if _, err := e.keyToken(t, keyJSON); dpOAuthError(err) != "invalid_grant" || !strings.Contains(err.Error(), "account not found") {
		t.Errorf("deleted account: got %v, want invalid_grant account not found", err)
	}
}

func dpOAuthError(err error) string {
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		return ""
	}
	if re.ErrorCode != "" {
		return re.ErrorCode
	}
	// x/oauth2/jwt leaves the body unparsed.
	var body struct{ Error string }
	json.Unmarshal(re.Body, &body)
	return body.Error
}

func dpTokenInfo(t *testing.T, e *dpEnv, tok string) map[string]string {
	t.Helper()
	resp, err := http.Get(e.Endpoint + "oauth2/tokeninfo?access_token=" + url.QueryEscape(tok))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]string
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("tokeninfo body %s: %v", b, err)
	}
	return out
}
