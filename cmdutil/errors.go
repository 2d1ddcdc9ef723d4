// Package cmdutil holds what every fedctl command shares: the typed CLI
// errors and the single mapping from errors to exit codes, the Factory
// (streams, global flags, project resolution, a lazily built gcp.Client),
// output helpers and the confirmation prompt.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Exit codes (SPEC §2). ExitCode is the only place errors become these.
const (
	ExitOK           = 0
	ExitError        = 1
	ExitUsage        = 2
	ExitChecksFailed = 3
	ExitPending      = 4
	ExitCancel       = 130
)

// FlagError is a usage error: a bad or missing flag or argument. It exits 2
// and cmd prints a usage hint after it.
type FlagError struct{ err error }

func (e *FlagError) Error() string { return e.err.Error() }
func (e *FlagError) Unwrap() error { return e.err }

// FlagErrorf builds a FlagError from a message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{err: fmt.Errorf(format, args...)}
}

// FlagErrorWrap marks err as a usage error (nil stays nil). The root
// command passes cobra's flag-parsing errors through it.
func FlagErrorWrap(err error) error {
	if err == nil {
		return nil
	}
	return &FlagError{err: err}
}

// NoTTYError is the error for a command that would have to ask something but
// cannot, because stdin or stdout is not a terminal (SPEC §2: never hang,
// name the flag to pass). flag is given with its dashes: "--yes".
func NoTTYError(flag string) error {
	return FlagErrorf("must pass %s when not running interactively", flag)
}

// ChecksFailedError exits 3: verification checks failed, or audit bypass
// found jobs that went around federation. Message says what, e.g.
// "2 of 14 checks failed"; empty means "checks failed".
type ChecksFailedError struct{ Message string }

func (e *ChecksFailedError) Error() string {
	if e.Message == "" {
		return "checks failed"
	}
	return e.Message
}

// PendingChangesError exits 4: `plan --detailed-exitcode` found changes.
type PendingChangesError struct{ Message string }

func (e *PendingChangesError) Error() string {
	if e.Message == "" {
		return "changes pending"
	}
	return e.Message
}

// CancelError exits 130: the user aborted (declined a confirmation, pressed
// Ctrl-C). Err, when set, is the cause.
type CancelError struct{ Err error }

func (e *CancelError) Error() string {
	// The cause is shown unless it only repeats "context canceled" (an
	// interrupted apply says what may have been applied).
	if e.Err != nil && !strings.HasSuffix(e.Err.Error(), context.Canceled.Error()) {
		return "aborted: " + e.Err.Error()
	}
	return "aborted"
}
func (e *CancelError) Unwrap() error { return e.Err }

// ErrCancel is the plain "aborted by the user" error.
var ErrCancel error = &CancelError{}

// SilentError means the failure was already reported to the user (e.g. a
// table with the failing rows): cmd prints nothing more. The exit code is
// still that of Err (ErrSilent, with no Err, exits 1), so
// Silence(&ChecksFailedError{}) exits 3 quietly.
type SilentError struct{ Err error }

func (e *SilentError) Error() string {
	if e.Err == nil {
		return "silent error"
	}
	return e.Err.Error()
}
func (e *SilentError) Unwrap() error { return e.Err }

// ErrSilent fails with exit 1 and no message.
var ErrSilent error = &SilentError{}

// Silence wraps err so cmd does not print it (nil stays nil).
func Silence(err error) error {
	if err == nil {
		return nil
	}
	return &SilentError{Err: err}
}

// IsSilent reports whether err (or anything it wraps) is a SilentError.
func IsSilent(err error) bool {
	var s *SilentError
	return errors.As(err, &s)
}

// IsCancel reports whether err means the user aborted: a CancelError, or
// context.Canceled from the SIGINT/SIGTERM handler in cmd.Main.
func IsCancel(err error) bool {
	var c *CancelError
	return errors.As(err, &c) || errors.Is(err, context.Canceled)
}

// ExitCode is THE mapping from an error to fedctl's exit code (SPEC §2):
// nil 0, FlagError 2, ChecksFailedError 3, PendingChangesError 4, an abort
// 130, anything else 1. Wrapped errors are seen through (errors.As).
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	// An interrupted run exits 130 even if the cancellation surfaced as some
	// other error wrapping context.Canceled.
	if IsCancel(err) {
		return ExitCancel
	}
	var (
		flagErr    *FlagError
		checksErr  *ChecksFailedError
		pendingErr *PendingChangesError
	)
	switch {
	case errors.As(err, &flagErr):
		return ExitUsage
	case errors.As(err, &checksErr):
		return ExitChecksFailed
	case errors.As(err, &pendingErr):
		return ExitPending
	}
	return ExitError
}
