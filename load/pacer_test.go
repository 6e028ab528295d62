package load

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"
)

func TestParseStages(t *testing.T) {
	good := []struct {
		in   string
		want []Stage
	}{
		{"30s:1000", []Stage{{30 * time.Second, 1000}}},
		{"30s:1000,60s:5000", []Stage{{30 * time.Second, 1000}, {time.Minute, 5000}}},
		{" 1m30s : 2.5 , 10s:0 ", []Stage{{90 * time.Second, 2.5}, {10 * time.Second, 0}}},
	}
	for _, tc := range good {
		got, err := ParseStages(tc.in)
		if err != nil {
			t.Errorf("ParseStages(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseStages(%q) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("ParseStages(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
	bad := map[string]string{
		"":             "empty",
		"30s":          "DURATION:RATE",
		"30:1000":      "bad duration",
		"30s:fast":     "not a number",
		"30s:-5":       "negative",
		"0s:100":       "positive",
		"-5s:100":      "positive",
		"30s:100,,":    "DURATION:RATE",
		"30s:NaN":      "not a number",
		"10s:1e999999": "not a number",
	}
	for in, want := range bad {
		_, err := ParseStages(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseStages(%q) error = %v, want one mentioning %q", in, err, want)
		}
	}
}

func TestConstantPacer(t *testing.T) {
	p := ConstantPacer(1000, 2*time.Second)
	if got := p.Total(); got != 2000 {
		t.Fatalf("Total = %d, want 2000", got)
	}
	for _, n := range []uint64{0, 1, 999, 1999} {
		at, ok := p.At(n)
		want := time.Duration(n) * time.Millisecond
		if !ok || absDur(at-want) > time.Microsecond {
			t.Errorf("At(%d) = %v %v, want %v", n, at, ok, want)
		}
	}
	if _, ok := p.At(2000); ok {
		t.Errorf("At(2000) past the end is ok")
	}
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// A ramp offers the integral of its rate: 0→1000 msg/s over 10 s is 5000
// messages, a quarter of them in the first half.
func TestStagedPacerRamp(t *testing.T) {
	p := NewStagedPacer(0, []Stage{{10 * time.Second, 1000}, {5 * time.Second, 1000}, {5 * time.Second, 0}})
	if got, want := p.Total(), uint64(5000+5000+2500); got != want {
		t.Fatalf("Total = %d, want %d", got, want)
	}
	count := func(from, to time.Duration) int {
		n := 0
		for i := uint64(0); ; i++ {
			at, ok := p.At(i)
			if !ok {
				return n
			}
			if at >= from && at < to {
				n++
			}
		}
	}
	checks := []struct {
		from, to time.Duration
		want     float64
	}{
		{0, 5 * time.Second, 1250},                // ∫0..5 100t dt
		{5 * time.Second, 10 * time.Second, 3750}, // the rest of the ramp
		{10 * time.Second, 15 * time.Second, 5000},
		{15 * time.Second, 20 * time.Second, 2500},
	}
	for _, c := range checks {
		if got := count(c.from, c.to); math.Abs(float64(got)-c.want) > 1 {
			t.Errorf("messages in [%v,%v) = %d, want %v", c.from, c.to, got, c.want)
		}
	}
	// Intended times never go backwards.
	var prev time.Duration
	for i := uint64(0); ; i++ {
		at, ok := p.At(i)
		if !ok {
			break
		}
		if at < prev {
			t.Fatalf("At(%d) = %v before At(%d) = %v", i, at, i-1, prev)
		}
		prev = at
	}
	if r := p.Rate(5 * time.Second); math.Abs(r-500) > 1e-9 {
		t.Errorf("Rate(5s) = %v, want 500", r)
	}
	if got := p.Scaled(0.25).Total(); got != 12500/4 {
		t.Errorf("Scaled(0.25).Total = %d, want %d", got, 12500/4)
	}
}

// fakeClock advances only when slept on.
type fakeClock struct{ now time.Time }

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) {
	if d > 0 {
		c.now = c.now.Add(d)
	}
}

func TestPaceFakeClock(t *testing.T) {
	c := &fakeClock{now: time.Unix(1000, 0)}
	start := c.now
	p := ConstantPacer(100, time.Second)
	var fired []time.Duration
	var lags []time.Duration
	n := Pace(context.Background(), c, start, p, func(i uint64, at time.Duration) {
		fired = append(fired, at)
		if i == 10 {
			// A slow fire (the generator stalls 250 ms): the pacer must not
			// move the schedule, only report the lag and catch up.
			c.now = c.now.Add(250 * time.Millisecond)
		}
	}, func(l time.Duration) { lags = append(lags, l) })
	if n != 100 || len(fired) != 100 {
		t.Fatalf("fired %d (returned %d), want 100", len(fired), n)
	}
	for i, at := range fired {
		if want := time.Duration(i) * 10 * time.Millisecond; at != want {
			t.Fatalf("message %d intended at %v, want %v", i, at, want)
		}
	}
	if lags[11] != 250*time.Millisecond-10*time.Millisecond {
		t.Errorf("lag after the stall = %v, want 240ms", lags[11])
	}
	if lags[40] != 0 {
		t.Errorf("lag once caught up = %v, want 0", lags[40])
	}
	// Catching up does not compress the schedule's end.
	if got := c.now.Sub(start); got < 990*time.Millisecond {
		t.Errorf("pacing ended after %v, want the full schedule", got)
	}
}

func TestPaceStopsOnCancel(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	ctx, cancel := context.WithCancel(context.Background())
	n := Pace(ctx, c, c.now, ConstantPacer(10, time.Hour), func(i uint64, _ time.Duration) {
		if i == 4 {
			cancel()
		}
	}, nil)
	if n != 5 {
		t.Errorf("fired %d after cancel at the 5th, want 5", n)
	}
}

// Messages closer together than a timer is worth leave without a sleep,
// some before their time: their latency then counts from when they left,
// never from a later intended time.
func TestPaceNeverCountsFromTheFuture(t *testing.T) {
	c := &fakeClock{now: time.Unix(0, 0)}
	start := c.now
	n := Pace(context.Background(), c, start, ConstantPacer(10000, 20*time.Millisecond), func(i uint64, at time.Duration) {
		if now := c.now.Sub(start); at > now {
			t.Fatalf("message %d counted from %v, after it left at %v", i, at, now)
		}
	}, nil)
	if n != 200 {
		t.Errorf("fired %d, want 200", n)
	}
}
