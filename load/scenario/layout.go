package scenario

import (
	"math"
	"time"
)

// Layout is where a scenario's users sit: a pure function of the
// scenario, so every shard of a run computes the same one.
type Layout struct {
	// UserPop[u] is user u's population (an index into Populations).
	UserPop []int
	// Chats[c] lists the users with a session in chat c; chats are
	// numbered group after group.
	Chats [][]int
	// Group[c] is chat c's group (an index into Scenario.Chats).
	Group []int
}

// Sessions is the number of sessions of the layout.
func (l *Layout) Sessions() int {
	n := 0
	for _, us := range l.Chats {
		n += len(us)
	}
	return n
}

// Layout deals the users to populations by share (largest remainder, so
// the counts add up to Users) and their sessions to chats: each session
// goes to the group furthest behind its share (smooth weighted
// round-robin), and within a group to its chats in turn, never twice to
// the same chat for one user. s must be valid.
func (s *Scenario) Layout() Layout {
	var l Layout
	for p, n := range apportion(s.Users, s.popShares()) {
		for range n {
			l.UserPop = append(l.UserPop, p)
		}
	}
	first := make([]int, len(s.Chats)) // first chat of each group
	for g, grp := range s.Chats {
		first[g] = len(l.Chats)
		for range grp.Count {
			l.Chats = append(l.Chats, nil)
			l.Group = append(l.Group, g)
		}
	}
	credit := make([]float64, len(s.Chats))
	next := make([]int, len(s.Chats))
	for u, p := range l.UserPop {
		k := max(s.Populations[p].Chats, 1)
		has := map[int]bool{}
		for range k {
			g := 0
			for i, grp := range s.Chats {
				credit[i] += grp.Share
				if credit[i] > credit[g] {
					g = i
				}
			}
			credit[g]--
			c := -1
			for try := 0; try < s.Chats[g].Count; try++ {
				cand := first[g] + next[g]%s.Chats[g].Count
				next[g]++
				if !has[cand] {
					c = cand
					break
				}
			}
			for cand := 0; c < 0 && cand < len(l.Chats); cand++ {
				if !has[cand] {
					c = cand
				}
			}
			if c < 0 {
				break // more chats per user than chats: Validate refuses it
			}
			has[c] = true
			l.Chats[c] = append(l.Chats[c], u)
		}
	}
	return l
}

func (s *Scenario) popShares() []float64 {
	out := make([]float64, len(s.Populations))
	for i, p := range s.Populations {
		out[i] = p.Share
	}
	return out
}

// apportion splits n by shares with the largest-remainder method.
func apportion(n int, shares []float64) []int {
	out := make([]int, len(shares))
	rem := make([]float64, len(shares))
	left := n
	for i, sh := range shares {
		exact := sh * float64(n)
		out[i] = int(math.Floor(exact))
		rem[i] = exact - float64(out[i])
		left -= out[i]
	}
	for ; left > 0; left-- {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		out[best]++
		rem[best] = -1
	}
	return out
}

// Scaled returns a copy of s with f times the users, chats, storm sizes
// and churn rate (at least one of each), for a smaller rehearsal of the
// same shape; think times, bodies and timing stay as they are.
func (s *Scenario) Scaled(f float64) *Scenario {
	c := s.clone()
	c.Users = max(int(math.Round(float64(s.Users)*f)), len(s.Populations))
	total := 0
	for i := range c.Chats {
		c.Chats[i].Count = max(int(math.Round(float64(c.Chats[i].Count)*f)), 1)
		total += c.Chats[i].Count
	}
	for i := range c.Populations {
		c.Populations[i].Chats = min(c.Populations[i].Chats, total)
	}
	c.Churn.Rate *= f
	for i := range c.Storms {
		c.Storms[i].Sessions = max(int(math.Round(float64(c.Storms[i].Sessions)*f)), 1)
	}
	return c
}

// Compressed returns a copy of s that sends for d instead, with its
// storms at the same fractions of the run.
func (s *Scenario) Compressed(d time.Duration) *Scenario {
	c := s.clone()
	r := float64(d) / float64(s.Duration)
	c.Duration = d
	for i := range c.Storms {
		c.Storms[i].At = time.Duration(float64(c.Storms[i].At) * r)
		c.Storms[i].Window = time.Duration(float64(c.Storms[i].Window) * r)
	}
	return c
}

func (s *Scenario) clone() *Scenario {
	c := *s
	c.Chats = append([]ChatGroup(nil), s.Chats...)
	c.Populations = append([]Population(nil), s.Populations...)
	c.Storms = append([]Storm(nil), s.Storms...)
	return &c
}
