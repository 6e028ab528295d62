package report

import (
	"fmt"
	"math"
	"time"
)

// seconds is d in seconds, rounded to the millisecond: what JUnit's time
// attributes and wcp-rules.json's durations hold. Finer digits would only
// be noise from the clock.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1000) / 1000
}

// humanDuration says d for a reader: "850 ms", "4.21 s", "2 min 03 s".
func humanDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Second:
		return fmt.Sprintf("%d ms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.2f s", d.Seconds())
	default:
		d = d.Round(time.Second)
		return fmt.Sprintf("%d min %02d s", int(d.Minutes()), int(d.Seconds())%60)
	}
}

// millis says an offset within a spec in milliseconds with one decimal,
// the transcript's time column: frames a few microseconds apart still
// read in order.
func millis(d time.Duration) string {
	return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond))
}

// rfc3339Millis is the time format of wcp-rules.json: RFC 3339 in UTC with
// milliseconds, as PROTOCOL.md writes every time.
const rfc3339Millis = "2006-01-02T15:04:05.000Z07:00"

// humanTime says t for a reader, in UTC so that reports from CI machines
// in different zones read alike.
func humanTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}
