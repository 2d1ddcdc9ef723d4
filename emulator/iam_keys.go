package emulator

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/url"
	"time"

	iam "google.golang.org/api/iam/v1"
)

// IAM v1 service-account keys (gcp-wire §5.4). keys.create generates a real
// RSA key and hands out a real key file once; only the public half is kept.

const (
	maxUserManagedKeys = 10
	keyTimeFormat      = "2006-01-02T15:04:05Z"
)

// userKeyValidBefore is the expiry Google gives user-managed keys.
var userKeyValidBefore = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

func init() {
	registerAPI(func(s *Server) {
		const p, keys = "iam.projects.serviceAccounts.keys.", saNamePath + `/keys`
		for _, r := range []*route{
			{Method: "GET", Pattern: keys + `$`, Name: p + "list", Handler: keyList},
			{Method: "POST", Pattern: keys + `$`, Name: p + "create", Mutates: true, Handler: keyCreate},
			{Method: "GET", Pattern: keys + `/([^/:]+)$`, Name: p + "get", Handler: keyGet},
			{Method: "DELETE", Pattern: keys + `/([^/:]+)$`, Name: p + "delete", Mutates: true, Handler: keyDelete},
			{Method: "POST", Pattern: keys + `/([^/:]+):disable$`, Name: p + "disable", Mutates: true, Handler: func(c *call) (any, error) { return keySetDisabled(c, true) }},
			{Method: "POST", Pattern: keys + `/([^/:]+):enable$`, Name: p + "enable", Mutates: true, Handler: func(c *call) (any, error) { return keySetDisabled(c, false) }},
		} {
			r.Service = "iam"
			s.handle(r)
		}
	})
}

// keyWire is the ServiceAccountKey resource without key material.
func keyWire(p *Project, sa *ServiceAccount, k *SAKey) *iam.ServiceAccountKey {
	origin := "GOOGLE_PROVIDED"
	reason := ""
	if k.Disabled {
		// The emulator's keys are disabled only by keys.disable.
		reason = "SERVICE_ACCOUNT_KEY_DISABLE_REASON_USER_INITIATED"
	}
	return &iam.ServiceAccountKey{DisableReason: reason,
		Name:            "projects/" + p.ID + "/serviceAccounts/" + sa.Email + "/keys/" + k.ID,
		ValidAfterTime:  k.ValidAfter.UTC().Format(keyTimeFormat),
		ValidBeforeTime: k.ValidBefore.UTC().Format(keyTimeFormat),
		KeyAlgorithm:    "KEY_ALG_RSA_2048", KeyOrigin: origin, KeyType: k.KeyType, Disabled: k.Disabled,
	}
}

// ensureSystemKey gives an account its Google-held key if it has none (SAs
// seeded directly into the state); the state is then saved even on a read.
func (c *call) ensureSystemKey(sa *ServiceAccount) {
	for _, k := range sa.Keys {
		if k.KeyType == "SYSTEM_MANAGED" {
			return
		}
	}
	sa.Keys = append([]*SAKey{newSystemKey(c.now)}, sa.Keys...)
	c.dirty = true
}

func keyList(c *call) (any, error) {
	p, sa, err := lookupSA(c, "iam.serviceAccountKeys.list")
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for i, t := range c.r.URL.Query()["keyTypes"] {
		switch t {
		case "USER_MANAGED", "SYSTEM_MANAGED":
		default:
			return nil, errInvalid(fmt.Sprintf("Invalid value at 'key_types[%d]' (type.googleapis.com/google.iam.admin.v1.ListServiceAccountKeysRequest.KeyType), %q", i, t))
		}
		if want[t] {
			return nil, errInvalid(fmt.Sprintf("Duplicate key type %s in the request.", t))
		}
		want[t] = true
	}
	c.ensureSystemKey(sa)
	out := &iam.ListServiceAccountKeysResponse{}
	for _, k := range sa.Keys {
		if len(want) == 0 || want[k.KeyType] {
			out.Keys = append(out.Keys, keyWire(p, sa, k))
		}
	}
	return out, nil
}

// saKeyFile is a service-account key file, fields in Google's order.
type saKeyFile struct {
	Type                    string `json:"type"`
	ProjectID               string `json:"project_id"`
	PrivateKeyID            string `json:"private_key_id"`
	PrivateKey              string `json:"private_key"`
	ClientEmail             string `json:"client_email"`
	ClientID                string `json:"client_id"`
	AuthURI                 string `json:"auth_uri"`
	TokenURI                string `json:"token_uri"`
	AuthProviderX509CertURL string `json:"auth_provider_x509_cert_url"`
	ClientX509CertURL       string `json:"client_x509_cert_url"`
	UniverseDomain          string `json:"universe_domain"`
}

func keyCreate(c *call) (any, error) {
	p, sa, err := lookupSA(c, "iam.serviceAccountKeys.create")
	if err != nil {
		return nil, err
	}
	if err := c.checkKeyCreation(p, sa); err != nil {
		return nil, err
	}
	var req iam.CreateServiceAccountKeyRequest
	if err := c.decode(&req); err != nil {
		return nil, err
	}
	switch req.PrivateKeyType {
	case "", "TYPE_GOOGLE_CREDENTIALS_FILE":
	case "TYPE_PKCS12_FILE":
		return nil, errInvalid("The emulator issues only TYPE_GOOGLE_CREDENTIALS_FILE keys (P12 key files are legacy).")
	default:
		return nil, errInvalid(fmt.Sprintf("Invalid value at 'private_key_type' (type.googleapis.com/google.iam.admin.v1.ServiceAccountPrivateKeyType), %q", req.PrivateKeyType))
	}
	switch req.KeyAlgorithm {
	case "", "KEY_ALG_UNSPECIFIED", "KEY_ALG_RSA_2048":
	default:
		return nil, errInvalid(fmt.Sprintf("Key algorithm %s is not supported; use KEY_ALG_RSA_2048.", req.KeyAlgorithm))
	}
	n := 0
	for _, k := range sa.Keys {
		if k.KeyType == "USER_MANAGED" {
			n++
		}
	}
	if n >= maxUserManagedKeys {
		return nil, errFailedPrecondition("Precondition check failed.")
	}

	now := c.now.UTC().Truncate(time.Second)
	id := hex.EncodeToString(randomBytes(20))
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	pub, err := x509.MarshalPKIXPublicKey(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	cert, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(randomBytes(8)),
		Subject:      pkix.Name{CommonName: id},
		NotBefore:    now, NotAfter: userKeyValidBefore,
		KeyUsage: x509.KeyUsageDigitalSignature,
	}, &x509.Certificate{Subject: pkix.Name{CommonName: sa.Email}}, &priv.PublicKey, priv)
	if err != nil {
		return nil, err
	}
	file, err := json.MarshalIndent(&saKeyFile{
		Type: "service_account", ProjectID: p.ID, PrivateKeyID: id,
		PrivateKey:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})),
		ClientEmail: sa.Email, ClientID: sa.UniqueID,
		AuthURI:                 "https://accounts.google.com/o/oauth2/auth",
		TokenURI:                "https://oauth2.googleapis.com/token",
		AuthProviderX509CertURL: "https://www.googleapis.com/oauth2/v1/certs",
		ClientX509CertURL:       "https://www.googleapis.com/robot/v1/metadata/x509/" + url.QueryEscape(sa.Email),
		UniverseDomain:          "googleapis.com",
	}, "", "  ")
	if err != nil {
		return nil, err
	}
	k := &SAKey{ID: id, KeyType: "USER_MANAGED", ValidAfter: now, ValidBefore: userKeyValidBefore,
		PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		CertPEM:      string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert}))}
	sa.Keys = append(sa.Keys, k)
	out := keyWire(p, sa, k)
	out.PrivateKeyType = "TYPE_GOOGLE_CREDENTIALS_FILE"
	out.PrivateKeyData = base64.StdEncoding.EncodeToString(append(file, '\n'))
	return out, nil
}

// findKey resolves the key of c.args[2].
func findKey(c *call, permission string) (*Project, *ServiceAccount, *SAKey, error) {
	p, sa, err := lookupSA(c, permission)
	if err != nil {
		return nil, nil, nil, err
	}
	c.ensureSystemKey(sa)
	for _, k := range sa.Keys {
		if k.ID == c.args[2] {
			return p, sa, k, nil
		}
	}
	return nil, nil, nil, errNotFound(fmt.Sprintf("Service account key %s does not exist.", c.args[2]))
}

func keyGet(c *call) (any, error) {
	p, sa, k, err := findKey(c, "iam.serviceAccountKeys.get")
	if err != nil {
		return nil, err
	}
	out := keyWire(p, sa, k)
	switch t := c.query("publicKeyType"); t {
	case "", "TYPE_NONE":
	case "TYPE_X509_PEM_FILE":
		out.PublicKeyData = base64.StdEncoding.EncodeToString([]byte(k.CertPEM))
	case "TYPE_RAW_PUBLIC_KEY":
		out.PublicKeyData = base64.StdEncoding.EncodeToString([]byte(k.PublicKeyPEM))
	default:
		return nil, errInvalid(fmt.Sprintf("Invalid value at 'public_key_type' (type.googleapis.com/google.iam.admin.v1.ServiceAccountPublicKeyType), %q", t))
	}
	return out, nil
}

func keyDelete(c *call) (any, error) {
	_, sa, k, err := findKey(c, "iam.serviceAccountKeys.delete")
	if err != nil {
		return nil, err
	}
	if k.KeyType != "USER_MANAGED" {
		return nil, errFailedPrecondition("Precondition check failed.")
	}
	for i, x := range sa.Keys {
		if x == k {
			sa.Keys = append(sa.Keys[:i], sa.Keys[i+1:]...)
			break
		}
	}
	return nil, nil
}

func keySetDisabled(c *call, disabled bool) (any, error) {
	_, _, k, err := findKey(c, "iam.serviceAccountKeys."+map[bool]string{true: "disable", false: "enable"}[disabled])
	if err != nil {
		return nil, err
	}
	if err := c.decode(&struct{}{}); err != nil {
		return nil, err
	}
	if k.KeyType != "USER_MANAGED" {
		return nil, errFailedPrecondition("Precondition check failed.")
	}
	k.Disabled = disabled
	return nil, nil
}
