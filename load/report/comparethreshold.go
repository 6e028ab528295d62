package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ChangeThreshold bounds how much worse a metric may get from base to new,
// like "ack_p99:+10%" (p99 ack latency may not rise by more than 10%) or
// "acks_per_s:-5%" (throughput may not drop by more than 5%).
type ChangeThreshold struct {
	Metric string
	// Pct is the allowed worsening in percent, positive: up for a
	// latency, down for a rate.
	Pct float64
	Raw string
}

// ParseChangeThresholds parses a comma-separated list of METRIC:±N%.
// The sign may be left out; when given it must point the way the metric
// gets worse (+ for latencies and CPU, - for rates). Errors wrap
// ErrBadChangeThreshold or ErrUnknownMetric.
func ParseChangeThresholds(s string) ([]ChangeThreshold, error) {
	var out []ChangeThreshold
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		t, err := parseChangeThreshold(part)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: empty; want e.g. 'ack_p99:+10%%,acks_per_s:-5%%'", ErrBadChangeThreshold)
	}
	return out, nil
}

func parseChangeThreshold(s string) (ChangeThreshold, error) {
	name, val, ok := strings.Cut(s, ":")
	name, val = strings.TrimSpace(name), strings.TrimSpace(val)
	if !ok || name == "" || !strings.HasSuffix(val, "%") {
		return ChangeThreshold{}, fmt.Errorf("%w %q: want METRIC:+N%% or METRIC:-N%%", ErrBadChangeThreshold, s)
	}
	m, known := findCompareMetric(name)
	if !known {
		return ChangeThreshold{}, fmt.Errorf("%w %q in threshold %q (known: %s)", ErrUnknownMetric, name, s, strings.Join(CompareMetrics(), ", "))
	}
	num := strings.TrimSpace(strings.TrimSuffix(val, "%"))
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return ChangeThreshold{}, fmt.Errorf("%w %q: %q is not a percentage", ErrBadChangeThreshold, s, val)
	}
	signed := strings.HasPrefix(num, "+") || strings.HasPrefix(num, "-")
	if signed && (v < 0) == m.latency && v != 0 {
		way := "rises (+N%)"
		if !m.latency {
			way = "drops (-N%)"
		}
		return ChangeThreshold{}, fmt.Errorf("%w %q: %s gets worse when it %s", ErrBadChangeThreshold, s, name, way)
	}
	return ChangeThreshold{Metric: name, Pct: math.Abs(v), Raw: s}, nil
}

// CheckThresholds returns a line for every threshold c breaks: the metric's
// verdict is Slower (significant at c.Alpha) and its whole-run value got
// worse by more than the threshold allows. A metric with no verdict
// breaks nothing. It also records them in c.Regressions.
func (c *Comparison) CheckThresholds(ths []ChangeThreshold) []string {
	var out []string
	for _, t := range ths {
		for i := range c.Changes {
			ch := &c.Changes[i]
			if ch.Metric != t.Metric || ch.Verdict != Slower {
				continue
			}
			if w := ch.worsePct(); w > t.Pct {
				out = append(out, fmt.Sprintf("%s (got %+.1f%%, p=%.3g)", t.Raw, *ch.DeltaPct, *ch.P))
			}
		}
	}
	c.Regressions = out
	return out
}
