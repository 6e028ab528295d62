package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Threshold is one pass/fail condition on a result, like "ack_p99<50ms".
type Threshold struct {
	Metric string
	Op     string
	Value  float64 // microseconds for latencies, plain numbers otherwise
	Raw    string
}

var thresholdOps = []string{"<=", ">=", "==", "!=", "<", ">"}

var statQuantiles = map[string]float64{
	"p50": 50, "p90": 90, "p95": 95, "p99": 99, "p999": 99.9, "p9999": 99.99,
}

// counterMetrics maps threshold names to counters.
var counterMetrics = map[string]func(*Result) float64{
	"users":                   func(r *Result) float64 { return float64(r.Counts.Users) },
	"sessions":                func(r *Result) float64 { return float64(r.Counts.Sessions) },
	"disconnects":             func(r *Result) float64 { return float64(r.Counts.Disconnects) },
	"sent":                    func(r *Result) float64 { return float64(r.Counts.Sent) },
	"forged_sent":             func(r *Result) float64 { return float64(r.Counts.ForgedSent) },
	"unsent":                  func(r *Result) float64 { return float64(r.Counts.Unsent) },
	"acked":                   func(r *Result) float64 { return float64(r.Counts.Acked) },
	"refused":                 func(r *Result) float64 { return float64(sumMap(r.Counts.Refused)) },
	"valid_refused":           func(r *Result) float64 { return float64(r.Counts.ValidRefused) },
	"forged_refused":          func(r *Result) float64 { return float64(r.Counts.ForgedRefused) },
	"forged_accepted":         func(r *Result) float64 { return float64(r.Counts.ForgedAccepted) },
	"timeouts":                func(r *Result) float64 { return float64(r.Counts.Timeouts) },
	"late_acks":               func(r *Result) float64 { return float64(r.Counts.LateAcks) },
	"delivered":               func(r *Result) float64 { return float64(r.Counts.Delivered) },
	"lost":                    func(r *Result) float64 { return float64(r.Counts.Lost) },
	"duplicated":              func(r *Result) float64 { return float64(r.Counts.Duplicated) },
	"out_of_order":            func(r *Result) float64 { return float64(r.Counts.OutOfOrder) },
	"forged_delivered":        func(r *Result) float64 { return float64(r.Counts.ForgedDelivered) },
	"seq_gaps":                func(r *Result) float64 { return float64(r.Counts.SeqGaps) },
	"missed_after_disconnect": func(r *Result) float64 { return float64(r.Counts.AfterDisconnect) },
	"connect_errors":          func(r *Result) float64 { return float64(sumMap(r.Counts.ConnectErrors)) },
	"conn_string_errors":      func(r *Result) float64 { return float64(sumMap(r.Counts.ConnStringErrors)) },
	"ack_rate":                func(r *Result) float64 { return r.AckRate() },
	"delivery_rate":           func(r *Result) float64 { return r.DeliveryRate() },
	"send_rate":               func(r *Result) float64 { return r.SendRate() },
	"error_rate": func(r *Result) float64 {
		valid := r.Counts.Sent - r.Counts.ForgedSent
		if valid <= 0 {
			return 0
		}
		return float64(r.Counts.ValidRefused+r.Counts.Timeouts) / float64(valid)
	},
	"seam_lost": func(r *Result) float64 {
		return float64(r.reconnectSum(func(x *Reconnects) int64 { return x.SeamLost }))
	},
	"seam_duplicated": func(r *Result) float64 {
		return float64(r.reconnectSum(func(x *Reconnects) int64 { return x.SeamDuplicated }))
	},
	"reconnect_failures": func(r *Result) float64 {
		return float64(r.reconnectSum(func(x *Reconnects) int64 { return sumMap(x.Failed) }))
	},
	"valid":  func(r *Result) float64 { return b2f(r.Valid) },
	"failed": func(r *Result) float64 { return b2f(r.Failed()) },
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func sumMap(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// ThresholdMetrics lists every name a threshold may use, for help texts.
func ThresholdMetrics() []string {
	var out []string
	for n := range counterMetrics {
		out = append(out, n)
	}
	for _, h := range histNames {
		out = append(out, h+"_{p50,p90,p95,p99,p999,p9999,min,mean,max}")
	}
	slices.Sort(out)
	return out
}

// latency splits "ack_p99" into its histogram and statistic, if it is one.
func latencyMetric(name string) (hist, stat string, ok bool) {
	i := strings.LastIndexByte(name, '_')
	if i < 0 {
		return "", "", false
	}
	hist, stat = name[:i], name[i+1:]
	if !slices.Contains(histNames, hist) {
		return "", "", false
	}
	if _, q := statQuantiles[stat]; q || stat == "max" || stat == "min" || stat == "mean" {
		return hist, stat, true
	}
	return "", "", false
}

// ParseThresholds parses a comma-separated list like
// "ack_p99<50ms,lost==0,ack_rate>=20000". Latencies need a unit (µs, us,
// ms, s, m); counters and rates are plain numbers.
func ParseThresholds(s string) ([]Threshold, error) {
	var out []Threshold
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		t, err := parseThreshold(part)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("threshold: empty; want e.g. 'ack_p99<50ms,lost==0'")
	}
	return out, nil
}

func parseThreshold(s string) (Threshold, error) {
	for _, op := range thresholdOps {
		i := strings.Index(s, op)
		if i < 0 {
			continue
		}
		name, val := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+len(op):])
		if name == "" || val == "" {
			return Threshold{}, fmt.Errorf("threshold %q: want METRIC%sVALUE", s, op)
		}
		t := Threshold{Metric: name, Op: op, Raw: s}
		if _, _, ok := latencyMetric(name); ok {
			d, err := time.ParseDuration(val)
			if err != nil {
				return Threshold{}, fmt.Errorf("threshold %q: %s is a latency and needs a duration with a unit (e.g. 50ms): %v", s, name, err)
			}
			t.Value = float64(d) / float64(time.Microsecond)
			return t, nil
		}
		if _, ok := counterMetrics[name]; !ok {
			return Threshold{}, fmt.Errorf("threshold %q: unknown metric %q (known: %s)", s, name, strings.Join(ThresholdMetrics(), ", "))
		}
		v, err := strconv.ParseFloat(val, 64)
		if err != nil || math.IsNaN(v) {
			return Threshold{}, fmt.Errorf("threshold %q: %q is not a number", s, val)
		}
		t.Value = v
		return t, nil
	}
	return Threshold{}, fmt.Errorf("threshold %q: no comparison; use one of < <= > >= == !=", s)
}

// Measure returns the metric's value in r (microseconds for latencies)
// and a human rendering of it.
func (t Threshold) Measure(r *Result) (float64, string) {
	if h, stat, ok := latencyMetric(t.Metric); ok {
		hist := r.Hist(h)
		var d time.Duration
		switch stat {
		case "max":
			d = hist.Max()
		case "min":
			d = hist.Min()
		case "mean":
			d = hist.Mean()
		default:
			d = hist.Quantile(statQuantiles[stat])
		}
		return float64(d) / float64(time.Microsecond), d.String()
	}
	v := counterMetrics[t.Metric](r)
	return v, strconv.FormatFloat(v, 'f', -1, 64)
}

// Holds reports whether r satisfies t, and what was measured.
func (t Threshold) Holds(r *Result) (bool, string) {
	v, shown := t.Measure(r)
	var ok bool
	switch t.Op {
	case "<":
		ok = v < t.Value
	case "<=":
		ok = v <= t.Value
	case ">":
		ok = v > t.Value
	case ">=":
		ok = v >= t.Value
	case "==":
		ok = v == t.Value
	case "!=":
		ok = v != t.Value
	}
	return ok, shown
}

// Broken returns a line for every threshold r breaks.
func Broken(r *Result, ts []Threshold) []string {
	var out []string
	for _, t := range ts {
		if ok, got := t.Holds(r); !ok {
			out = append(out, fmt.Sprintf("%s (got %s)", t.Raw, got))
		}
	}
	return out
}
