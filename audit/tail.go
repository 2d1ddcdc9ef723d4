package audit

import (
	"context"
	"errors"
	"time"
)

// TailOptions are the knobs of `audit tail`.
type TailOptions struct {
	Selection
	// Limit shows only the newest Limit events, oldest first, as
	// `gcloud logging read --limit` selects (0: no limit). With Follow it
	// stops after Limit events instead.
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
	if opts.Limit > 0 && !opts.Follow {
		return tailNewest(ctx, r, opts, emit)
	}
	return tail(ctx, r, f, opts, emit)
}

// tailNewest shows the newest opts.Limit events. A first read, newest
// first, finds where they start: it stops after 2·Limit entries that show
// as events (a job shows once for up to two entries: insert and
// completion, or a legacy and a new-style entry). The ordinary read then
// starts there, less the token lifetime so that the queries still pair
// with earlier mints, and keeps the last Limit events it would show.
func tailNewest(ctx context.Context, r *Reader, opts TailOptions, emit func(*Event) error) error {
	var oldest time.Time
	counted := 0
	err := r.ReadNewestFirst(ctx, opts.Selection, func(e *Event) error {
		if !opts.Selection.wants(e.Kind) || (e.Kind == KindQuery && e.Phase == PhaseInsert && !e.Failed()) {
			return nil
		}
		oldest = e.Time
		if counted++; counted >= 2*opts.Limit {
			return ErrStop
		}
		return nil
	})
	if err != nil {
		return err
	}
	if counted == 0 {
		return nil
	}
	if counted >= 2*opts.Limit {
		lifetime := opts.TokenLifetime
		if lifetime <= 0 {
			lifetime = DefaultTokenLifetime
		}
		if since := oldest.Add(-lifetime); since.After(opts.Selection.Since) {
			opts.Selection.Since = since
		}
	}
	// A ring of the last Limit events: next is where the next one goes.
	last, next := make([]*Event, 0, opts.Limit), 0
	all := opts
	all.Limit = 0
	err = tail(ctx, r, nil, all, func(e *Event) error {
		if len(last) < opts.Limit {
			last = append(last, e)
		} else {
			last[next] = e
		}
		next = (next + 1) % opts.Limit
		return nil
	})
	if err != nil {
		return err
	}
	if len(last) == opts.Limit {
		last = append(last[next:], last[:next]...)
	}
	for _, e := range last {
		if err := emit(e); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

func tail(ctx context.Context, r *Reader, f *Follower, opts TailOptions, emit func(*Event) error) error {
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
