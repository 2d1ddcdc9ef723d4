// Package consenttest answers the sandbox's consent page the way a person
// in a browser would, but with Go's HTTP client: it loads the page, fills
// the form's account field, and submits it with the Allow or Deny button's
// name/value, following the redirect back to the loopback listener. It is
// the no-browser path of the SPEC §7.5 tests (the other drives Chromium).
package consenttest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	formRE   = regexp.MustCompile(`<form method=POST action="([^"]+)"`)
	inputRE  = regexp.MustCompile(`<input type=(hidden|email) (?:id=\w+ )?name="?(\w+)"? value="([^"]*)"`)
	buttonRE = regexp.MustCompile(`<button type=submit name=(\w+) value=(\w+)`)
)

// Answer loads the consent page at pageURL and submits it: email replaces
// the account field unless empty (then login_hint's prefill stands);
// action is "allow" or "deny", and must be one of the page's buttons.
func Answer(ctx context.Context, pageURL, email, action string) error {
	hc := &http.Client{}
	req, err := http.NewRequestWithContext(ctx, "GET", pageURL, nil)
	if err != nil {
		return err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 {
		return fmt.Errorf("consent page: HTTP %d: %s", resp.StatusCode, page)
	}
	m := formRE.FindStringSubmatch(page)
	if m == nil {
		return errors.New("consent page has no form")
	}
	form := url.Values{}
	for _, in := range inputRE.FindAllStringSubmatch(page, -1) {
		form.Set(in[2], html.UnescapeString(in[3]))
	}
	if email != "" {
		form.Set("email", email)
	}
	found := false
	for _, bt := range buttonRE.FindAllStringSubmatch(page, -1) {
		if bt[2] == action {
			form.Set(bt[1], bt[2])
			found = true
		}
	}
	if !found {
		return fmt.Errorf("consent page has no %q button", action)
	}
	base, _ := url.Parse(pageURL)
	target, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		return err
	}
	post, err := http.NewRequestWithContext(ctx, "POST", target.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = hc.Do(post) // follows the 302 to the loopback redirect
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("after submitting: HTTP %d at %s", resp.StatusCode, resp.Request.URL)
	}
	return nil
}

// Opener is a browser (oauthflow.Options.Open) that answers as email.
func Opener(email, action string) func(ctx context.Context, url string) error {
	return func(ctx context.Context, u string) error { return Answer(ctx, u, email, action) }
}
