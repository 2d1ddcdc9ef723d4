//go:build unix

package emulator

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// fileLock holds an exclusive flock on path+".lock" so that two fedctl
// processes never interleave writes to one sandbox state file.
type fileLock struct{ f *os.File }

func lockFile(path string, wait time.Duration) (*fileLock, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, fmt.Errorf("sandbox state %s is in use by another fedctl process (a running `fedctl sandbox serve`?)", path)
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (l *fileLock) unlock() error {
	if l == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
