package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Flags carries the setup flags (SPEC §2) that were set on the command
// line. A nil field was not given and leaves the file's value alone; cmd
// fills a field only when cobra reports the flag Changed, so an explicit
// empty value (--roles "") still overrides.
type Flags struct {
	Project *string // --project (global)
	Name    *string // --name (the federation's name)
	Mode    *string // --mode

	// --users and --users-file: when either is given, the two lists are
	// merged and replace the active mode's users from the file.
	Users     *[]string // --users a,b (already split, e.g. by SplitList)
	UsersFile *string   // --users-file F

	AdminSA  *string   // --admin-sa
	Template *string   // --template
	Grant    *string   // --grant
	Roles    *[]string // --roles (the active mode's data roles)

	Pool               *string   // --pool
	Provider           *string   // --provider
	IssuerURI          *string   // --issuer-uri
	AttributeMapping   *string   // --attribute-mapping k=v,k2=v2
	AttributeCondition *string   // --attribute-condition
	AllowedAudiences   *[]string // --allowed-audiences
	TargetSA           *string   // --target-sa
	PrincipalSet       *string   // --principal-set

	DataAccessLogs *bool          // --data-access-logs
	Verifier       *string        // --verifier
	AdminKeyFile   *string        // --admin-key-file
	HoopPolicy     *string        // --hoop-policy
	HoopTokenTTL   *time.Duration // --hoop-token-ttl
	OAuthClient    *string        // --oauth-client
	Concurrency    *int           // --concurrency
	Wait           *time.Duration // --wait
}

// Apply overlays the flags that were set onto c. --mode is applied first,
// so --users and --roles land in the section of the resulting mode. The
// users list is normalised (lowercased, deduplicated) with notes added to
// c.Notes. Errors: an unreadable or malformed users file, a malformed
// --attribute-mapping.
func (c *Config) Apply(f Flags) error {
	set(&c.Project, f.Project)
	set(&c.Name, f.Name)
	if f.Mode != nil {
		c.Mode = Mode(*f.Mode)
	}

	if f.Users != nil || f.UsersFile != nil {
		var users []string
		if f.Users != nil {
			users = append(users, *f.Users...)
		}
		if f.UsersFile != nil {
			fromFile, err := ReadUsersFile(*f.UsersFile)
			if err != nil {
				return err
			}
			users = append(users, fromFile...)
		}
		c.MixedCaseUsers = append(c.MixedCaseUsers, MixedCase(users)...)
		users, notes := NormalizeUsers(users)
		if users == nil {
			users = []string{}
		}
		if c.effectiveMode() == ModeWIF {
			notes = append(notes, "--users/--users-file are ignored in wif mode: who may federate is --principal-set")
		}
		c.SetUsers(users)
		c.Notes = append(c.Notes, notes...)
	}
	if f.Roles != nil {
		c.SetRoles(slices.Clone(*f.Roles))
	}

	im := &c.Impersonation
	set(&im.AdminServiceAccount, f.AdminSA)
	set(&im.IdentityTemplate, f.Template)
	if f.Grant != nil {
		im.Grant = Grant(*f.Grant)
	}

	w := &c.WIF
	set(&w.Pool.ID, f.Pool)
	set(&w.Provider.ID, f.Provider)
	set(&w.Provider.IssuerURI, f.IssuerURI)
	if f.AttributeMapping != nil {
		m, err := ParseAttributeMapping(*f.AttributeMapping)
		if err != nil {
			return err
		}
		w.Provider.AttributeMapping = m
	}
	set(&w.Provider.AttributeCondition, f.AttributeCondition)
	if f.AllowedAudiences != nil {
		w.Provider.AllowedAudiences = slices.Clone(*f.AllowedAudiences)
	}
	set(&w.ServiceAccount, f.TargetSA)
	if f.PrincipalSet != nil {
		w.PrincipalSet = *f.PrincipalSet
		w.Principal = "" // the flag names who may impersonate; a file principal would conflict
	}

	set(&c.Audit.DataAccessLogs, f.DataAccessLogs)
	set(&c.Verifier, f.Verifier)
	set(&c.AdminKeyFile, f.AdminKeyFile)
	set(&c.HoopPolicy, f.HoopPolicy)
	set(&c.HoopTokenTTL, f.HoopTokenTTL)
	set(&c.OAuth.ClientFile, f.OAuthClient)
	set(&c.Concurrency, f.Concurrency)
	set(&c.Wait, f.Wait)
	return nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// ParseAttributeMapping parses the --attribute-mapping form
// "google.subject=assertion.sub,attribute.org=assertion.org_id". Items are
// split on every comma, so an expression containing a comma must be written
// in the configuration file instead. A repeated key is an error.
func ParseAttributeMapping(s string) (map[string]string, error) {
	m := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--attribute-mapping: %q is not KEY=EXPRESSION (e.g. google.subject=assertion.sub)", item)
		}
		if _, dup := m[k]; dup {
			return nil, fmt.Errorf("--attribute-mapping: %s is mapped twice", k)
		}
		m[k] = v
	}
	return m, nil
}

// FormatAttributeMapping is the inverse of ParseAttributeMapping, keys
// sorted (for the wizard and for messages).
func FormatAttributeMapping(m map[string]string) string {
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}

func contains(s []string, v string) bool { return slices.Contains(s, v) }
