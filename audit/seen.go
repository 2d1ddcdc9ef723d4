package audit

// seenSet remembers the last n keys (insertIds, job IDs) in insertion
// order, forgetting the oldest: memory stays flat however long a follow or a
// report runs, while duplicates — which arrive close together (an overlap
// window, a job's insert and completion entries) — are still caught.
type seenSet struct {
	ring []string
	next int
	m    map[string]struct{}
}

func newSeenSet(n int) *seenSet {
	return &seenSet{ring: make([]string, n), m: make(map[string]struct{}, n)}
}

// add records key and reports whether it was new.
func (s *seenSet) add(key string) bool {
	if _, ok := s.m[key]; ok {
		return false
	}
	if old := s.ring[s.next]; old != "" {
		delete(s.m, old)
	}
	s.ring[s.next] = key
	s.m[key] = struct{}{}
	s.next = (s.next + 1) % len(s.ring)
	return true
}

func (s *seenSet) has(key string) bool {
	_, ok := s.m[key]
	return ok
}
