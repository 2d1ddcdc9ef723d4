// Package oauthflow is the OAuth side of the oauth mode (Hoop gcp_oauth,
// SPEC §7.5): the OAuth client file, and the installed-app consent flow
// (loopback redirect, PKCE) that verify runs as the user would.
//
// It talks only to Google's OAuth endpoints (or the sandbox's, by the SPEC
// §4 layout) through golang.org/x/oauth2; BigQuery is verify's business.
package oauthflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
)

// Client file formats.
const (
	// FormatHoop is Hoop's minimal {"client_id", "client_secret"}.
	FormatHoop = "hoop"
	// FormatWeb is Google's download for a "Web application" client.
	FormatWeb = "web"
	// FormatInstalled is Google's download for a "Desktop app" client.
	FormatInstalled = "installed"
)

// ClientFile is an OAuth client. ClientSecret is a secret: never print it
// (String masks it).
type ClientFile struct {
	ClientID     string
	ClientSecret string
	Format       string
	// From Google's downloads (empty for Hoop's file).
	ProjectID    string
	AuthURI      string
	TokenURI     string
	RedirectURIs []string
}

// String describes the client without its secret.
func (c *ClientFile) String() string {
	return fmt.Sprintf("%s (%s)", c.ClientID, c.Describe())
}

// Describe names the file's format in words.
func (c *ClientFile) Describe() string {
	switch c.Format {
	case FormatWeb:
		return "Google web application client"
	case FormatInstalled:
		return "Google desktop app client"
	}
	return "Hoop client_id/client_secret file"
}

// GoString keeps %#v from printing the secret.
func (c *ClientFile) GoString() string { return "oauthflow.ClientFile{" + c.String() + "}" }

type googleClient struct {
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret"`
	ProjectID    string   `json:"project_id"`
	AuthURI      string   `json:"auth_uri"`
	TokenURI     string   `json:"token_uri"`
	RedirectURIs []string `json:"redirect_uris"`
}

// ReadClientFile reads and parses an OAuth client file.
func ReadClientFile(path string) (*ClientFile, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	c, err := ParseClientFile(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseClientFile accepts Hoop's minimal {client_id, client_secret} JSON and
// Google's downloaded {"web": …} / {"installed": …} files. Errors never
// quote the file (it holds the secret).
func ParseClientFile(b []byte) (*ClientFile, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, errors.New("not a JSON object: want Hoop's {\"client_id\", \"client_secret\"} or the JSON the Cloud Console downloads for an OAuth client")
	}
	if t, ok := raw["type"]; ok {
		var typ string
		_ = json.Unmarshal(t, &typ)
		if typ == "service_account" || typ == "external_account" || typ == "authorized_user" {
			return nil, fmt.Errorf("this is a %s credential, not an OAuth client: create an OAuth client ID in the Cloud Console (APIs & Services → Credentials)", typ)
		}
	}
	var g googleClient
	format := FormatHoop
	switch {
	case raw["web"] != nil:
		format = FormatWeb
		if err := json.Unmarshal(raw["web"], &g); err != nil {
			return nil, errors.New(`"web" is not an object`)
		}
	case raw["installed"] != nil:
		format = FormatInstalled
		if err := json.Unmarshal(raw["installed"], &g); err != nil {
			return nil, errors.New(`"installed" is not an object`)
		}
	case raw["client_id"] != nil:
		if err := json.Unmarshal(b, &g); err != nil {
			return nil, errors.New("client_id and client_secret must be strings")
		}
	default:
		return nil, errors.New(`no client_id: want Hoop's {"client_id", "client_secret"} or Google's {"web": …} / {"installed": …} download`)
	}
	c := &ClientFile{ClientID: strings.TrimSpace(g.ClientID), ClientSecret: strings.TrimSpace(g.ClientSecret), Format: format,
		ProjectID: g.ProjectID, AuthURI: g.AuthURI, TokenURI: g.TokenURI, RedirectURIs: g.RedirectURIs}
	switch {
	case c.ClientID == "":
		return nil, errors.New("client_id is empty")
	case !strings.HasSuffix(c.ClientID, ".apps.googleusercontent.com"):
		return nil, fmt.Errorf("client_id %q is not an OAuth client ID (NUMBER-….apps.googleusercontent.com): an API key or a service account's ID will not do", c.ClientID)
	case c.ClientSecret == "":
		return nil, errors.New("client_secret is empty (the Console shows it when the client is created, and in the downloaded JSON)")
	}
	for _, u := range c.RedirectURIs {
		if _, err := url.Parse(u); err != nil {
			return nil, fmt.Errorf("redirect_uris: %q is not a URL", u)
		}
	}
	return c, nil
}

// DefaultWebPort is the loopback port verify uses with a web (or Hoop,
// whose kind is unknown) client that lists no loopback redirect URI: a web
// client only accepts registered redirect URIs, port included, so
// http://127.0.0.1:8085/ must be added to it.
const DefaultWebPort = 8085

// LoopbackPort is the port of the loopback redirect for this client: 0
// (any) for a desktop client, which Google lets use any port; else the
// port of a registered http://127.0.0.1:PORT/ or localhost redirect URI;
// else DefaultWebPort.
func (c *ClientFile) LoopbackPort() int {
	if c.Format == FormatInstalled {
		return 0
	}
	for _, r := range c.RedirectURIs {
		u, err := url.Parse(r)
		if err != nil || u.Scheme != "http" || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost") {
			continue
		}
		var p int
		if _, err := fmt.Sscanf(u.Port(), "%d", &p); err == nil && p > 0 {
			return p
		}
	}
	return DefaultWebPort
}
