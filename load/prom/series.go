package prom

import (
	"math"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

// minSpan is the shortest span a second may cover: a scrape this soon
// after the previous one (the scrape after the drain, right after a
// second's) extends the last second instead of making a second of its own
// whose rates would be noise.
const minSpan = 250 * time.Millisecond

// Series turns successive samples into per-second changes and the run's
// totals. It is not safe for concurrent use: one goroutine scrapes.
type Series struct {
	seconds     []report.ServerSecond
	first, last *Sample
	base        *Sample // the sample the last second starts at
	scrapes     int
	errors      int
	peaks       peaks
}

type peaks struct{ sessions, rss, goroutines *float64 }

// Add appends the change since the previous sample (none for the first).
func (s *Series) Add(cur Sample) {
	s.scrapes++
	s.peaks.sessions = maxOpt(s.peaks.sessions, cur.SessionsOpen)
	s.peaks.rss = maxOpt(s.peaks.rss, cur.RSS)
	s.peaks.goroutines = maxOpt(s.peaks.goroutines, cur.Goroutines)
	switch {
	case s.last == nil:
		s.first = &cur
	case cur.At.Sub(s.last.At) < minSpan && s.base != nil:
		s.seconds[len(s.seconds)-1] = Delta(*s.base, cur)
	default:
		s.seconds = append(s.seconds, Delta(*s.last, cur))
		s.base = s.last
	}
	s.last = &cur
}

// Fail counts a scrape that failed; the next good one spans the gap.
func (s *Series) Fail() {
	s.scrapes++
	s.errors++
}

// View is the series as a result's server view of url.
func (s *Series) View(url string, names report.ServerMetricNames) report.ServerView {
	v := report.ServerView{URL: url, Scrapes: s.scrapes, ScrapeErrors: s.errors, Metrics: names, Seconds: s.seconds}
	if s.first == nil {
		return v
	}
	a, b := s.first, s.last
	t := &v.Total
	t.Seconds = b.At.Sub(a.At).Seconds()
	if a.AckBuckets != nil && b.AckBuckets != nil {
		t.AckBuckets = bucketDelta(a.AckBuckets, b.AckBuckets)
		n := t.AckBuckets[len(t.AckBuckets)-1].Count
		t.AckCount = &n
	}
	t.Refused = counterDelta(a.Refused, b.Refused)
	t.CPUSeconds = increase(a.CPU, b.CPU)
	t.SessionsOpenPeak, t.RSSPeakBytes, t.GoroutinesPeak = s.peaks.sessions, s.peaks.rss, s.peaks.goroutines
	return v
}

// Delta is the second from prev to cur: T is prev's wall-clock second,
// counters become increments (CPU seconds: cores over the span),
// histogram increments quantiles, and gauges are cur's.
func Delta(prev, cur Sample) report.ServerSecond {
	span := cur.At.Sub(prev.At).Seconds()
	sec := report.ServerSecond{T: prev.At.Unix(), Span: span,
		SessionsOpen: cur.SessionsOpen, RSSBytes: cur.RSS, Goroutines: cur.Goroutines}
	if span <= 0 {
		return sec
	}
	if prev.AckBuckets != nil && cur.AckBuckets != nil {
		d := bucketDelta(prev.AckBuckets, cur.AckBuckets)
		n := d[len(d)-1].Count
		sec.Acks = ptr(n)
		if n > 0 {
			sec.AckP50 = ptr(report.BucketQuantile(d, 50))
			sec.AckP99 = ptr(report.BucketQuantile(d, 99))
		}
	}
	if cpu := increase(prev.CPU, cur.CPU); cpu != nil {
		sec.CPUCores = ptr(*cpu / span)
	}
	sec.Refused = counterDelta(prev.Refused, cur.Refused)
	return sec
}

// increase is a counter's increase from a to b; a counter that went down
// was reset (the server restarted), and all of b is the increase.
func increase(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	if *b < *a {
		return ptr(*b)
	}
	return ptr(*b - *a)
}

// counterDelta is each label's increase; labels that did not increase are
// left out. Nil when the counter is absent.
func counterDelta(a, b map[string]float64) map[string]float64 {
	if b == nil {
		return nil
	}
	var out map[string]float64
	for k, v := range b {
		d := v - a[k]
		if v < a[k] {
			d = v
		}
		if d > 0 {
			if out == nil {
				out = map[string]float64{}
			}
			out[k] = d
		}
	}
	return out
}

// bucketDelta is cur's buckets less prev's at the same bounds (a bound
// prev lacks counts from zero); a histogram whose count went down was
// reset, and cur is the increase.
func bucketDelta(prev, cur []report.Bucket) []report.Bucket {
	if cur[len(cur)-1].Count < prev[len(prev)-1].Count {
		return append([]report.Bucket(nil), cur...)
	}
	was := make(map[float64]float64, len(prev))
	for _, b := range prev {
		was[b.LE] = b.Count
	}
	out := make([]report.Bucket, len(cur))
	for i, b := range cur {
		out[i] = report.Bucket{LE: b.LE, Count: math.Max(0, b.Count-was[b.LE])}
	}
	return out
}

func maxOpt(a, b *float64) *float64 {
	if b == nil {
		return a
	}
	if a == nil || *b > *a {
		return ptr(*b)
	}
	return a
}

func ptr(v float64) *float64 { return &v }
