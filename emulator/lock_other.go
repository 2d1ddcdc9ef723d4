//go:build !unix

package emulator

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// fileLock, where flock is unavailable, is an O_EXCL lock file.
type fileLock struct{ path string }

func lockFile(path string, wait time.Duration) (*fileLock, error) {
	lp := path + ".lock"
	deadline := time.Now().Add(wait)
	for pause := time.Millisecond; ; pause = min(2*pause, 5*time.Millisecond) {
		f, err := os.OpenFile(lp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return &fileLock{path: lp}, nil
		}
		if !errors.Is(err, os.ErrExist) || time.Now().After(deadline) {
			if errors.Is(err, os.ErrExist) {
				return nil, fmt.Errorf("sandbox state %s stayed locked for %v (remove %s if no fedctl is running): %w", path, wait, lp, errStateInUse)
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
	return os.Remove(l.path)
}
