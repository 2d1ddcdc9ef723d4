package config

import (
	"errors"
	"os"

	"github.com/fedctl/fedctl/oauthflow"
)

// oauthClient checks the OAuth client file statically: readable, and in one
// of the shapes Hoop and Google use. Its secret is never quoted.
func (v *validator) oauthClient() {
	path := v.c.OAuth.ClientFile
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil {
		_, err = oauthflow.ParseClientFile(b)
	}
	switch {
	case err == nil:
	case errors.Is(err, os.ErrNotExist):
		v.add("oauth.client_file", path, "does not exist",
			"download the OAuth client's JSON from the Cloud Console (APIs & Services → Credentials → the client → Download JSON), or write Hoop's {\"client_id\": …, \"client_secret\": …}")
	default:
		v.add("oauth.client_file", path, err.Error(), "see docs/oauth.md for the accepted formats")
	}
}

// OAuthClient reads the configured OAuth client file (nil when none is
// configured).
func (c *Config) OAuthClient() (*oauthflow.ClientFile, error) {
	if c.OAuth.ClientFile == "" {
		return nil, nil
	}
	return oauthflow.ReadClientFile(c.OAuth.ClientFile)
}
