package wizard

import (
	"errors"
	"strings"

	"github.com/fedctl/fedctl/engine"
	"github.com/fedctl/fedctl/internal/fixhint"
)

// errorLine is an error in one line, for a row of the Apply screen.
func errorLine(err error) string {
	var ae *engine.ApplyError
	if errors.As(err, &ae) && ae.Err != nil {
		err = ae.Err
	}
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

// fixFor says what to do about an error from a Google call made for
// project: the fix shown inline under a failed step, worded in one place
// (fixhint.ForError) with the invocation's context.
func (s *session) fixFor(err error, project string) string {
	in := s.inv
	in.Project, in.Retry = project, "press r to retry"
	if fix := fixhint.ForError(err, in); fix != "" {
		return fix
	}
	return "press r to retry; a re-run applies only what is still missing"
}

// replayCommand is the scripted setup that applies the answers saved to
// path, with the invocation's context (fedctl --sandbox … on the sandbox).
func (s *session) replayCommand(path string) string {
	in := s.inv
	in.Project, in.Flags, in.Config = "", nil, path
	return in.Fedctl("setup", false, "--yes")
}

// commandFor is a fedctl command with the invocation's context (no
// federation flags: the answers are the session's).
func (s *session) commandFor(sub string, args ...string) string {
	in := s.inv
	in.Project, in.Flags, in.Config = "", nil, ""
	return in.Fedctl(sub, false, args...)
}
