package report

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// ComparisonVersion is the version of the JSON comparison format.
const ComparisonVersion = 1

// Defaults of a comparison: the significance level, the fewest seconds
// with data each run needs before its per-second values are tested, and
// the smallest change in percent that counts as one (see MinEffectPct).
const (
	DefaultAlpha        = 0.05
	DefaultMinSeconds   = 5
	DefaultMinEffectPct = 5
)

// Errors of Compare and ParseChangeThresholds, for errors.Is.
var (
	// ErrVersionMismatch: the two results are of different format versions.
	ErrVersionMismatch = errors.New("results of different versions")
	// ErrUnknownMetric: a name that is not one of CompareMetrics.
	ErrUnknownMetric = errors.New("unknown metric")
	// ErrBadChangeThreshold: a change threshold that does not parse.
	ErrBadChangeThreshold = errors.New("malformed change threshold")
)

// Verdict is what a comparison concludes about one metric.
type Verdict string

// Verdicts. Faster means better for the server: lower latency, higher
// throughput.
const (
	Faster       Verdict = "faster"
	Slower       Verdict = "slower"
	NoChange     Verdict = "no significant change"
	NoVerdict    Verdict = "no verdict"
	compareUTest         = "mann-whitney-u"
)

// compareMetric is one metric a comparison reports: its whole-run value
// (what the table shows) and its per-second values (what is tested).
type compareMetric struct {
	name, label string
	latency     bool // µs, lower is faster; otherwise higher is faster
	whole       func(*Result) (float64, bool)
	// perSecond is nil for metrics measured once per run.
	perSecond func(*Result) []float64
}

var compareMetrics = []compareMetric{
	{name: "acks_per_s", label: "acks/s",
		whole:     func(r *Result) (float64, bool) { return r.AckRate(), r.Counts.Acked > 0 },
		perSecond: func(r *Result) []float64 { return rateSeries(r, func(s *Second) int64 { return s.Acked }) }},
	{name: "deliveries_per_s", label: "deliveries/s",
		whole:     func(r *Result) (float64, bool) { return r.DeliveryRate(), r.Counts.Delivered > 0 },
		perSecond: func(r *Result) []float64 { return rateSeries(r, func(s *Second) int64 { return s.Delivered }) }},
	quantileMetric("ack_p50", "ack p50", HistAck, 50, func(s *Second) *Hist { return s.Ack }),
	quantileMetric("ack_p99", "ack p99", HistAck, 99, func(s *Second) *Hist { return s.Ack }),
	quantileMetric("delivery_p50", "delivery p50", HistDelivery, 50, func(s *Second) *Hist { return s.Delivery }),
	quantileMetric("delivery_p99", "delivery p99", HistDelivery, 99, func(s *Second) *Hist { return s.Delivery }),
	quantileMetric("connect_p99", "connect p99", HistConnect, 99, nil),
	{name: "cpu_per_msg_us", label: "CPU/msg", latency: true, whole: cpuPerMessage},
}

func quantileMetric(name, label, hist string, q float64, sec func(*Second) *Hist) compareMetric {
	m := compareMetric{name: name, label: label, latency: true,
		whole: func(r *Result) (float64, bool) {
			h := r.Hist(hist)
			return float64(h.Quantile(q)) / float64(time.Microsecond), h.Count() > 0
		}}
	if sec != nil {
		m.perSecond = func(r *Result) []float64 {
			var out []float64
			for i := range r.Series {
				if h := sec(&r.Series[i]); h != nil && h.Count() > 0 {
					out = append(out, float64(h.Quantile(q))/float64(time.Microsecond))
				}
			}
			return out
		}
	}
	return m
}

// rateSeries is a count per second from the first second with one to the
// last, less those two: wall-clock seconds cut by the start and end of
// sending hold a fraction of a second's work and would read as a drop.
// Seconds in between count even when empty: a stalled second is a
// throughput of zero, not a missing value.
func rateSeries(r *Result, count func(*Second) int64) []float64 {
	first, last := -1, -1
	for i := range r.Series {
		if count(&r.Series[i]) > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if last-first < 2 {
		return nil
	}
	var out []float64
	for i := first + 1; i < last; i++ {
		out = append(out, float64(count(&r.Series[i])))
	}
	return out
}

// cpuPerMessage is the mean of the self-checks' CPU per message (µs).
func cpuPerMessage(r *Result) (float64, bool) {
	var sum float64
	var n int
	for _, s := range r.SelfChecks {
		if s.CPUPerMessageUS > 0 {
			sum += s.CPUPerMessageUS
			n++
		}
	}
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// CompareMetrics lists the metric names a comparison reports and a change
// threshold may use.
func CompareMetrics() []string {
	out := make([]string, len(compareMetrics))
	for i, m := range compareMetrics {
		out[i] = m.name
	}
	return out
}

func findCompareMetric(name string) (compareMetric, bool) {
	i := slices.IndexFunc(compareMetrics, func(m compareMetric) bool { return m.name == name })
	if i < 0 {
		return compareMetric{}, false
	}
	return compareMetrics[i], true
}

// RunInfo names one side of a comparison.
type RunInfo struct {
	RunID    string   `json:"run_id"`
	Valid    bool     `json:"valid"`
	Failures []string `json:"failures"`
}

// Change is one metric compared.
type Change struct {
	Metric string `json:"metric"`
	// Unit is "us" for latencies and CPU, "per_s" for rates.
	Unit string  `json:"unit"`
	Base float64 `json:"base"`
	New  float64 `json:"new"`
	// DeltaPct is (new-base)/base in percent; absent when base is 0 or
	// either run lacks the metric.
	DeltaPct *float64 `json:"delta_pct,omitempty"`
	// P is the test's two-sided p value; absent when there was no test.
	P *float64 `json:"p,omitempty"`
	// BaseSeconds and NewSeconds are the per-second values tested.
	BaseSeconds int     `json:"base_seconds"`
	NewSeconds  int     `json:"new_seconds"`
	Verdict     Verdict `json:"verdict"`
	// Note says why there is no verdict.
	Note string `json:"note,omitempty"`
	// LowerIsBetter: latencies and CPU (otherwise a rate: higher is faster).
	LowerIsBetter bool `json:"lower_is_better"`
}

// Comparison is base against new, metric by metric.
type Comparison struct {
	Version    int     `json:"version"`
	Method     string  `json:"method"`
	Alpha      float64 `json:"alpha"`
	MinSeconds int     `json:"min_seconds"`
	// MinEffectPct is the smallest whole-run change, in percent either
	// way, that a verdict of faster or slower needs; 0: none.
	MinEffectPct float64  `json:"min_effect_pct"`
	Base         RunInfo  `json:"base"`
	New          RunInfo  `json:"new"`
	Changes      []Change `json:"changes"`
	// Notes warn about what makes the comparison weaker (invalid or
	// failed runs, different settings).
	Notes []string `json:"notes,omitempty"`
	// Regressions lists the change thresholds broken (see Regressions).
	Regressions []string `json:"regressions,omitempty"`
}

// CompareOptions tunes Compare; zero fields take the defaults.
type CompareOptions struct {
	Alpha      float64
	MinSeconds int
	// MinEffectPct is the practical significance: a change smaller than
	// this many percent of the base gets no verdict of faster or slower,
	// however small its p value. The U test treats a run's seconds as
	// independent samples, but they share the state of one machine for
	// the run's length, so two runs of one build differ by a few percent
	// in every second alike, which the test calls significant. Zero takes
	// DefaultMinEffectPct; a negative value turns it off.
	MinEffectPct float64
}

// Compare compares two results metric by metric. Each metric's whole-run
// values give the change in percent; its per-second values (one per
// second with data in each run) are compared with the Mann-Whitney U
// test, and a p value below alpha gives a verdict of Faster or Slower
// when the change is at least MinEffectPct.
// Metrics measured once per run (connect p99, CPU per message) and runs
// with fewer than MinSeconds seconds get NoVerdict and a note. It returns
// ErrVersionMismatch when the results are of different versions.
func Compare(base, next *Result, opt CompareOptions) (*Comparison, error) {
	if base == nil || next == nil {
		return nil, errors.New("compare: missing result")
	}
	if base.Version != next.Version {
		return nil, fmt.Errorf("compare: %w: base %d, new %d", ErrVersionMismatch, base.Version, next.Version)
	}
	if opt.Alpha <= 0 || opt.Alpha >= 1 {
		opt.Alpha = DefaultAlpha
	}
	if opt.MinSeconds < 2 {
		opt.MinSeconds = DefaultMinSeconds
	}
	switch {
	case opt.MinEffectPct == 0:
		opt.MinEffectPct = DefaultMinEffectPct
	case opt.MinEffectPct < 0:
		opt.MinEffectPct = 0
	}
	c := &Comparison{
		Version: ComparisonVersion, Method: compareUTest, Alpha: opt.Alpha, MinSeconds: opt.MinSeconds,
		MinEffectPct: opt.MinEffectPct, Base: runInfo(base), New: runInfo(next),
	}
	for _, side := range []struct {
		name string
		r    *Result
	}{{"base", base}, {"new", next}} {
		if !side.r.Valid {
			c.Notes = append(c.Notes, side.name+" run is INVALID (the generator was its own bottleneck): its numbers describe the generator")
		}
		if side.r.Failed() {
			c.Notes = append(c.Notes, side.name+" run FAILED correctness checks")
		}
	}
	bs, ns := base.Config, next.Config
	bs.Target, ns.Target = "", ""
	if bs != ns {
		c.Notes = append(c.Notes, "the runs' settings differ (other than the target): the comparison may measure the load, not the server")
	}
	for _, m := range compareMetrics {
		c.Changes = append(c.Changes, compareOne(m, base, next, opt))
	}
	return c, nil
}

func runInfo(r *Result) RunInfo {
	f := r.Failures
	if f == nil {
		f = []string{}
	}
	return RunInfo{RunID: r.RunID, Valid: r.Valid, Failures: f}
}

func compareOne(m compareMetric, base, next *Result, opt CompareOptions) Change {
	ch := Change{Metric: m.name, Unit: "per_s", LowerIsBetter: m.latency, Verdict: NoVerdict}
	if m.latency {
		ch.Unit = "us"
	}
	b, bok := m.whole(base)
	n, nok := m.whole(next)
	ch.Base, ch.New = b, n
	if !bok || !nok {
		ch.Note = "not measured in both runs"
		return ch
	}
	if b != 0 {
		d := (n - b) / b * 100
		ch.DeltaPct = &d
	}
	if m.perSecond == nil {
		ch.Note = "measured once per run: no per-second series to test"
		return ch
	}
	bv, nv := m.perSecond(base), m.perSecond(next)
	ch.BaseSeconds, ch.NewSeconds = len(bv), len(nv)
	if len(bv) < opt.MinSeconds || len(nv) < opt.MinSeconds {
		ch.Note = fmt.Sprintf("too few seconds with data (%d and %d, need %d each)", len(bv), len(nv), opt.MinSeconds)
		return ch
	}
	p, shift := uTest(bv, nv)
	ch.P = &p
	switch {
	case p >= opt.Alpha || shift == 0:
		ch.Verdict = NoChange
	case ch.DeltaPct != nil && math.Abs(*ch.DeltaPct) < opt.MinEffectPct:
		ch.Verdict = NoChange
		ch.Note = fmt.Sprintf("p below alpha, but a change under the minimum effect of %g%%", opt.MinEffectPct)
	case (shift > 0) == m.latency:
		ch.Verdict = Slower
	default:
		ch.Verdict = Faster
	}
	return ch
}

// worsePct is how much worse (in percent, positive) new is than base, by
// the whole-run values: up for latency, down for throughput.
func (ch *Change) worsePct() float64 {
	if ch.DeltaPct == nil {
		return math.Inf(-1)
	}
	if ch.LowerIsBetter {
		return *ch.DeltaPct
	}
	return -*ch.DeltaPct
}
