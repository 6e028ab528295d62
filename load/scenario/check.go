package scenario

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// check judges s as a whole; lines (nil for a scenario built by hand)
// says where each field was. Values already reported as malformed by the
// parser are skipped.
func (s *Scenario) check(lines map[string]int) []Problem {
	var probs []Problem
	bad := func(field, f string, a ...any) {
		line := lines[field]
		for p := field; line == 0 && p != ""; {
			// A missing field: point at its parent.
			if i := strings.LastIndexAny(p, ".["); i > 0 {
				p = p[:i]
			} else {
				p = ""
			}
			line = lines[p]
		}
		probs = append(probs, Problem{Line: line, Field: field, Message: fmt.Sprintf(f, a...)})
	}
	if s.Duration != badDur && s.Duration <= 0 {
		bad("duration", "must be positive, got %v", s.Duration)
	}
	if s.Users != badInt && s.Users < 1 {
		bad("users", "must be at least 1, got %d", s.Users)
	}
	if len(s.Chats) == 0 {
		bad("chats", "must list at least one group of chats")
	}
	totalChats := 0
	var chatShares []float64
	for i, g := range s.Chats {
		f := fmt.Sprintf("chats[%d]", i)
		if g.Count != badInt && g.Count < 1 {
			bad(f+".count", "must be at least 1, got %d", g.Count)
		} else if g.Count > 0 {
			totalChats += g.Count
		}
		chatShares = append(chatShares, g.Share)
		checkShare(bad, f+".share", g.Share)
	}
	checkSum(bad, "chats", chatShares)
	if len(s.Populations) == 0 {
		bad("populations", "must list at least one population")
	}
	names := map[string]bool{}
	var popShares []float64
	for i := range s.Populations {
		pop := &s.Populations[i]
		f := fmt.Sprintf("populations[%d]", i)
		switch {
		case pop.Name == "":
			bad(f+".name", "required, and not empty")
		case names[pop.Name]:
			bad(f+".name", "%q names two populations", pop.Name)
		}
		names[pop.Name] = true
		popShares = append(popShares, pop.Share)
		if checkShare(bad, f+".share", pop.Share) && s.Users > 0 && math.Round(pop.Share*float64(s.Users)) < 1 {
			bad(f+".share", "%g of %d users is no user at all", pop.Share, s.Users)
		}
		if pop.Chats != badInt && pop.Chats != 0 && (pop.Chats < 1 || (totalChats > 0 && pop.Chats > totalChats)) {
			bad(f+".chats", "must be in 1..%d (the chats there are), got %d", totalChats, pop.Chats)
		}
		if pop.Think != nil {
			ms := pop.Think.check(0, 24*3600, seconds)
			for _, m := range ms {
				bad(f+".think", "%s", m)
			}
			if len(ms) == 0 && pop.Think.Mean() <= 0 {
				bad(f+".think", "the mean think time must be positive")
			}
		}
		if pop.Body != nil {
			for _, m := range pop.Body.check(MinBodyBytes, MaxBodyBytes, bytesUnit) {
				bad(f+".body", "%s (a body carries a %d-byte tag)", m, MinBodyBytes)
			}
		}
		if pop.ReadEvery < 0 {
			bad(f+".read", "must be positive, got %v", pop.ReadEvery)
		}
	}
	checkSum(bad, "populations", popShares)
	if r := s.Churn.Rate; math.IsNaN(r) || r < 0 || math.IsInf(r, 0) {
		if !math.IsNaN(r) {
			bad("churn.rate", "must not be negative, got %g", r)
		}
	}
	if s.Churn.Down != badDur && s.Churn.Down < 0 {
		bad("churn.down", "must not be negative, got %v", s.Churn.Down)
	}
	for i, st := range s.Storms {
		f := fmt.Sprintf("storms[%d]", i)
		if st.Sessions != badInt && st.Sessions < 1 {
			bad(f+".sessions", "must be at least 1, got %d", st.Sessions)
		}
		if st.Window != badDur && st.Window < 0 {
			bad(f+".window", "must not be negative, got %v", st.Window)
		}
		if st.At != badDur && st.Window != badDur && s.Duration > 0 && (st.At < 0 || st.At+st.Window >= s.Duration) {
			bad(f+".at", "the storm (at %v, window %v) must end before sending does (%v)", st.At, st.Window, s.Duration)
		}
	}
	return probs
}

func checkShare(bad func(string, string, ...any), field string, v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if v <= 0 || v > 1 {
		bad(field, "must be in (0,1], got %s", strconv.FormatFloat(v, 'g', -1, 64))
		return false
	}
	return true
}

func checkSum(bad func(string, string, ...any), field string, shares []float64) {
	sum := 0.0
	for _, v := range shares {
		if math.IsNaN(v) || v <= 0 || v > 1 {
			return // already reported
		}
		sum += v
	}
	if len(shares) > 0 && math.Abs(sum-1) > 1e-6 {
		bad(field, "shares must add up to 1, got %s", strconv.FormatFloat(sum, 'g', 6, 64))
	}
}

func seconds(v float64) string {
	return time.Duration(v * float64(time.Second)).String()
}

func bytesUnit(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
