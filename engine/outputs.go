package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fedctl/fedctl/config"
)

// HoopTokenTTLSeconds is the token lifetime written to Hoop's policy: one
// hour, the iamcredentials default.
const HoopTokenTTLSeconds = 3600

// HoopPolicy is Hoop's federation policy file for a gcp_iam connection (the
// YAML `hoop admin federation set CONN --file F --credentials-file KEY`
// takes). It is safe to commit: the admin key is passed separately.
type HoopPolicy struct {
	BuiltinProvider         string            `yaml:"builtin_provider"`
	IdentitySourceAttribute string            `yaml:"identity_source_attribute"`
	IdentityTargetTemplate  string            `yaml:"identity_target_template"`
	FallbackPolicy          string            `yaml:"fallback_policy"`
	TokenTTLSeconds         int               `yaml:"token_ttl_seconds"`
	ExtraConfig             map[string]string `yaml:"extra_config"`
}

// NewHoopPolicy builds Hoop's policy for d.
//
// fedctl's template placeholders differ from Hoop's: fedctl's {user.email}
// is the email's local part, which Hoop calls {user.email_local} (Hoop's
// {user.email} is the whole address), and Hoop has no {project}, so the
// project ID is written literally. A template without a domain gets the
// project's service account domain.
func NewHoopPolicy(d *Desired) *HoopPolicy {
	tmpl := d.Template
	if !strings.Contains(tmpl, "@") {
		tmpl += "@" + config.ServiceAccountDomain(d.Project)
	}
	tmpl = strings.ReplaceAll(tmpl, config.PlaceholderUser, "{user.email_local}")
	tmpl = strings.ReplaceAll(tmpl, config.PlaceholderProject, d.Project)
	return &HoopPolicy{
		BuiltinProvider:         "gcp_iam",
		IdentitySourceAttribute: "$.user.email",
		IdentityTargetTemplate:  tmpl,
		FallbackPolicy:          "deny",
		TokenTTLSeconds:         HoopTokenTTLSeconds,
		ExtraConfig:             map[string]string{"project_id": d.Project},
	}
}

// Marshal renders the policy file: a comment header, then the YAML.
func (h *HoopPolicy) Marshal(adminEmail string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Hoop IAM federation policy (gcp_iam), written by fedctl setup.\n")
	fmt.Fprintf(&b, "# Apply it with: hoop admin federation set CONNECTION --file THIS_FILE --credentials-file ADMIN_KEY.json\n")
	fmt.Fprintf(&b, "# The credentials are a key of the admin service account %s.\n", adminEmail)
	fmt.Fprintf(&b, "# Hoop keeps {user.email_local} as typed; fedctl lowercased it when naming the service accounts.\n")
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	_ = enc.Encode(h) // a struct of strings and ints always encodes
	_ = enc.Close()
	return b.Bytes()
}

func hoopPolicyChange(d *Desired) *Change {
	want := NewHoopPolicy(d).Marshal(d.Admin.Email)
	after := &FileState{Path: d.HoopPolicyFile, Mode: "0644"}
	c := &Change{Address: "local_file.hoop_policy", Kind: KindLocalFile, Action: ActionCreate, After: after,
		Reason: "Hoop's gcp_iam federation policy for this setup"}
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
	return os.WriteFile(d.HoopPolicyFile, NewHoopPolicy(d).Marshal(d.Admin.Email), 0o644)
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
