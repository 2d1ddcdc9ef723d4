package emulator

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"path"
	"strings"
	"testing"

	"golang.org/x/oauth2/google"
	iam "google.golang.org/api/iam/v1"
)

func cpPEM(t *testing.T, s, typ string) []byte {
	t.Helper()
	b, _ := pem.Decode([]byte(s))
	if b == nil || b.Type != typ {
		t.Fatalf("not a %s PEM block", typ)
	}
	return b.Bytes
}

func TestServiceAccountKeys(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa := e.createSA("keyed-robot")
	keys := e.iam.Projects.ServiceAccounts.Keys

	k, err := keys.Create(sa.Name, &iam.CreateServiceAccountKeyRequest{}).Do()
	if err != nil {
		t.Fatal(err)
	}
	keyID := path.Base(k.Name)
	if k.Name != sa.Name+"/keys/"+keyID || len(keyID) != 40 || k.PrivateKeyType != "TYPE_GOOGLE_CREDENTIALS_FILE" ||
		k.KeyType != "USER_MANAGED" || k.KeyAlgorithm != "KEY_ALG_RSA_2048" || k.KeyOrigin != "GOOGLE_PROVIDED" ||
		k.ValidBeforeTime != "9999-12-31T23:59:59Z" || k.ValidAfterTime != "2025-03-01T09:00:00Z" {
		t.Errorf("created key %+v", k)
	}

	// The key file is what Google hands out, and Google's own parser takes it.
	file, err := base64.StdEncoding.DecodeString(k.PrivateKeyData)
	if err != nil {
		t.Fatal(err)
	}
	var kf map[string]string
	if err := json.Unmarshal(file, &kf); err != nil {
		t.Fatal(err)
	}
	for f, want := range map[string]string{"type": "service_account", "project_id": cpProject, "private_key_id": keyID,
		"client_email": sa.Email, "client_id": sa.UniqueId, "token_uri": "https://oauth2.googleapis.com/token",
		"auth_uri": "https://accounts.google.com/o/oauth2/auth", "universe_domain": "googleapis.com",
		"client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/keyed-robot%40demo-project.iam.gserviceaccount.com"} {
		if kf[f] != want {
			t.Errorf("key file %s = %q, want %q", f, kf[f], want)
		}
	}
	cfg, err := google.JWTConfigFromJSON(file)
	if err != nil || cfg.Email != sa.Email || cfg.PrivateKeyID != keyID {
		t.Fatalf("JWTConfigFromJSON: %+v %v", cfg, err)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(cpPEM(t, kf["private_key"], "PRIVATE KEY"))
	if err != nil {
		t.Fatal(err)
	}
	priv := parsed.(*rsa.PrivateKey)
	if priv.N.BitLen() != 2048 {
		t.Errorf("key of %d bits", priv.N.BitLen())
	}

	// Only the public half is stored, and it matches.
	if err := e.ts.WithState(func(st *State) error {
		_, s := st.FindServiceAccount(sa.Email)
		for _, sk := range s.Keys {
			if sk.ID == keyID {
				pub, err := x509.ParsePKIXPublicKey(cpPEM(t, sk.PublicKeyPEM, "PUBLIC KEY"))
				if err != nil || !priv.PublicKey.Equal(pub) {
					t.Errorf("stored public key does not match: %v", err)
				}
				return nil
			}
		}
		t.Error("key not stored")
		return nil
	}); err != nil {
		t.Fatal(err)
	}

	// keys.get with an X.509 public key.
	got, err := keys.Get(k.Name).PublicKeyType("TYPE_X509_PEM_FILE").Do()
	if err != nil {
		t.Fatal(err)
	}
	certPEM, _ := base64.StdEncoding.DecodeString(got.PublicKeyData)
	cert, err := x509.ParseCertificate(cpPEM(t, string(certPEM), "CERTIFICATE"))
	if err != nil || !priv.PublicKey.Equal(cert.PublicKey) || got.PrivateKeyData != "" {
		t.Errorf("x509 public key: %v", err)
	}
	if plain, _ := keys.Get(k.Name).Do(); plain.PublicKeyData != "" {
		t.Error("public key returned without publicKeyType")
	}

	// list: a system-managed key besides, filtered by keyTypes.
	count := func(types ...string) (n int, system string) {
		l, err := keys.List(sa.Name).KeyTypes(types...).Do()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range l.Keys {
			if k.KeyType == "SYSTEM_MANAGED" {
				system = k.Name
			}
		}
		return len(l.Keys), system
	}
	if n, sys := count(); n != 2 || sys == "" {
		t.Errorf("all keys: %d (system %q)", n, sys)
	}
	if n, _ := count("USER_MANAGED"); n != 1 {
		t.Errorf("user-managed keys: %d", n)
	}
	n, sys := count("SYSTEM_MANAGED")
	if n != 1 {
		t.Errorf("system-managed keys: %d", n)
	}
	_, err = keys.List(sa.Name).KeyTypes("BOGUS").Do()
	cpGoogleErr(t, err, 400)

	// delete: user-managed only; then it is gone.
	_, err = keys.Delete(sys).Do()
	cpGoogleErr(t, err, 400)
	if _, err := keys.Delete(k.Name).Do(); err != nil {
		t.Fatal(err)
	}
	if n, _ := count("USER_MANAGED"); n != 0 {
		t.Errorf("user-managed keys after delete: %d", n)
	}
	_, err = keys.Get(k.Name).Do()
	if ge := cpGoogleErr(t, err, 404); ge.Message != "Service account key "+keyID+" does not exist." {
		t.Errorf("deleted key: %q", ge.Message)
	}
}

func TestServiceAccountKeyLimit(t *testing.T) {
	e := cpNew(t, Options{})
	e.enable(iamService)
	sa := e.createSA("many-keys")
	// Seed ten user-managed keys directly: generating RSA keys is slow.
	if err := e.ts.WithState(func(st *State) error {
		_, s := st.FindServiceAccount(sa.Email)
		for range maxUserManagedKeys {
			s.Keys = append(s.Keys, &SAKey{ID: "k" + newEtag(), KeyType: "USER_MANAGED"})
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, err := e.iam.Projects.ServiceAccounts.Keys.Create(sa.Name, &iam.CreateServiceAccountKeyRequest{}).Do()
	if ge := cpGoogleErr(t, err, 400); ge.Message != "Precondition check failed." || !strings.Contains(ge.Body, "FAILED_PRECONDITION") {
		t.Errorf("11th key: %v", err)
	}
}
