package wizard

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/fedctl/fedctl/config"
	"github.com/fedctl/fedctl/iostreams"
	"github.com/fedctl/fedctl/oauthflow"
	"github.com/fedctl/fedctl/verify"
)

// The oauth path of the accessible (line-by-line) wizard: the same two
// questions as the screens — the OAuth client file, and whether to sign in
// as a user at the end to prove a session.

// askOAuthClient asks for the OAuth client file in oauth mode.
func askOAuthClient(p *prompter, s *session) error {
	cfg := s.cfg
	if cfg.Mode != config.ModeOAuth {
		return nil
	}
	fmt.Fprintln(p.out, "The OAuth client: create it in the Cloud Console (APIs & Services → Credentials → + Create credentials → OAuth client ID), then Download JSON.")
	v, err := p.ask("OAuth client file (Hoop's {client_id, client_secret} or Google's download); - for none", cmpOr(cfg.OAuth.ClientFile, "-"), func(v string) error {
		if v == "-" {
			return nil
		}
		_, err := oauthflow.ReadClientFile(v)
		return err
	})
	if err != nil {
		return err
	}
	cfg.OAuth.ClientFile = strings.TrimPrefix(v, "-")
	return nil
}

// accessibleVerify is the verification table; in oauth mode with a client
// file it then offers to sign in as one user through the consent page.
func accessibleVerify(ctx context.Context, p *prompter, s *session, ios *iostreams.IOStreams) (*verify.Report, error) {
	cfg := s.cfg
	rep, err := s.backend.Verify(ctx, cfg, cfg.Users())
	if err != nil {
		return nil, err
	}
	cv, ok := s.consentVerifier()
	if !ok {
		return rep, nil
	}
	users := cfg.Users()
	def := users[0]
	if slices.Contains(users, s.operator) {
		def = s.operator // the person at this terminal
	}
	user, err := p.ask("Sign in as which user to prove a session (Google's consent page opens in your browser)? - to skip", def, func(v string) error {
		if v == "-" || slices.Contains(users, strings.ToLower(v)) {
			return nil
		}
		return fmt.Errorf("%s is not one of %s", v, strings.Join(users, ", "))
	})
	if err != nil || user == "-" {
		return rep, err
	}
	user = strings.ToLower(user)
	one, err := cv.VerifyConsent(ctx, cfg, user, func(url string) {
		fmt.Fprintf(ios.ErrOut, "Sign in as %s and choose Allow. If no browser opened, open this URL on this machine:\n  %s\n", user, url)
	})
	if err != nil {
		return nil, err
	}
	return mergeUser(rep, one, user), nil
}
