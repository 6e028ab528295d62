package load

import (
	"fmt"
	"strconv"
	"strings"
)

// Shard is part i of n of one run (Index counts from 0).
//
// A run is split by chat: chat c belongs to shard c mod n and sender s sits
// in chat s mod chats, so every chat, with all its senders and receivers,
// lives in exactly one shard. Each shard sets up its own users, workspace
// and chats and checks deliveries for its chats alone, which makes the
// accounting exact, and the n shards together offer the same load as one
// big run: the same number of chats of the same sizes, the same fan-out,
// the same total rate (each shard takes the share of the rate its senders
// have). Merge then only adds: counters, histograms and per-second series
// of the shards sum to those of the whole. The one difference from a single
// process is that there are n workspaces instead of one, which takes no part
// in sending or delivery. It follows that a run needs at least n chats.
type Shard struct {
	Index, Count int
}

// ParseShard parses "i/n" with 0 <= i < n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Shard{}, fmt.Errorf("shard %q: want i/n, e.g. 0/4", s)
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil {
		return Shard{}, fmt.Errorf("shard %q: i and n must be integers", s)
	}
	if n < 1 {
		return Shard{}, fmt.Errorf("shard %q: n must be at least 1", s)
	}
	if i < 0 || i >= n {
		return Shard{}, fmt.Errorf("shard %q: i must be in 0..%d", s, n-1)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Plan is a shard's part of the world: which chats and senders are its.
type Plan struct {
	Shard Shard
	// Chats are the global chat indexes of the shard, ascending.
	Chats []int
	// Senders[k] are the global sender indexes in Chats[k].
	Senders [][]int
	// NumSenders is the shard's sender count; Share its fraction of all.
	NumSenders int
	Share      float64
}

// Sessions is how many sessions the plan opens, one per sender and chat:
// NumSenders for a run of flags, more in a scenario whose users sit in
// several chats.
func (p Plan) Sessions() int {
	n := 0
	for _, ss := range p.Senders {
		n += len(ss)
	}
	return n
}

// Split computes shard s's plan for senders over chats. It is a pure
// function: every process given the same arguments agrees.
func Split(senders, chats int, s Shard) (Plan, error) {
	if s.Count < 1 {
		s = Shard{0, 1}
	}
	if chats < 1 || senders < 1 {
		return Plan{}, fmt.Errorf("split: need at least one sender and one chat")
	}
	if chats > senders {
		return Plan{}, fmt.Errorf("split: %d chats for %d senders would leave chats empty", chats, senders)
	}
	if chats < s.Count {
		return Plan{}, fmt.Errorf("split: %d shards need at least %d chats (a chat lives in one shard), got %d", s.Count, s.Count, chats)
	}
	p := Plan{Shard: s}
	for c := s.Index; c < chats; c += s.Count {
		var ss []int
		for x := c; x < senders; x += chats {
			ss = append(ss, x)
		}
		p.Chats = append(p.Chats, c)
		p.Senders = append(p.Senders, ss)
		p.NumSenders += len(ss)
	}
	p.Share = float64(p.NumSenders) / float64(senders)
	return p, nil
}
