package oauthflow

import (
	"context"
	"errors"
	"os/exec"
	"runtime"
	"strings"
)

// Browser is how the authorization URL reaches a browser.
type Browser struct {
	// Name says which: "$BROWSER (cmd)", "xdg-open", ... ("" = none).
	Name string
	// Open starts it; nil when there is no browser to start.
	Open func(ctx context.Context, url string) error
}

// FindBrowser picks the browser: $BROWSER when set (the convention of
// xdg-utils and Python's webbrowser: a command, "%s" standing for the URL
// or the URL appended; several may be separated by ':', the first is
// used); else, when someone is at a terminal, the system opener; else none
// (the caller prints the URL, or skips).
func FindBrowser(getenv func(string) string, interactive bool) Browser {
	if b := strings.TrimSpace(getenv("BROWSER")); b != "" {
		cmd, _, _ := strings.Cut(b, ":")
		args := strings.Fields(cmd)
		if len(args) > 0 {
			return Browser{Name: "$BROWSER (" + args[0] + ")", Open: func(ctx context.Context, url string) error {
				return start(args, url)
			}}
		}
	}
	if !interactive {
		return Browser{}
	}
	var args []string
	switch runtime.GOOS {
	case "darwin":
		args = []string{"open"}
	case "windows":
		args = []string{"rundll32", "url.dll,FileProtocolHandler"}
	default:
		args = []string{"xdg-open"}
	}
	if _, err := exec.LookPath(args[0]); err != nil {
		return Browser{}
	}
	return Browser{Name: args[0], Open: func(ctx context.Context, url string) error { return start(args, url) }}
}

// start runs the browser command in the background (it may outlive the
// flow: a real browser stays open) and reaps it.
func start(args []string, url string) error {
	if len(args) == 0 {
		return errors.New("empty browser command")
	}
	argv := make([]string, 0, len(args)+1)
	subst := false
	for _, a := range args {
		if strings.Contains(a, "%s") {
			a, subst = strings.ReplaceAll(a, "%s", url), true
		}
		argv = append(argv, a)
	}
	if !subst {
		argv = append(argv, url)
	}
	c := exec.Command(argv[0], argv[1:]...)
	if err := c.Start(); err != nil {
		return err
	}
	go c.Wait()
	return nil
}
