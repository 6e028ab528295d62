// Package prom reads a server's Prometheus metrics for a load run: it
// scrapes the text exposition format (parsed by prometheus/common's
// expfmt), picks the series a report.ServerMetricNames names, and turns
// successive scrapes into the per-second report.ServerSecond series and
// the run's report.ServerTotal. It imports report, never the load engine.
package prom

import (
	"cmp"
	"math"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/wcp-project/wcp/load/report"
)

// Sample is one scrape reduced to the series the names pick. A series
// the server does not export is nil; series with several label sets are
// summed (Refused is summed by its code label).
type Sample struct {
	At           time.Time
	AckBuckets   []report.Bucket // cumulative, sorted by LE, +Inf last
	SessionsOpen *float64
	Refused      map[string]float64
	CPU          *float64
	RSS          *float64
	Goroutines   *float64
}

// Pick reduces parsed metric families to a Sample taken at at.
func Pick(fams map[string]*dto.MetricFamily, names report.ServerMetricNames, at time.Time) Sample {
	s := Sample{At: at}
	s.AckBuckets = histogram(fams[names.AckLatency])
	s.SessionsOpen = scalar(fams[names.SessionsOpen])
	s.CPU = scalar(fams[names.CPU])
	s.RSS = scalar(fams[names.RSS])
	s.Goroutines = scalar(fams[names.Goroutines])
	s.Refused = byLabel(fams[names.Refused], names.RefusedLabel)
	return s
}

// value is a metric's value whatever its type (histograms and summaries
// have none).
func value(m *dto.Metric) (float64, bool) {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue(), true
	case m.Gauge != nil:
		return m.Gauge.GetValue(), true
	case m.Untyped != nil:
		return m.Untyped.GetValue(), true
	}
	return 0, false
}

func scalar(f *dto.MetricFamily) *float64 {
	if f == nil {
		return nil
	}
	var sum float64
	var any bool
	for _, m := range f.Metric {
		if v, ok := value(m); ok {
			sum, any = sum+v, true
		}
	}
	if !any {
		return nil
	}
	return &sum
}

func byLabel(f *dto.MetricFamily, label string) map[string]float64 {
	if f == nil {
		return nil
	}
	out := map[string]float64{}
	for _, m := range f.Metric {
		v, ok := value(m)
		if !ok {
			continue
		}
		k := ""
		for _, lp := range m.Label {
			if lp.GetName() == label {
				k = lp.GetValue()
			}
		}
		out[k] += v
	}
	return out
}

// histogram sums a histogram family's classic buckets by upper bound and
// closes them with +Inf = the sample count.
func histogram(f *dto.MetricFamily) []report.Bucket {
	if f == nil {
		return nil
	}
	by := map[float64]float64{}
	var total float64
	var any bool
	for _, m := range f.Metric {
		h := m.Histogram
		if h == nil {
			continue
		}
		any = true
		total += float64(h.GetSampleCount())
		for _, b := range h.Bucket {
			if !math.IsInf(b.GetUpperBound(), 1) {
				by[b.GetUpperBound()] += float64(b.GetCumulativeCount())
			}
		}
	}
	if !any {
		return nil
	}
	out := make([]report.Bucket, 0, len(by)+1)
	for le, n := range by {
		out = append(out, report.Bucket{LE: le, Count: n})
	}
	slices.SortFunc(out, func(a, b report.Bucket) int { return cmp.Compare(a.LE, b.LE) })
	return append(out, report.Bucket{LE: math.Inf(1), Count: total})
}
