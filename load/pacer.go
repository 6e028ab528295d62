package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Stage is one leg of an open-loop schedule: over Duration the offered rate
// moves linearly from the previous stage's target (or the schedule's start
// rate) to Target messages per second.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// ParseStages parses "30s:1000,60s:5000" into stages. Durations use Go's
// syntax (30s, 2m, 1m30s), targets are non-negative numbers of messages
// per second.
func ParseStages(s string) ([]Stage, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("stages: empty; want e.g. 30s:1000,60s:5000")
	}
	var out []Stage
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		d, r, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stages: stage %d %q: want DURATION:RATE, e.g. 30s:1000", i+1, part)
		}
		dur, err := time.ParseDuration(strings.TrimSpace(d))
		if err != nil {
			return nil, fmt.Errorf("stages: stage %d %q: bad duration: %v", i+1, part, err)
		}
		if dur <= 0 {
			return nil, fmt.Errorf("stages: stage %d %q: duration must be positive", i+1, part)
		}
		rate, err := strconv.ParseFloat(strings.TrimSpace(r), 64)
		if err != nil || math.IsNaN(rate) || math.IsInf(rate, 0) {
			return nil, fmt.Errorf("stages: stage %d %q: rate %q is not a number", i+1, part, r)
		}
		if rate < 0 {
			return nil, fmt.Errorf("stages: stage %d %q: rate must not be negative", i+1, part)
		}
		out = append(out, Stage{Duration: dur, Target: rate})
	}
	return out, nil
}

// Pacer is an open-loop schedule: it says when the n-th message (counting
// from 0) is intended to leave, as an offset from the start of sending. It
// never looks at the server, so a slow server cannot slow the offered rate.
// Implementations are pure and safe for concurrent use.
type Pacer interface {
	// At returns the intended offset of message n; ok is false once n is
	// past the end of the schedule.
	At(n uint64) (at time.Duration, ok bool)
	// Rate is the offered rate (messages/s) at offset t.
	Rate(t time.Duration) float64
	// Duration is the schedule's length.
	Duration() time.Duration
}

// StagedPacer is a piecewise-linear rate schedule. The zero value sends
// nothing; build one with NewStagedPacer or ConstantPacer.
type StagedPacer struct {
	start  float64
	stages []Stage
	// ends[k] is the offset at the end of stage k; hits[k] the number of
	// messages offered before stage k starts (the integral of the rate).
	ends []time.Duration
	hits []float64
}

// NewStagedPacer ramps from start msg/s through the stages.
func NewStagedPacer(start float64, stages []Stage) *StagedPacer {
	p := &StagedPacer{start: start, stages: stages}
	var t time.Duration
	h := 0.0
	prev := start
	for _, s := range stages {
		p.hits = append(p.hits, h)
		t += s.Duration
		p.ends = append(p.ends, t)
		h += (prev + s.Target) / 2 * s.Duration.Seconds()
		prev = s.Target
	}
	p.hits = append(p.hits, h)
	return p
}

// ConstantPacer offers rate msg/s for d.
func ConstantPacer(rate float64, d time.Duration) *StagedPacer {
	return NewStagedPacer(rate, []Stage{{Duration: d, Target: rate}})
}

// Scaled returns the same schedule with every rate multiplied by f (a
// shard's share of the total).
func (p *StagedPacer) Scaled(f float64) *StagedPacer {
	st := make([]Stage, len(p.stages))
	for i, s := range p.stages {
		st[i] = Stage{Duration: s.Duration, Target: s.Target * f}
	}
	return NewStagedPacer(p.start*f, st)
}

// Duration is the sum of the stage durations.
func (p *StagedPacer) Duration() time.Duration {
	if len(p.ends) == 0 {
		return 0
	}
	return p.ends[len(p.ends)-1]
}

// Total is the number of messages the whole schedule offers.
func (p *StagedPacer) Total() uint64 {
	if len(p.hits) == 0 {
		return 0
	}
	return uint64(math.Ceil(p.hits[len(p.hits)-1] - 1e-9))
}

func (p *StagedPacer) stageStart(k int) (time.Duration, float64) {
	if k == 0 {
		return 0, p.start
	}
	return p.ends[k-1], p.stages[k-1].Target
}

// Rate is the offered rate at offset t (0 outside the schedule).
func (p *StagedPacer) Rate(t time.Duration) float64 {
	if t < 0 {
		return 0
	}
	for k, end := range p.ends {
		if t < end {
			t0, r0 := p.stageStart(k)
			frac := float64(t-t0) / float64(p.stages[k].Duration)
			return r0 + (p.stages[k].Target-r0)*frac
		}
	}
	return 0
}

// At returns the offset at which the integral of the rate reaches n: message
// n is due then.
func (p *StagedPacer) At(n uint64) (time.Duration, bool) {
	if len(p.stages) == 0 {
		return 0, false
	}
	fn := float64(n)
	total := p.hits[len(p.hits)-1]
	if fn >= total-1e-9 {
		return 0, false
	}
	// First stage whose end has more than n hits.
	k := sort.Search(len(p.stages), func(i int) bool { return p.hits[i+1] > fn })
	if k >= len(p.stages) {
		return 0, false
	}
	t0, r0 := p.stageStart(k)
	m := fn - p.hits[k]
	d := p.stages[k].Duration.Seconds()
	a := (p.stages[k].Target - r0) / (2 * d)
	var tau float64
	switch {
	case a == 0:
		if r0 <= 0 {
			return 0, false
		}
		tau = m / r0
	default:
		// Solve a·τ² + r0·τ = m in its cancellation-free form.
		disc := r0*r0 + 4*a*m
		if disc < 0 {
			disc = 0
		}
		den := r0 + math.Sqrt(disc)
		if den <= 0 {
			tau = 0
		} else {
			tau = 2 * m / den
		}
	}
	if tau > d {
		tau = d
	}
	return t0 + time.Duration(tau*float64(time.Second)), true
}

// Clock is the time source of the pacing loop; tests inject a fake.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends.
	Sleep(ctx context.Context, d time.Duration)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }
func (realClock) Sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// minSleep is the shortest wait worth a timer: messages due sooner are
// dispatched at once (their intended time is still the schedule's, so
// latency is not flattered).
const minSleep = 500 * time.Microsecond

// Pace runs the open loop: for every message of p it waits until its
// intended time and calls fire(n, intended) without ever waiting on the
// server (intended is the schedule's time, or the dispatch time for a
// message let go slightly early). fire must not block. lag, if not nil, is told how late each
// dispatch was against the schedule. Pace returns the number of messages
// fired when the schedule ends or ctx is done.
func Pace(ctx context.Context, c Clock, start time.Time, p Pacer, fire func(n uint64, intended time.Duration), lag func(time.Duration)) uint64 {
	var n uint64
	for {
		at, ok := p.At(n)
		if !ok {
			return n
		}
		if ctx.Err() != nil {
			return n
		}
		now := c.Now().Sub(start)
		if wait := at - now; wait > minSleep {
			c.Sleep(ctx, wait)
			if ctx.Err() != nil {
				return n
			}
			now = c.Now().Sub(start)
		}
		if lag != nil {
			lag(max(now-at, 0))
		}
		// A message dispatched up to minSleep early counts from when it
		// left, so an early send cannot shave its latency either.
		fire(n, min(at, now))
		n++
	}
}
