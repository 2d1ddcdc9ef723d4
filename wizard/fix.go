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
