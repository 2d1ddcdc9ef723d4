package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, 0},
		{"plain", errors.New("boom"), 1},
		{"flag", FlagErrorf("bad --x"), 2},
		{"flag wrapped", fmt.Errorf("parsing: %w", FlagErrorf("bad")), 2},
		{"no tty", NoTTYError("--yes"), 2},
		{"checks failed", &ChecksFailedError{Message: "2 of 5 checks failed"}, 3},
		{"checks failed wrapped", fmt.Errorf("verify: %w", &ChecksFailedError{}), 3},
		{"pending", &PendingChangesError{}, 4},
		{"pending wrapped", fmt.Errorf("plan: %w", &PendingChangesError{}), 4},
		{"cancel", ErrCancel, 130},
		{"cancel with cause", &CancelError{Err: errors.New("declined")}, 130},
		{"cancel wrapped", fmt.Errorf("setup: %w", ErrCancel), 130},
		{"context canceled", context.Canceled, 130},
		{"context canceled wrapped", fmt.Errorf("GET iam: %w", context.Canceled), 130},
		{"deadline is a failure, not an abort", context.DeadlineExceeded, 1},
		{"silent", ErrSilent, 1},
		{"silenced checks keep their code", Silence(&ChecksFailedError{}), 3},
		{"silenced pending keep their code", Silence(&PendingChangesError{}), 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := ExitCode(tc.err); got != tc.want {
				t.Errorf("ExitCode(%v) = %d, want %d", tc.err, got, tc.want)
			}
		})
	}
}

func TestErrorMessages(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{NoTTYError("--yes"), "must pass --yes when not running interactively"},
		{&ChecksFailedError{}, "checks failed"},
		{&ChecksFailedError{Message: "3 bypasses"}, "3 bypasses"},
		{&PendingChangesError{}, "changes pending"},
		{ErrCancel, "aborted"},
		{&CancelError{Err: context.Canceled}, "aborted"},
		{&CancelError{Err: errors.New("declined")}, "aborted: declined"},
		{Silence(errors.New("x")), "x"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestFlagErrorWrapKeepsCause(t *testing.T) {
	cause := errors.New("unknown flag: --nope")
	err := FlagErrorWrap(cause)
	if !errors.Is(err, cause) || err.Error() != cause.Error() {
		t.Errorf("FlagErrorWrap lost its cause: %v", err)
	}
	if FlagErrorWrap(nil) != nil || Silence(nil) != nil {
		t.Error("wrapping nil must stay nil")
	}
}

func TestIsSilent(t *testing.T) {
	if !IsSilent(fmt.Errorf("x: %w", ErrSilent)) {
		t.Error("wrapped ErrSilent not silent")
	}
	if IsSilent(errors.New("loud")) {
		t.Error("plain error reported silent")
	}
}
