package cmdutil_test

import (
	"context"
	"strings"
	"testing"

	"github.com/fedctl/fedctl/cmdutil"
	"github.com/fedctl/fedctl/engine"
)

// #12.6: an apply cut short by Ctrl-C exits 130 and its message says what
// may have been applied and how to converge, not "context canceled".
func TestInterruptedApplyExitsAbortedSayingHowToConverge(t *testing.T) {
	err := &engine.ApplyError{Failed: 2, Err: &engine.InterruptedError{Operation: engine.OpSetup, InFlight: 2, Err: context.Canceled}}
	if code := cmdutil.ExitCode(err); code != cmdutil.ExitCancel {
		t.Errorf("exit %d, want %d", code, cmdutil.ExitCancel)
	}
	msg := (&cmdutil.CancelError{Err: err}).Error()
	if !strings.Contains(msg, "2 change(s) in flight may have been applied; re-run setup to converge") || strings.HasSuffix(msg, "context canceled") {
		t.Errorf("message = %q", msg)
	}
	// A bare cancellation stays a bare "aborted".
	if msg := (&cmdutil.CancelError{Err: context.Canceled}).Error(); msg != "aborted" {
		t.Errorf("bare cancel = %q", msg)
	}
}
