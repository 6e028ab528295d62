package load

import (
	"sort"
	"sync"
)

// seqSet is a set of positive integers kept as sorted, disjoint,
// non-adjacent closed intervals. Seqs arrive almost in order, so adding
// usually extends the last interval in O(1) and the set stays a handful of
// intervals: its memory is O(holes), not O(members).
type seqSet struct {
	iv []interval
}

type interval struct{ lo, hi int64 }

// add inserts v and reports whether it was new.
func (s *seqSet) add(v int64) bool {
	n := len(s.iv)
	// Fast paths: extend or append at the end.
	if n > 0 {
		last := &s.iv[n-1]
		switch {
		case v == last.hi+1:
			last.hi = v
			return true
		case v > last.hi+1:
			s.iv = append(s.iv, interval{v, v})
			return true
		case v >= last.lo:
			return false
		}
	} else {
		s.iv = append(s.iv, interval{v, v})
		return true
	}
	// First interval whose hi >= v-1.
	i := sort.Search(n, func(i int) bool { return s.iv[i].hi >= v-1 })
	if i < n && s.iv[i].lo <= v && v <= s.iv[i].hi {
		return false
	}
	switch {
	case i < n && s.iv[i].hi == v-1:
		s.iv[i].hi = v
		if i+1 < n && s.iv[i+1].lo == v+1 {
			s.iv[i].hi = s.iv[i+1].hi
			s.iv = append(s.iv[:i+1], s.iv[i+2:]...)
		}
	case i < n && s.iv[i].lo == v+1:
		s.iv[i].lo = v
	default:
		s.iv = append(s.iv, interval{})
		copy(s.iv[i+1:], s.iv[i:])
		s.iv[i] = interval{v, v}
	}
	return true
}

// has reports whether v is in the set.
func (s *seqSet) has(v int64) bool {
	i := sort.Search(len(s.iv), func(i int) bool { return s.iv[i].hi >= v })
	return i < len(s.iv) && s.iv[i].lo <= v
}

// max is the largest member, 0 when empty.
func (s *seqSet) max() int64 {
	if len(s.iv) == 0 {
		return 0
	}
	return s.iv[len(s.iv)-1].hi
}

// len is the number of members.
func (s *seqSet) len() int64 {
	var n int64
	for _, iv := range s.iv {
		n += iv.hi - iv.lo + 1
	}
	return n
}

// countMissing counts members of want that are <= upTo and not in s, by
// walking both interval lists once.
func (s *seqSet) countMissing(want *seqSet, upTo int64) int64 {
	var missing int64
	j := 0
	for _, w := range want.iv {
		lo, hi := w.lo, min(w.hi, upTo)
		if lo > hi {
			break
		}
		covered := int64(0)
		for j < len(s.iv) && s.iv[j].hi < lo {
			j++
		}
		for k := j; k < len(s.iv) && s.iv[k].lo <= hi; k++ {
			a, b := max(s.iv[k].lo, lo), min(s.iv[k].hi, hi)
			if a <= b {
				covered += b - a + 1
			}
		}
		missing += (hi - lo + 1) - covered
	}
	return missing
}

// countMissingIn counts members of want in [lo, hi] that are not in s.
func (s *seqSet) countMissingIn(want *seqSet, lo, hi int64) int64 {
	var clipped seqSet
	for _, w := range want.iv {
		a, b := max(w.lo, lo), min(w.hi, hi)
		if a <= b {
			clipped.iv = append(clipped.iv, interval{a, b})
		}
	}
	return s.countMissing(&clipped, hi)
}

// chatBook is one chat's accepted seqs, shared by the chat's senders.
type chatBook struct {
	mu    sync.Mutex
	acked seqSet
}

// top is the chat's highest acked seq.
func (c *chatBook) top() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked.max()
}

func (c *chatBook) ack(seq int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.acked.add(seq)
}

// inbox is one receiving session's record of its chat's seqs. Only the
// session's reader touches it until the run ends.
type inbox struct {
	got     seqSet
	highest int64
	dups    int64
	ooo     int64
}

// receive records seq and classifies it: a seq seen before is a duplicate;
// one below the highest seen so far arrived out of order.
func (b *inbox) receive(seq int64) (dup, outOfOrder bool) {
	if !b.got.add(seq) {
		b.dups++
		return true, false
	}
	if seq < b.highest {
		b.ooo++
		return false, true
	}
	b.highest = seq
	return false, false
}

// Audit is the delivery verdict for one receiving session.
type Audit struct {
	Expected        int64 // acked seqs this session should have had
	Lost            int64
	AfterDisconnect int64
	Duplicated      int64
	OutOfOrder      int64
}

// audit compares what b received against the chat's acked seqs. For a
// session that ended early (alive false), only seqs up to the highest it
// received count as lost; the rest went missing because it was gone.
func (b *inbox) audit(acked *seqSet, alive bool) Audit {
	a := Audit{Duplicated: b.dups, OutOfOrder: b.ooo}
	top := acked.max()
	if alive {
		a.Lost = b.got.countMissing(acked, top)
		a.Expected = acked.len()
		return a
	}
	cut := b.highest
	a.Lost = b.got.countMissing(acked, cut)
	all := b.got.countMissing(acked, top)
	a.AfterDisconnect = all - a.Lost
	a.Expected = acked.len() - a.AfterDisconnect
	return a
}

// seqHoles counts the numbers in 1..max of the union of sets that no set
// holds: seqs a chat skipped, as far as anyone in this process saw.
func seqHoles(sets []*seqSet) int64 {
	var all []interval
	for _, s := range sets {
		all = append(all, s.iv...)
	}
	if len(all) == 0 {
		return 0
	}
	sort.Slice(all, func(i, j int) bool { return all[i].lo < all[j].lo })
	var covered int64
	cur := all[0]
	for _, iv := range all[1:] {
		if iv.lo <= cur.hi+1 {
			cur.hi = max(cur.hi, iv.hi)
			continue
		}
		covered += cur.hi - cur.lo + 1
		cur = iv
	}
	covered += cur.hi - cur.lo + 1
	return cur.hi - covered
}
