//go:build unix

package emulator

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// fileLock holds an exclusive flock on path+".lock" for one transaction on
// the state file (state_sync.go), so servers sharing it take turns per
// request.
type fileLock struct{ f *os.File }

func lockFile(path string, wait time.Duration) (*fileLock, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	// The pause stays under lockYield, so a waiter polls while a batching
	// server leaves the lock free (state_sync.go).
	for pause := time.Millisecond; ; pause = min(2*pause, 5*time.Millisecond) {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("sandbox state %s stayed locked for %v: %w", path, wait, errStateInUse)
			}
			return nil, err
		}
		time.Sleep(pause)
	}
}

func (l *fileLock) unlock() error {
	if l == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
