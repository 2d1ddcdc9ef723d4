package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/iostreams"
)

func TestAdminKeyFileWrittenPrivatelyOnce(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	keyPath := filepath.Join(t.TempDir(), "admin.json")
	cfg := testConfig(t, "alice@acme.com")
	cfg.AdminKeyFile = keyPath

	p, res := e.setup(t, cfg)
	if o, _ := res.Outcome("service_account_key.admin"); o.Status != OutcomeApplied {
		t.Fatalf("key outcome = %+v", o)
	}
	if !slices.Contains(p.Warnings, KeyFileWarning) {
		t.Errorf("no keyless warning in %q", p.Warnings)
	}
	fi, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %o, want 600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(keyPath)
	var key struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(data, &key); err != nil || key.Type != "service_account" || key.ClientEmail != saEmail("fedctl-admin") || key.PrivateKey == "" {
		t.Fatalf("key file is not the admin's key (err %v, type %q, email %q)", err, key.Type, key.ClientEmail)
	}
	// The key material appears in no rendering.
	var out bytes.Buffer
	_ = RenderText(&out, p, iostreams.NewColorScheme(false))
	_ = RenderJSON(&out, p)
	_ = RenderSummaryJSON(&out, NewSummary(res))
	_ = RenderSummaryText(&out, NewSummary(res), iostreams.NewColorScheme(false))
	for _, ev := range e.events {
		out.WriteString(ev.Step)
	}
	if strings.Contains(out.String(), "PRIVATE KEY") || strings.Contains(out.String(), key.PrivateKey[:40]) {
		t.Error("key material was rendered")
	}

	// A second run keeps the file and mints no new key.
	keysBefore := e.srv.Stats().ByRoute["iam.projects.serviceAccounts.keys.create"]
	p2, _ := e.setup(t, cfg)
	if c := p2.Change("service_account_key.admin"); c.Action != ActionNoop {
		t.Errorf("second run plans the key as %s", c.Action)
	}
	if n := e.srv.Stats().ByRoute["iam.projects.serviceAccounts.keys.create"]; n != keysBefore {
		t.Errorf("second run created %d key(s)", n-keysBefore)
	}
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, data) {
		t.Error("the key file was rewritten")
	}
}

func TestKeyFileNeverOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.json")
	if err := os.WriteFile(path, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := reserveKeyFile(path); !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("err = %v, want ErrKeyFileExists", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "keep me" {
		t.Errorf("file content changed to %q", got)
	}
}

// If the file appears between plan and apply, the key step fails without
// minting a key, and the file is left alone.
func TestKeyStepRefusesFileCreatedAfterPlan(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	path := filepath.Join(t.TempDir(), "admin.json")
	cfg := testConfig(t, "alice@acme.com")
	cfg.AdminKeyFile = path
	p := e.plan(t, cfg)
	if err := os.WriteFile(path, []byte("someone else's"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := e.eng.Apply(context.Background(), p)
	if !errors.Is(err, ErrKeyFileExists) {
		t.Fatalf("err = %v, want ErrKeyFileExists", err)
	}
	if n := e.srv.Stats().ByRoute["iam.projects.serviceAccounts.keys.create"]; n != 0 {
		t.Errorf("%d key(s) minted", n)
	}
	if got, _ := os.ReadFile(path); string(got) != "someone else's" {
		t.Errorf("file overwritten: %q", got)
	}
}

func TestHoopPolicyFile(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	path := filepath.Join(t.TempDir(), "hoop.yaml")
	cfg := testConfig(t, "alice@acme.com")
	cfg.HoopPolicy = path
	e.setup(t, cfg)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := yaml.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"builtin_provider":          "gcp_iam",
		"identity_source_attribute": "$.user.email",
		"identity_target_template":  "fedctl-{user.email_local}@demo-project.iam.gserviceaccount.com",
		"fallback_policy":           "deny",
		"token_ttl_seconds":         3600,
		"extra_config":              map[string]any{"project_id": "demo-project"},
	}
	for k, v := range want {
		if k == "extra_config" {
			if m, _ := got[k].(map[string]any); m["project_id"] != "demo-project" || len(m) != 1 {
				t.Errorf("extra_config = %v", got[k])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("unexpected keys in %v", got)
	}
	// Unchanged on a second run; rewritten when someone edited it.
	if c := e.plan(t, cfg).Change("local_file.hoop_policy"); c.Action != ActionNoop {
		t.Errorf("second run plans the policy file as %s", c.Action)
	}
	os.WriteFile(path, []byte("edited"), 0o644)
	if c := e.plan(t, cfg).Change("local_file.hoop_policy"); c.Action != ActionUpdate {
		t.Errorf("edited policy file planned as %s", c.Action)
	}
}

func TestHoopTemplateTranslation(t *testing.T) {
	for tmpl, want := range map[string]string{
		"fedctl-{user.email}@{project}.iam.gserviceaccount.com": "fedctl-{user.email_local}@my-proj.iam.gserviceaccount.com",
		"bq-{user.email}":                         "bq-{user.email_local}@my-proj.iam.gserviceaccount.com",
		"shared-bq@other.iam.gserviceaccount.com": "shared-bq@other.iam.gserviceaccount.com",
	} {
		d := &Desired{Project: "my-proj", Template: tmpl}
		if got := NewHoopPolicy(d).IdentityTargetTemplate; got != want {
			t.Errorf("%s → %s, want %s", tmpl, got, want)
		}
	}
}
