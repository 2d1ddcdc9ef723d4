package config

// AdminEmail is the admin SA's email (impersonation mode).
func (c *Config) AdminEmail() string {
	id := c.Impersonation.AdminServiceAccount
	if id == "" {
		id = DefaultAdminSA
	}
	return ServiceAccountEmail(id, c.Project)
}

func (c *Config) template() (*tmpl, error) {
	raw := c.Impersonation.IdentityTemplate
	if raw == "" {
		raw = DefaultIdentityTemplate
	}
	return parseTemplate(raw)
}

// SharedServiceAccount reports whether the identity template names one SA
// for every user (it has no {user.email}).
func (c *Config) SharedServiceAccount() bool {
	t, err := c.template()
	return err == nil && !t.perUser()
}

// IdentityFor renders one user's SA (impersonation mode). The user need not
// be in the users list (token --user, verify --user). Errors are
// *RenderError; the Identity is filled as far as it could be rendered.
func (c *Config) IdentityFor(user string) (Identity, error) {
	t, err := c.template()
	if err != nil {
		return Identity{User: user}, err
	}
	return t.render(user, c.Project)
}

// Identities renders every user's SA, in users order. With a shared
// template all identities carry the same SA. It stops at the first error;
// Validate reports them all.
func (c *Config) Identities() ([]Identity, error) {
	t, err := c.template()
	if err != nil {
		return nil, err
	}
	out := make([]Identity, 0, len(c.Impersonation.Users))
	for _, u := range c.Impersonation.Users {
		id, err := t.render(u, c.Project)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}
