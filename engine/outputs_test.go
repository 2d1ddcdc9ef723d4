package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/emulator"
	"github.com/fedctl/fedctl/gcp"
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

// hoopFederationFile is hoophq/hoop client/cmd/admin/federation.go's
// federationFile, the struct `hoop admin federation set --file` decodes:
// exactly Hoop's field names, so a strict decode rejects any other key.
type hoopFederationFile struct {
	BuiltinProvider         string         `yaml:"builtin_provider"`
	IdentitySourceAttribute string         `yaml:"identity_source_attribute"`
	IdentityTargetTemplate  string         `yaml:"identity_target_template"`
	FallbackPolicy          string         `yaml:"fallback_policy"`
	TokenTTLSeconds         int            `yaml:"token_ttl_seconds"`
	ExtraConfig             map[string]any `yaml:"extra_config"`
}

// decodeHoopStrict decodes a policy file as Hoop would, strictly, and applies
// Hoop's own checks: the gateway's (hoophq/hoop gateway/api/connections/
// connection_federation.go: known provider, 0 < ttl <= 43200, fallback deny
// or static) and the template's (gateway/federation/identity.go: only
// {user.email} and {user.id}).
func decodeHoopStrict(t *testing.T, data []byte) hoopFederationFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f hoopFederationFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("Hoop cannot decode the policy: %v\n%s", err, data)
	}
	if f.BuiltinProvider != "gcp_iam" && f.BuiltinProvider != "gcp_oauth" {
		t.Errorf("unknown builtin_provider %q", f.BuiltinProvider)
	}
	if f.TokenTTLSeconds <= 0 || f.TokenTTLSeconds > 3600 {
		t.Errorf("token_ttl_seconds = %d, want 1..3600", f.TokenTTLSeconds)
	}
	if f.FallbackPolicy != "deny" {
		t.Errorf("fallback_policy = %q, want deny", f.FallbackPolicy)
	}
	if f.IdentitySourceAttribute != "$.user.email" {
		t.Errorf("identity_source_attribute = %q", f.IdentitySourceAttribute)
	}
	if err := hoopPlaceholderCheck(f.IdentityTargetTemplate); err != nil {
		t.Error(err)
	}
	return f
}

// hoopPlaceholderCheck is Hoop's renderIdentityTemplate rule: after
// substituting {user.email} and {user.id}, no {…} may remain.
func hoopPlaceholderCheck(tmpl string) error {
	out := strings.NewReplacer("{user.email}", "alice", "{user.id}", "0f0e").Replace(tmpl)
	if i := strings.Index(out, "{"); i >= 0 {
		if j := strings.Index(out[i:], "}"); j >= 0 {
			return fmt.Errorf("identity target template contains unknown placeholder %s (supported: {user.email}, {user.id})", out[i:i+j+1])
		}
	}
	return nil
}

func TestHoopPlaceholderCheckRejectsOthers(t *testing.T) {
	for _, bad := range []string{"{user.email_local}@p.iam.gserviceaccount.com", "fedctl-{user.email}@{project}.iam.gserviceaccount.com", "{user.name}"} {
		if hoopPlaceholderCheck(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := hoopPlaceholderCheck("hoop-{user.email}-{user.id}@p.iam.gserviceaccount.com"); err != nil {
		t.Error(err)
	}
}

func TestHoopPolicyFileImpersonation(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	path := filepath.Join(t.TempDir(), "hoop.yaml")
	cfg := testConfig(t, "alice@acme.com")
	cfg.HoopPolicy = path
	_, res := e.setup(t, cfg)

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeHoopStrict(t, data)
	if f.BuiltinProvider != "gcp_iam" || f.IdentityTargetTemplate != "fedctl-{user.email}@demo-project.iam.gserviceaccount.com" ||
		f.TokenTTLSeconds != 3600 || len(f.ExtraConfig) != 1 || f.ExtraConfig["project_id"] != "demo-project" {
		t.Errorf("policy = %+v", f)
	}
	// The template, rendered as Hoop renders it, names the SA fedctl made.
	if got := strings.ReplaceAll(f.IdentityTargetTemplate, "{user.email}", "alice"); got != saEmail("fedctl-alice") {
		t.Errorf("Hoop renders alice as %s, fedctl created %s", got, saEmail("fedctl-alice"))
	}
	if !bytes.Contains(data, []byte("hoop admin federation set CONNECTION --file "+path+" --credentials-file ADMIN_KEY.json")) {
		t.Errorf("no set command in the header:\n%s", data)
	}

	s := NewSummary(res)
	if s.Hoop == nil || s.Hoop.Provider != "gcp_iam" {
		t.Fatalf("summary hoop = %+v", s.Hoop)
	}
	var out bytes.Buffer
	_ = RenderSummaryText(&out, s, iostreams.NewColorScheme(false))
	for _, want := range []string{
		"hoop admin federation set CONNECTION --file " + path + " --credentials-file ADMIN_KEY.json",
		"hoop admin federation test --connection CONNECTION --file " + path + " --credentials-file ADMIN_KEY.json --user-email alice@acme.com",
		"stores a key of the admin service account",
		"not keyless",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
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

func TestHoopPolicyFileOAuth(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	path := filepath.Join(t.TempDir(), "hoop.yaml")
	cfg := &config.Config{Project: testProject, Mode: config.ModeOAuth, HoopPolicy: path}
	cfg.SetUsers([]string{"alice@acme.com", "bob@acme.com"})
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	_, res := e.setup(t, cfg)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := decodeHoopStrict(t, data)
	scopes, _ := f.ExtraConfig["scopes"].([]any)
	if f.BuiltinProvider != "gcp_oauth" || f.ExtraConfig["project_id"] != "demo-project" || len(scopes) != 1 ||
		scopes[0] != "https://www.googleapis.com/auth/bigquery" || f.IdentityTargetTemplate != "{user.email}@acme.com" {
		t.Errorf("policy = %+v", f)
	}
	if bytes.Contains(data, []byte("admin service account")) {
		t.Errorf("oauth policy talks of an admin key:\n%s", data)
	}
	if s := NewSummary(res); s.Hoop == nil || s.Hoop.Provider != "gcp_oauth" || !strings.Contains(s.Hoop.SetCommand, "--credentials-file OAUTH_CLIENT.json") {
		t.Errorf("summary hoop = %+v", s.Hoop)
	}
}

func TestHoopPolicyRefusedInWIFMode(t *testing.T) {
	cfg := &config.Config{Project: testProject, Mode: config.ModeWIF, HoopPolicy: "hoop.yaml"}
	cfg.WIF.Preset = "github"
	cfg.WIF.PrincipalSet = "attribute.repository/acme/app"
	cfg.ApplyDefaults()
	err := cfg.Validate()
	var pe *config.PreflightError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "--hoop-policy") || !strings.Contains(err.Error(), "Workload Identity Federation") {
		t.Fatalf("err = %v, want a preflight error naming --hoop-policy", err)
	}
}

func TestHoopCaseWarning(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	cfg := &config.Config{Project: testProject, HoopPolicy: filepath.Join(t.TempDir(), "hoop.yaml")}
	if err := cfg.Apply(config.Flags{Users: &[]string{"Alice@acme.com", "bob@acme.com"}}); err != nil {
		t.Fatal(err)
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	p := e.plan(t, cfg)
	found := false
	for _, w := range p.Warnings {
		if strings.Contains(w, "Alice@acme.com") && strings.Contains(w, "case") && !strings.Contains(w, "bob@") {
			found = true
		}
	}
	if !found {
		t.Errorf("no case warning naming Alice@acme.com only in %q", p.Warnings)
	}
	// Without a Hoop policy, the case is fedctl's business only.
	cfg.HoopPolicy = ""
	for _, w := range e.plan(t, cfg).Warnings {
		if strings.Contains(w, "Alice@acme.com") {
			t.Errorf("case warning without --hoop-policy: %q", w)
		}
	}
}

func TestHoopTemplateTranslation(t *testing.T) {
	for tmpl, want := range map[string]string{
		"fedctl-{user.email}@{project}.iam.gserviceaccount.com": "fedctl-{user.email}@my-proj.iam.gserviceaccount.com",
		"bq-{user.email}":                         "bq-{user.email}@my-proj.iam.gserviceaccount.com",
		"{project}-{user.email}":                  "my-proj-{user.email}@my-proj.iam.gserviceaccount.com",
		"shared-bq@other.iam.gserviceaccount.com": "shared-bq@other.iam.gserviceaccount.com",
	} {
		d := &Desired{Project: "my-proj", Mode: config.ModeImpersonation, Template: tmpl}
		got := NewHoopPolicy(d).IdentityTargetTemplate
		if got != want {
			t.Errorf("%s → %s, want %s", tmpl, got, want)
		}
		if err := hoopPlaceholderCheck(got); err != nil {
			t.Error(err)
		}
	}
}

// A Hoop token lifetime over an hour is written only when the lifetime
// org policy lists every user SA; otherwise the plan is refused, as
// Google would refuse every mint Hoop makes.
func TestHoopTokenTTLNeedsLifetimeOrgPolicy(t *testing.T) {
	e := newEnv(t, emulator.Options{})
	path := filepath.Join(t.TempDir(), "hoop.yaml")
	cfg := testConfig(t, "alice@acme.com")
	cfg.HoopPolicy = path
	cfg.HoopTokenTTL = 8 * time.Hour
	if _, err := e.eng.PlanSetup(context.Background(), cfg); !errors.Is(err, ErrHoopTokenTTL) || !strings.Contains(err.Error(), saEmail("fedctl-alice")) {
		t.Fatalf("plan without the org policy: %v, want ErrHoopTokenTTL naming alice's SA", err)
	}
	if err := e.client.SetOrgPolicy(context.Background(), testProject, &gcp.OrgPolicy{Constraint: gcp.ConstraintLifetimeExtension,
		Rules: []gcp.OrgPolicyRule{{Allowed: []string{saEmail("fedctl-alice")}}}}); err != nil {
		t.Fatal(err)
	}
	e.setup(t, cfg)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if f := decodeHoopStrict8h(t, data); f.TokenTTLSeconds != 8*3600 {
		t.Errorf("token_ttl_seconds = %d, want %d", f.TokenTTLSeconds, 8*3600)
	}
}

// decodeHoopStrict8h decodes strictly, as Hoop's gateway bounds it (≤ 43200).
func decodeHoopStrict8h(t *testing.T, data []byte) hoopFederationFile {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f hoopFederationFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("Hoop cannot decode the policy: %v\n%s", err, data)
	}
	if f.TokenTTLSeconds <= 0 || f.TokenTTLSeconds > 43200 {
		t.Errorf("token_ttl_seconds = %d outside Hoop's 1..43200", f.TokenTTLSeconds)
	}
	return f
}
