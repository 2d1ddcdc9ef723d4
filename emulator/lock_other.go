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
	for {
		f, err := os.OpenFile(lp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err == nil {
			f.Close()
			return &fileLock{path: lp}, nil
		}
		if !errors.Is(err, os.ErrExist) || time.Now().After(deadline) {
			return nil, fmt.Errorf("sandbox state %s is in use by another fedctl process (remove %s if none is running): %w", path, lp, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *fileLock) unlock() error {
	if l == nil {
		return nil
	}
	return os.Remove(l.path)
}
