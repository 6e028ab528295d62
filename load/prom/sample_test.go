package prom

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

func fixture(t *testing.T, name string, names report.ServerMetricNames, at time.Time) Sample {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fams, err := Parse(f)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return Pick(fams, names, at)
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func wantOpt(t *testing.T, what string, got *float64, want float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s absent, want %g", what, want)
	} else if !near(*got, want) {
		t.Errorf("%s = %g, want %g", what, *got, want)
	}
}

func TestPickReadsTheDefaultNames(t *testing.T) {
	t0 := time.Unix(1000, 0)
	s := fixture(t, "before.prom", report.DefaultServerMetricNames(), t0)
	want := []report.Bucket{{LE: 0.001, Count: 10}, {LE: 0.002, Count: 20}, {LE: 0.004, Count: 20}, {LE: math.Inf(1), Count: 20}}
	if len(s.AckBuckets) != len(want) {
		t.Fatalf("ack buckets %v, want %v", s.AckBuckets, want)
	}
	for i := range want {
		if s.AckBuckets[i] != want[i] {
			t.Errorf("ack bucket %d = %v, want %v", i, s.AckBuckets[i], want[i])
		}
	}
	wantOpt(t, "sessions", s.SessionsOpen, 5)
	wantOpt(t, "cpu", s.CPU, 10)
	wantOpt(t, "rss", s.RSS, 1e8)
	if s.Goroutines != nil {
		t.Errorf("goroutines = %g, want absent (not in the fixture)", *s.Goroutines)
	}
	if len(s.Refused) != 1 || s.Refused["INVALID_SIGNATURE"] != 3 {
		t.Errorf("refused = %v", s.Refused)
	}
}

// Unknown names are absent, not zero; series with several label sets add up.
func TestPickOtherNames(t *testing.T) {
	names := report.ServerMetricNames{AckLatency: "my_ack_seconds", SessionsOpen: "my_conns", CPU: "process_cpu_seconds_total", Refused: "nope"}
	s := fixture(t, "labelled.prom", names, time.Unix(0, 0))
	wantOpt(t, "sessions", s.SessionsOpen, 5)
	if s.CPU != nil || s.RSS != nil || s.Goroutines != nil || s.Refused != nil {
		t.Errorf("absent series read as present: %+v", s)
	}
	want := []report.Bucket{{LE: 0.01, Count: 4}, {LE: 0.1, Count: 6}, {LE: math.Inf(1), Count: 10}}
	if len(s.AckBuckets) != 3 || s.AckBuckets[0] != want[0] || s.AckBuckets[1] != want[1] || s.AckBuckets[2] != want[2] {
		t.Errorf("summed buckets %v, want %v", s.AckBuckets, want)
	}
	// A name that is not a histogram gives no buckets.
	if s := Pick(nil, report.ServerMetricNames{AckLatency: "my_conns"}, time.Time{}); s.AckBuckets != nil {
		t.Errorf("buckets from a gauge: %v", s.AckBuckets)
	}
}

// Two scrapes 2 s apart: bucket increments give the quantiles, counters
// increments (CPU: cores), gauges are the later scrape's.
func TestDeltaOfTwoScrapes(t *testing.T) {
	names := report.DefaultServerMetricNames()
	t0 := time.Unix(1000, 300e6)
	a := fixture(t, "before.prom", names, t0)
	b := fixture(t, "after.prom", names, t0.Add(2*time.Second))
	d := Delta(a, b)
	if d.T != 1000 || !near(d.Span, 2) {
		t.Errorf("T %d span %g, want 1000 and 2", d.T, d.Span)
	}
	// Increments: le 0.001 +0, 0.002 +100, 0.004 +196, +Inf +200.
	wantOpt(t, "acks", d.Acks, 200)
	wantOpt(t, "ack p50", d.AckP50, 0.002)
	wantOpt(t, "ack p99", d.AckP99, 0.004) // in the +Inf bucket: the highest finite bound
	wantOpt(t, "cpu cores", d.CPUCores, 0.75)
	wantOpt(t, "sessions", d.SessionsOpen, 7)
	wantOpt(t, "rss", d.RSSBytes, 1.5e8)
	wantOpt(t, "goroutines", d.Goroutines, 42)
	if len(d.Refused) != 2 || !near(d.Refused["INVALID_SIGNATURE"], 4) || !near(d.Refused["BUSY"], 2) {
		t.Errorf("refused = %v, want INVALID_SIGNATURE 4, BUSY 2 (a new label counts from 0)", d.Refused)
	}
	// Nothing changed: no quantiles, zero rates, no refusals.
	d = Delta(b, Sample{At: b.At.Add(time.Second), AckBuckets: b.AckBuckets, CPU: b.CPU, Refused: b.Refused})
	wantOpt(t, "idle acks", d.Acks, 0)
	wantOpt(t, "idle cpu", d.CPUCores, 0)
	if d.AckP50 != nil || d.AckP99 != nil || d.Refused != nil || d.SessionsOpen != nil {
		t.Errorf("idle second: %+v", d)
	}
}

// A counter that went down was reset: all of the new value is the increase.
func TestDeltaAfterReset(t *testing.T) {
	names := report.DefaultServerMetricNames()
	t0 := time.Unix(1000, 0)
	a := fixture(t, "after.prom", names, t0)
	b := fixture(t, "before.prom", names, t0.Add(time.Second))
	d := Delta(a, b)
	wantOpt(t, "acks", d.Acks, 20)
	wantOpt(t, "cpu", d.CPUCores, 10)
	if !near(d.Refused["INVALID_SIGNATURE"], 3) {
		t.Errorf("refused %v", d.Refused)
	}
}
