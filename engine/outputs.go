package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/gcp"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// HoopTokenTTLSeconds is the token lifetime written to Hoop's policy: one
// hour, the longest Google issues unless the org policy
// constraints/iam.allowServiceAccountCredentialLifetimeExtension lists the
// service account (Hoop itself accepts up to 43200).
const HoopTokenTTLSeconds = 3600

// Hoop's builtin federation providers (hoophq/hoop gateway/models/
// connection_federation.go).
const (
	HoopProviderIAM   = "gcp_iam"
	HoopProviderOAuth = "gcp_oauth"
)

// HoopPlaceholders are the only placeholders Hoop's identity_target_template
// knows (hoophq/hoop gateway/federation/identity.go renderIdentityTemplate:
// {user.email} is the email's local part, as fedctl's; any other {…} is a 400
// "identity target template contains unknown placeholder").
var HoopPlaceholders = []string{"{user.email}", "{user.id}"}

// HoopPolicy is Hoop's federation policy file, the YAML `hoop admin
// federation set CONNECTION --file F --credentials-file C` reads into
// hoophq/hoop client/cmd/admin/federation.go's federationFile: exactly these
// field names. It is safe to commit: the credentials are passed separately.
type HoopPolicy struct {
	BuiltinProvider         string          `yaml:"builtin_provider"`
	IdentitySourceAttribute string          `yaml:"identity_source_attribute"`
	IdentityTargetTemplate  string          `yaml:"identity_target_template"`
	FallbackPolicy          string          `yaml:"fallback_policy"`
	TokenTTLSeconds         int             `yaml:"token_ttl_seconds"`
	ExtraConfig             HoopExtraConfig `yaml:"extra_config"`
}

// HoopExtraConfig is extra_config: project_id for both providers (Hoop sets
// CLOUDSDK_CORE_PROJECT from it), scopes for gcp_oauth (hoophq/hoop
// gateway/federation/gcpoauth).
type HoopExtraConfig struct {
	ProjectID string   `yaml:"project_id"`
	Scopes    []string `yaml:"scopes,omitempty"`
}

// HoopOAuthScopes are the scopes written for gcp_oauth: BigQuery's alone, the
// least a query needs (Hoop's default would be cloud-platform).
var HoopOAuthScopes = []string{"https://www.googleapis.com/auth/bigquery"}

// hoopProvider is Hoop's provider for d's mode; "" when Hoop has none (wif).
func hoopProvider(d *Desired) string {
	switch d.Mode {
	case config.ModeImpersonation:
		return HoopProviderIAM
	case config.ModeOAuth:
		return HoopProviderOAuth
	}
	return ""
}

// NewHoopPolicy builds Hoop's policy for d (impersonation or oauth mode).
//
// fedctl's {user.email} and Hoop's are both the email's local part, so the
// template carries over; Hoop has no {project}, so the project ID is written
// literally, and a template without a domain gets the project's service
// account domain. In oauth mode the principal is the user's own Google
// account: Hoop replaces the rendered template with the consented email, and
// the template names the users' common domain when they share one.
func NewHoopPolicy(d *Desired) *HoopPolicy {
	h := &HoopPolicy{
		BuiltinProvider:         hoopProvider(d),
		IdentitySourceAttribute: "$.user.email",
		FallbackPolicy:          "deny",
		TokenTTLSeconds:         HoopTokenTTLSeconds,
		ExtraConfig:             HoopExtraConfig{ProjectID: d.Project},
	}
	if d.HoopTokenTTL > 0 {
		h.TokenTTLSeconds = int(d.HoopTokenTTL / time.Second)
	}
	if h.BuiltinProvider == HoopProviderOAuth {
		h.IdentityTargetTemplate = config.PlaceholderUser
		if dom := commonDomain(hoopUsers(d)); dom != "" {
			h.IdentityTargetTemplate += "@" + dom
		}
		h.ExtraConfig.Scopes = slices.Clone(HoopOAuthScopes)
		return h
	}
	tmpl := d.Template
	idPart, domain, hasAt := cutLast(tmpl, "@")
	if !hasAt {
		domain = config.ServiceAccountDomain(d.Project)
	}
	saProject := strings.TrimSuffix(config.ServiceAccountDomain(d.Project), ".iam.gserviceaccount.com")
	h.IdentityTargetTemplate = strings.ReplaceAll(idPart, config.PlaceholderProject, d.Project) + "@" +
		strings.ReplaceAll(domain, config.PlaceholderProject, saProject)
	return h
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

// hoopUsers are the users the policy serves, lowercased, in config order.
func hoopUsers(d *Desired) []string {
	var out []string
	seen := map[string]bool{}
	add := func(u string) {
		if u != "" && !seen[u] {
			seen[u] = true
			out = append(out, u)
		}
	}
	for _, id := range d.Identities {
		add(id.User)
	}
	for _, m := range d.Memberships {
		if u, ok := strings.CutPrefix(m.Member, "user:"); ok && d.Mode == config.ModeOAuth {
			add(u)
		}
	}
	return out
}

// commonDomain is the email domain every user shares, or "".
func commonDomain(users []string) string {
	dom := ""
	for _, u := range users {
		_, d, ok := cutLast(u, "@")
		if !ok || (dom != "" && d != dom) {
			return ""
		}
		dom = d
	}
	return dom
}

// HoopCredentialsFile is what --credentials-file takes for d: the admin
// SA's key for gcp_iam (the --admin-key-file when one is written), the
// OAuth client's {client_id, client_secret} JSON for gcp_oauth.
func HoopCredentialsFile(d *Desired) string {
	if hoopProvider(d) == HoopProviderOAuth {
		if d.HoopOAuthClientFile != "" {
			return d.HoopOAuthClientFile
		}
		return "OAUTH_CLIENT.json"
	}
	if d.AdminKeyFile != "" {
		return d.AdminKeyFile
	}
	return "ADMIN_KEY.json"
}

// HoopCommands are the commands that install and dry-run the policy in Hoop
// (hoophq/hoop client/cmd/admin/federation.go). CONNECTION is the Hoop
// connection's name.
func HoopCommands(d *Desired) (set, test string) {
	creds := HoopCredentialsFile(d)
	user := "USER_EMAIL"
	if us := hoopUsers(d); len(us) > 0 {
		user = us[0]
	}
	set = fmt.Sprintf("hoop admin federation set CONNECTION --file %s --credentials-file %s", fixhint.Quote(d.HoopPolicyFile), fixhint.Quote(creds))
	test = fmt.Sprintf("hoop admin federation test --connection CONNECTION --file %s --credentials-file %s --user-email %s",
		fixhint.Quote(d.HoopPolicyFile), fixhint.Quote(creds), fixhint.Quote(user))
	return set, test
}

// HoopKeyNotice says plainly what Hoop's gcp_iam provider needs.
const HoopKeyNotice = "Hoop's gcp_iam provider stores a key of the admin service account (--credentials-file): the Hoop gateway is not keyless; the key is the one long-lived secret, keep it only in Hoop."

// HoopCaseWarning is the warning for users whose email is not lowercase.
func HoopCaseWarning(users []string) string {
	return fmt.Sprintf("Hoop keeps an email's case as typed: its {user.email} renders %s as written, which names no service account (fedctl lowercased them); make these users' emails lowercase in Hoop's identity provider",
		strings.Join(users, ", "))
}

// Marshal renders the policy file: a comment header, then the YAML.
func (h *HoopPolicy) Marshal(d *Desired) []byte {
	set, test := HoopCommands(d)
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Hoop IAM federation policy (%s), written by fedctl setup.\n", h.BuiltinProvider)
	fmt.Fprintf(&b, "# Apply it:   %s\n", set)
	fmt.Fprintf(&b, "# Dry-run it: %s\n", test)
	if h.BuiltinProvider == HoopProviderIAM {
		fmt.Fprintf(&b, "# --credentials-file is a key of the admin service account %s.\n", d.Admin.Email)
		fmt.Fprintf(&b, "# %s\n", HoopKeyNotice)
	} else {
		fmt.Fprintf(&b, "# --credentials-file is the OAuth client's JSON {\"client_id\": …, \"client_secret\": …}; no service account key.\n")
	}
	fmt.Fprintf(&b, "# Hoop keeps an email's case as typed; fedctl lowercased the users' emails.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(h) // strings, ints and a string list always encode
	_ = enc.Close()
	return b.Bytes()
}

func hoopPolicyChange(d *Desired) *Change {
	want := NewHoopPolicy(d).Marshal(d)
	after := &FileState{Path: d.HoopPolicyFile, Mode: "0644"}
	c := &Change{Address: "local_file.hoop_policy", Kind: KindLocalFile, Action: ActionCreate, After: after,
		Reason: "Hoop's " + hoopProvider(d) + " federation policy for this setup"}
	have, err := os.ReadFile(d.HoopPolicyFile)
	switch {
	case err == nil && bytes.Equal(have, want):
		c.Action, c.Before, c.Reason = ActionNoop, after, ""
	case err == nil:
		c.Action, c.Before, c.Reason = ActionUpdate, after, "its content differs from this setup's policy"
	}
	return c
}

// writeHoopPolicy writes the policy file (0644: it holds no secret).
func writeHoopPolicy(d *Desired) error {
	return os.WriteFile(d.HoopPolicyFile, NewHoopPolicy(d).Marshal(d), 0o644)
}

// ErrKeyFileExists: the admin key file is never overwritten.
var ErrKeyFileExists = errors.New("the admin key file already exists; fedctl never overwrites one")

// reserveKeyFile creates path exclusively with mode 0600 before any key is
// minted, so that a key is never created that cannot be stored, and an
// existing file is never overwritten.
func reserveKeyFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("%s: %w", path, ErrKeyFileExists)
	}
	if err != nil {
		return nil, err
	}
	// The umask may have narrowed it further, never widened; make it exact.
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// ErrHoopTokenTTL: the Hoop policy asks for tokens Google would not issue.
var ErrHoopTokenTTL = errors.New("the Hoop token lifetime is over one hour")

// checkHoopTokenTTL refuses a gcp_iam policy whose token_ttl_seconds is over
// an hour unless the project's effective org policy
// constraints/iam.allowServiceAccountCredentialLifetimeExtension lists every
// user SA: Google refuses a longer generateAccessToken lifetime otherwise
// (https://cloud.google.com/iam/docs/create-short-lived-credentials-direct#sa-credentials-oauth),
// and every Hoop session would fail.
func (e *Engine) checkHoopTokenTTL(ctx context.Context, d *Desired) error {
	if d.HoopPolicyFile == "" || hoopProvider(d) != HoopProviderIAM || d.HoopTokenTTL <= time.Hour {
		return nil
	}
	pol, err := e.c.GetEffectivePolicy(ctx, d.Project, gcp.ConstraintLifetimeExtension)
	if err != nil {
		return fmt.Errorf("%w and the org policy that would allow it could not be read (%v): use --hoop-token-ttl 1h or less", ErrHoopTokenTTL, err)
	}
	var missing []string
	for _, id := range d.Identities {
		if !pol.Allows(id.Email) {
			missing = append(missing, id.Email)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w, and the org policy constraints/%s does not list %s: Google would refuse every token Hoop asks for; use --hoop-token-ttl 1h or less, or add them to the policy",
			ErrHoopTokenTTL, gcp.ConstraintLifetimeExtension, strings.Join(missing, ", "))
	}
	return nil
}
