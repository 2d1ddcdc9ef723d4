package config

// SPEC §1/§2 defaults.
const (
	DefaultName             = "fedctl" // the federation name (SPEC §7.1)
	DefaultMode             = ModeImpersonation
	DefaultAdminSA          = "fedctl-admin"
	DefaultIdentityTemplate = "fedctl-{user.email}@{project}.iam.gserviceaccount.com"
	DefaultGrant            = GrantPerUser

	// Sink defaults for `audit sink create` (the SPEC sample's values).
	DefaultSinkName     = "fedctl-federation-audit"
	DefaultSinkDataset  = "audit_logs"
	DefaultSinkLocation = "US"
)

// DefaultRoles returns the default data roles for a mode (a fresh slice).
func DefaultRoles(m Mode) []string {
	if m == ModeWIF {
		return []string{"roles/bigquery.jobUser", "roles/bigquery.dataViewer"}
	}
	return []string{"roles/bigquery.user", "roles/bigquery.dataViewer"}
}

// DefaultAttributeMapping is used for a wif provider with no mapping: OIDC
// providers must map google.subject, and assertion.sub is the standard claim.
func DefaultAttributeMapping() map[string]string {
	return map[string]string{"google.subject": "assertion.sub"}
}

// RequiredAPIs lists the services setup enables for a mode (SPEC §1).
func RequiredAPIs(m Mode) []string {
	apis := []string{
		"iamcredentials.googleapis.com",
		"bigquery.googleapis.com",
		"iam.googleapis.com",
	}
	if m == ModeWIF {
		apis = append(apis, "sts.googleapis.com")
	}
	return apis
}

// RequiredAPIs lists the services setup enables for the active mode.
func (c *Config) RequiredAPIs() []string { return RequiredAPIs(c.effectiveMode()) }

// ApplyDefaults fills every empty field of the mode and of the active
// mode's section with its default. Other modes' sections are left alone so
// that Marshal writes only what matters. Idempotent.
func (c *Config) ApplyDefaults() {
	if c.Mode == "" {
		c.Mode = DefaultMode
	}
	switch c.Mode {
	case ModeImpersonation:
		im := &c.Impersonation
		if im.AdminServiceAccount == "" {
			im.AdminServiceAccount = DefaultAdminSA
		}
		if im.IdentityTemplate == "" {
			im.IdentityTemplate = DefaultIdentityTemplate
		}
		if im.Grant == "" {
			im.Grant = DefaultGrant
		}
	case ModeWIF:
		if len(c.WIF.Provider.AttributeMapping) == 0 {
			c.WIF.Provider.AttributeMapping = DefaultAttributeMapping()
		}
	}
	if len(c.Roles()) == 0 {
		c.SetRoles(DefaultRoles(c.Mode))
	}
}

// WithDefaults returns the sink with empty fields set to the defaults.
func (s Sink) WithDefaults() Sink {
	if s.Name == "" {
		s.Name = DefaultSinkName
	}
	if s.Dataset == "" {
		s.Dataset = DefaultSinkDataset
	}
	if s.Location == "" {
		s.Location = DefaultSinkLocation
	}
	return s
}
