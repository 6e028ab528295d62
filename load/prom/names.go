package prom

import (
	"errors"
	"fmt"
	"strings"

	"github.com/wcp-project/wcp/load/report"
)

// ErrNames: a metric-name mapping that ParseNames cannot read.
var ErrNames = errors.New("bad server metric names")

// NameKeys are the keys ParseNames accepts, in the order they are listed.
var NameKeys = []string{"ack", "sessions", "refused", "cpu", "rss", "goroutines"}

// ParseNames reads a mapping "key=name,..." over base: ack (a histogram
// in seconds), sessions (a gauge), refused (a counter, name:label to read
// the code from a label other than "code"), cpu (a counter of seconds),
// rss (a gauge of bytes), goroutines (a gauge). Keys not given keep
// base's names; an empty name stops a series being read. Its errors wrap
// ErrNames.
func ParseNames(spec string, base report.ServerMetricNames) (report.ServerMetricNames, error) {
	n := base
	if strings.TrimSpace(spec) == "" {
		return n, nil
	}
	for part := range strings.SplitSeq(spec, ",") {
		key, name, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return base, fmt.Errorf("%w: %q is not key=name", ErrNames, part)
		}
		name = strings.TrimSpace(name)
		switch strings.TrimSpace(key) {
		case "ack":
			n.AckLatency = name
		case "sessions":
			n.SessionsOpen = name
		case "refused":
			metric, label, hasLabel := strings.Cut(name, ":")
			n.Refused, n.RefusedLabel = metric, "code"
			if hasLabel {
				n.RefusedLabel = label
			}
		case "cpu":
			n.CPU = name
		case "rss":
			n.RSS = name
		case "goroutines":
			n.Goroutines = name
		default:
			return base, fmt.Errorf("%w: unknown key %q (want %s)", ErrNames, key, strings.Join(NameKeys, ", "))
		}
	}
	return n, nil
}
