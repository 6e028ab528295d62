package prom

import (
	"math"
	"testing"
	"time"

	"github.com/wcp-project/wcp/load/report"
)

func TestSeriesSecondsAndTotals(t *testing.T) {
	names := report.DefaultServerMetricNames()
	t0 := time.Unix(1000, 400e6)
	var s Series
	s.Add(fixture(t, "before.prom", names, t0)) // before sending
	s.Fail()                                    // the scrape at 1001 timed out
	mid := fixture(t, "after.prom", names, time.Unix(1002, 0))
	s.Add(mid)
	// After the drain, 50 ms later: folded into the last second.
	end := mid
	end.At = mid.At.Add(50 * time.Millisecond)
	end.SessionsOpen = ptr(0)
	s.Add(end)
	v := s.View("http://x/metrics", names)
	if v.Scrapes != 3+1 || v.ScrapeErrors != 1 {
		t.Errorf("scrapes %d, errors %d; want 4, 1", v.Scrapes, v.ScrapeErrors)
	}
	if len(v.Seconds) != 1 {
		t.Fatalf("seconds %+v, want one (the late scrape extends it)", v.Seconds)
	}
	sec := v.Seconds[0]
	if sec.T != 1000 || !near(sec.Span, 1.65) {
		t.Errorf("second T %d span %g, want 1000 over 1.65 s", sec.T, sec.Span)
	}
	wantOpt(t, "sessions at the end", sec.SessionsOpen, 0)
	tot := v.Total
	wantOpt(t, "ack count", tot.AckCount, 200)
	wantOpt(t, "cpu seconds", tot.CPUSeconds, 1.5)
	wantOpt(t, "sessions peak", tot.SessionsOpenPeak, 7)
	wantOpt(t, "rss peak", tot.RSSPeakBytes, 1.5e8)
	wantOpt(t, "goroutines peak", tot.GoroutinesPeak, 42)
	if got := tot.AckQuantile(90); !near(got, 0.002+0.002*80/96) {
		t.Errorf("total ack p90 = %g", got)
	}
	if tot.Refused["INVALID_SIGNATURE"] != 4 || tot.Refused["BUSY"] != 2 {
		t.Errorf("refused %v, want the increments 4 and 2", tot.Refused)
	}
	if !near(tot.Seconds, 1.65) {
		t.Errorf("total seconds %g", tot.Seconds)
	}
}

func TestSeriesNeverScraped(t *testing.T) {
	var s Series
	s.Fail()
	v := s.View("u", report.ServerMetricNames{})
	if v.Total.AckCount != nil || v.Seconds != nil || v.ScrapeErrors != 1 || !math.IsNaN(v.Total.AckQuantile(50)) {
		t.Errorf("view of nothing: %+v", v)
	}
}
