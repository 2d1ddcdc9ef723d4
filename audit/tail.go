package audit

import (
	"context"
	"errors"
	"time"
)

// TailOptions are the knobs of `audit tail`.
type TailOptions struct {
	Selection
	// Limit stops after this many events (0: no limit).
	Limit int
	// Follow keeps polling for new events (needs a Follower).
	Follow bool
	// TokenLifetime bounds mint→query correlation (default 1h).
	TokenLifetime time.Duration
}

// Tail streams the selected events to emit in timestamp order, pairing
// queries with their mints, and showing a BigQuery job once (its insert and
// completion entries, in either payload style, fold into one line; a job
// still running shows when it completes). With Follow it polls through f until ctx ends.
func Tail(ctx context.Context, r *Reader, f *Follower, opts TailOptions, emit func(*Event) error) error {
	// Mints are read even when only queries are shown: correlation needs
	// them.
	read := opts.Selection
	if len(read.Kinds) > 0 && read.wants(KindQuery) && !read.wants(KindMint) {
		read.Kinds = append(append([]Kind(nil), read.Kinds...), KindMint)
	}
	corr := &Correlator{Lifetime: opts.TokenLifetime}
	jobs := newJobSet(10_000)
	n := 0
	handle := func(e *Event) error {
		corr.Observe(e)
		if !opts.Selection.wants(e.Kind) {
			return nil
		}
		if e.Kind == KindQuery {
			// A successful job's insertion entry is followed by its
			// completion, which says how it ended: show that one.
			if e.Phase == PhaseInsert && !e.Failed() {
				return nil
			}
			if !jobs.add(e, "|"+e.Status()) {
				return nil
			}
		}
		if err := emit(e); err != nil {
			return err
		}
		n++
		if opts.Limit > 0 && n >= opts.Limit {
			return ErrStop
		}
		return nil
	}
	if opts.Follow {
		if f == nil {
			return errors.New("audit: follow needs a Follower")
		}
		if f.Reader == nil {
			f.Reader = r
		}
		return f.Follow(ctx, read, handle)
	}
	return r.Read(ctx, read, handle)
}
