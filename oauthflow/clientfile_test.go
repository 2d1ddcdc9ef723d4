package oauthflow

import (
	"fmt"
	"strings"
	"testing"
)

const (
	id     = "968792117476-0nom9m8e8abc.apps.googleusercontent.com"
	secret = "GOCSPX-kdf3IWCfH-secretvalue"
)

func TestParseClientFileFormats(t *testing.T) {
	for _, tc := range []struct {
		name, doc, format string
		port              int
	}{
		{"hoop", `{"client_id":"` + id + `","client_secret":"` + secret + `"}`, FormatHoop, DefaultWebPort},
		{"web", `{"web":{"client_id":"` + id + `","project_id":"p","auth_uri":"https://accounts.google.com/o/oauth2/auth","token_uri":"https://oauth2.googleapis.com/token","client_secret":"` + secret + `","redirect_uris":["https://hoop.acme.com/api/federation/oauth/callback","http://127.0.0.1:9090/"]}}`, FormatWeb, 9090},
		{"installed", `{"installed":{"client_id":"` + id + `","client_secret":"` + secret + `","redirect_uris":["http://localhost"]}}`, FormatInstalled, 0},
	} {
		c, err := ParseClientFile([]byte(tc.doc))
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if c.Format != tc.format || c.ClientID != id || c.ClientSecret != secret || c.LoopbackPort() != tc.port {
			t.Errorf("%s: %s port %d", tc.name, c, c.LoopbackPort())
		}
		for _, s := range []string{c.String(), fmt.Sprintf("%v %+v %#v", c, c, c)} {
			if strings.Contains(s, secret) {
				t.Errorf("%s: the secret is printed: %s", tc.name, s)
			}
		}
	}
}

func TestParseClientFileRefusals(t *testing.T) {
	for doc, want := range map[string]string{
		`{"type":"service_account","private_key":"` + secret + `"}`: "not an OAuth client",
		`{"client_id":"AIzaSyD-apikey","client_secret":"x"}`:        "not an OAuth client ID",
		`{"client_id":"` + id + `"}`:                                "client_secret is empty",
		`{"other":1}`:                                               "no client_id",
		`not json ` + secret:                                        "not a JSON object",
	} {
		_, err := ParseClientFile([]byte(doc))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", doc, err, want)
		}
		if err != nil && strings.Contains(err.Error(), secret) {
			t.Errorf("error quotes the secret: %v", err)
		}
	}
}
