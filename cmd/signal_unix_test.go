//go:build unix

package cmd

import (
	"syscall"
	"testing"
)

func TestFirstSignalCancelsContext(t *testing.T) {
	ctx, stop := signalContext()
	defer stop()
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-ctx.Done() // hangs (and the test times out) if the signal is not caught
}
