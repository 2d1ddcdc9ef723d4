package emulator

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strconv"
	"time"
)

// Several servers (one per `fedctl --sandbox` command, a `sandbox serve`) may
// share one state file. None owns it: each request, and each Go-API call that
// touches the state, runs as a transaction on the file — take its lock, reload
// it if another server changed it, handle, save if anything changed, unlock —
// so servers interleave request by request and never lose each other's writes.
//
// Lock order: Server.mu first, then the file lock. Server.mu alone still
// serializes requests within one server; the file lock orders servers.

// errStateInUse is why a transaction gave up waiting for the file lock.
var errStateInUse = errors.New("another fedctl process is using the sandbox state")

// fileStamp is a cheap fingerprint of the state file: a reload (a full JSON
// decode) happens only when it differs from the one this server last read or
// wrote. Gen, bumped by every save, catches a rewrite of the same size within
// one mtime tick.
type fileStamp struct {
	size, mtime, gen int64
}

// Saving rewrites the whole file, which is cheap for a demo project and not
// for one with thousands of accounts (a 10,000-user setup holds ~10 MB:
// saving after each of its ~30,000 requests took hours). So a server whose
// last save took longer than syncSaveMax batches: after a write it keeps
// the file locked while it has unsaved changes, serves its next requests
// on its in-memory state (nobody else can have written), and saves once
// within a window of twice the last save's duration (at most maxSaveDelay),
// then unlocks. Another process therefore still sees every write: it can
// only read the file while it holds the lock, and the lock is released
// only after a save. It waits at most one window (plus a save) for it; after
// each batched save the server leaves the lock free for lockYield, longer
// than a waiter's polling pause, so that a waiter gets its turn.
const (
	syncSaveMax  = 5 * time.Millisecond
	maxSaveDelay = 500 * time.Millisecond
	lockYield    = 6 * time.Millisecond
)

// transact runs f on the file's latest state, holding s.mu and (with a state
// file) the file's lock, and saves when f reports a change: at once, or
// batched when saving is slow (see syncSaveMax). A save failure wins over
// f's error (a batched save's failure is returned by the next transaction).
// Without a state file it is s.mu and nothing more.
func (s *Server) transact(f func() (changed bool, err error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saveErr != nil {
		err := s.saveErr
		s.saveErr = nil
		return err
	}
	if s.held == nil {
		l, err := s.acquire()
		if err != nil {
			return err
		}
		s.held = l
	}
	changed, err := f()
	if changed {
		s.dirty = true
	}
	if s.dirty && s.batching() {
		if s.flushTimer == nil {
			delay := min(2*s.lastSave, maxSaveDelay)
			if s.batchDelay > 0 {
				delay = s.batchDelay
			}
			s.flushTimer = time.AfterFunc(delay, s.flushBatch)
		}
		return err // the lock stays held until the batch is saved
	}
	var perr error
	if s.dirty {
		perr = s.persist()
	}
	s.release()
	if perr != nil {
		return perr
	}
	return err
}

// batching reports whether saves are batched (a state file that is slow
// to save, or a test's batchDelay).
func (s *Server) batching() bool {
	return s.opts.StatePath != "" && (s.batchDelay > 0 || s.lastSave > syncSaveMax)
}

// release unlocks the state file; s.mu must be held.
func (s *Server) release() {
	s.held.unlock()
	s.held = nil
}

// flushBatch saves a batch of writes and releases the file lock, then
// keeps this server off the lock for lockYield.
func (s *Server) flushBatch() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flushLocked()
	time.Sleep(lockYield)
}

// flushLocked saves pending writes and releases the lock; s.mu held.
func (s *Server) flushLocked() {
	if s.flushTimer != nil {
		s.flushTimer.Stop()
		s.flushTimer = nil
	}
	if s.held == nil {
		return
	}
	if s.dirty {
		if err := s.persist(); err != nil {
			s.saveErr = err
		}
	}
	s.release()
}

// acquire takes the state file's lock and brings s.st up to date; s.mu
// must be held. Without a state file it does nothing (nil lock).
func (s *Server) acquire() (*fileLock, error) {
	if s.opts.StatePath == "" {
		return nil, nil
	}
	l, err := lockFile(s.opts.StatePath, s.opts.LockWait)
	if err != nil {
		return nil, err
	}
	if err := s.refresh(); err != nil {
		l.unlock()
		return nil, err
	}
	return l, nil
}

// refresh reloads the state when the file changed since this server last
// saw it. A missing file (first use, or removed by `sandbox reset`) is a
// fresh project from the seed, saved at once.
func (s *Server) refresh() error {
	stamp, ok, err := readStamp(s.opts.StatePath)
	if err != nil {
		return err
	}
	if !ok {
		s.st = NewState(s.opts.Seed, s.opts.Now())
		return s.persist()
	}
	if s.st != nil && stamp == s.seen {
		return nil
	}
	st, err := loadState(s.opts.StatePath)
	if err != nil {
		return err
	}
	s.st, s.seen = st, stamp
	return nil
}

// persist saves the state (file lock held) and remembers the file's stamp,
// so this server does not reload its own write.
func (s *Server) persist() error {
	s.dirty = false
	if s.opts.StatePath == "" {
		return nil
	}
	s.st.Gen = s.seen.gen + 1
	start := time.Now()
	if err := saveState(s.opts.StatePath, s.st); err != nil {
		return err
	}
	s.lastSave = time.Since(start)
	stamp, _, err := readStamp(s.opts.StatePath)
	if err != nil {
		return err
	}
	s.seen = stamp
	return nil
}

// genPrefix starts every saved state: Gen is State's first field.
var genPrefix = []byte(`{"gen":`)

// readStamp fingerprints the state file: size and mtime from a stat, gen
// from the first bytes (no decode). ok is false when there is no file.
func readStamp(path string) (stamp fileStamp, ok bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fileStamp{}, false, nil
	}
	if err != nil {
		return fileStamp{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, false, err
	}
	stamp = fileStamp{size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	head := make([]byte, 32)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fileStamp{}, false, err
	}
	// A file without the prefix (written before Gen existed) has gen 0; its
	// size and mtime still tell changes apart.
	if rest, found := bytes.CutPrefix(head[:n], genPrefix); found {
		end := bytes.IndexAny(rest, ",}")
		if end > 0 {
			stamp.gen, _ = strconv.ParseInt(string(rest[:end]), 10, 64)
		}
	}
	return stamp, true, nil
}
