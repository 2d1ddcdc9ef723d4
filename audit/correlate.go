package audit

import "time"

// DefaultTokenLifetime is how long a minted token is usable (gcp-wire §6:
// 1h by default; up to 12h where an org policy allows it).
const DefaultTokenLifetime = time.Hour

// maxMintsPerTarget bounds the mints remembered per target SA.
const maxMintsPerTarget = 32

// Correlator pairs a query with the mint that produced its token: the same
// target SA (the query's principal), the mint's caller in the query's
// delegation chain, and the mint no later than the query and within the
// token lifetime. It needs events in timestamp order and keeps only mints
// young enough to matter, so its memory is bounded by the mint rate, not by
// how many events pass through.
type Correlator struct {
	// Lifetime is the token lifetime (DefaultTokenLifetime when zero).
	Lifetime time.Duration
	mints    map[string][]mintSeen // by target SA
	latest   time.Time
	pruned   time.Time
}

type mintSeen struct {
	ref    MintRef
	target string
}

// Observe records a mint, or sets MintedBy on a query when its mint is
// known. Failed mints produce no token and are not recorded.
func (c *Correlator) Observe(e *Event) {
	life := c.Lifetime
	if life <= 0 {
		life = DefaultTokenLifetime
	}
	if c.mints == nil {
		c.mints = map[string][]mintSeen{}
	}
	if e.Time.After(c.latest) {
		c.latest = e.Time
	}
	switch e.Kind {
	case KindMint:
		if e.Failed() || e.Target == "" {
			return
		}
		ms := append(c.mints[e.Target], mintSeen{ref: MintRef{InsertID: e.InsertID, Time: e.Time, Caller: e.Principal}, target: e.Target})
		if len(ms) > maxMintsPerTarget {
			ms = ms[len(ms)-maxMintsPerTarget:]
		}
		c.mints[e.Target] = ms
	case KindQuery:
		ms := c.mints[e.Principal]
		for i := len(ms) - 1; i >= 0; i-- { // newest first
			m := ms[i].ref
			if m.Time.After(e.Time) || e.Time.Sub(m.Time) > life || !e.ViaContains(m.Caller) {
				continue
			}
			ref := m
			e.MintedBy = &ref
			break
		}
	}
	if c.latest.Sub(c.pruned) > life {
		c.prune(c.latest.Add(-life))
		c.pruned = c.latest
	}
}

// prune forgets mints whose tokens expired before cutoff.
func (c *Correlator) prune(cutoff time.Time) {
	for t, ms := range c.mints {
		i := 0
		for i < len(ms) && ms[i].ref.Time.Before(cutoff) {
			i++
		}
		if i == len(ms) {
			delete(c.mints, t)
		} else if i > 0 {
			c.mints[t] = append(ms[:0:0], ms[i:]...)
		}
	}
}
