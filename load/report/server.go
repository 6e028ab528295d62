package report

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// ServerView is what the server said about itself during a run: its
// Prometheus metrics, scraped by one generator process before sending,
// once per wall-clock second while sending and draining, and after. Every
// value is optional: a series the server does not export is absent (nil),
// never zero.
type ServerView struct {
	// URL is the scraped endpoint; RunID and Shard name the run and the
	// shard whose process scraped it (see MergeServers).
	URL   string `json:"url"`
	RunID string `json:"run_id,omitempty"`
	Shard int    `json:"shard"`
	// Unavailable says why there are no server metrics (a 404, a refused
	// connection, a body that is not the Prometheus text format); the
	// probe is made once, and a run without server metrics is not a
	// failure. Empty when the server was scraped.
	Unavailable string `json:"unavailable,omitempty"`
	// Scrapes made and how many of them failed (timeout, error status,
	// unparsable body): a failed scrape widens the next second's span.
	Scrapes      int `json:"scrapes,omitempty"`
	ScrapeErrors int `json:"scrape_errors,omitempty"`
	// Metrics names the series each figure was read from.
	Metrics ServerMetricNames `json:"metrics,omitzero"`
	// Total is from the scrape before sending to the one after the drain.
	Total ServerTotal `json:"total,omitzero"`
	// Seconds are aligned with Result.Series: second T holds the change
	// from the scrape at (or before) the start of T to the next one.
	Seconds []ServerSecond `json:"seconds,omitempty"`
}

// ServerMetricNames are the metric names a scrape reads. Empty names are
// not read. The defaults (DefaultServerMetricNames) are the reference's.
type ServerMetricNames struct {
	// AckLatency is a histogram in seconds of the server's time to ack.
	AckLatency string `json:"ack_latency,omitempty"`
	// SessionsOpen is a gauge of open sessions.
	SessionsOpen string `json:"sessions_open,omitempty"`
	// Refused is a counter of refusals, labelled by RefusedLabel (the
	// error code).
	Refused      string `json:"refused,omitempty"`
	RefusedLabel string `json:"refused_label,omitempty"`
	// CPU is a counter of CPU seconds, RSS a gauge of resident bytes,
	// Goroutines a gauge.
	CPU        string `json:"cpu,omitempty"`
	RSS        string `json:"rss,omitempty"`
	Goroutines string `json:"goroutines,omitempty"`
}

// DefaultServerMetricNames are the series the reference server exports
// (and, for the process figures, any server using the Prometheus Go
// client's standard collectors).
func DefaultServerMetricNames() ServerMetricNames {
	return ServerMetricNames{
		AckLatency:   "wcp_ack_latency_seconds",
		SessionsOpen: "wcp_sessions_open",
		Refused:      "wcp_messages_refused_total",
		RefusedLabel: "code",
		CPU:          "process_cpu_seconds_total",
		RSS:          "process_resident_memory_bytes",
		Goroutines:   "go_goroutines",
	}
}

// ServerTotal is the whole run as the server counted it.
type ServerTotal struct {
	Seconds float64 `json:"seconds"` // from the first good scrape to the last
	// AckCount is how many acks the latency histogram gained; AckBuckets
	// are its bucket increments (cumulative, by upper bound), from which
	// AckQuantile estimates.
	AckCount   *float64 `json:"ack_count,omitempty"`
	AckBuckets []Bucket `json:"ack_buckets,omitempty"`
	// Refused is the increment of the refusal counter by code.
	Refused map[string]float64 `json:"refused,omitempty"`
	// CPUSeconds the server's process used; peaks are over all scrapes.
	CPUSeconds       *float64 `json:"cpu_seconds,omitempty"`
	SessionsOpenPeak *float64 `json:"sessions_open_peak,omitempty"`
	RSSPeakBytes     *float64 `json:"rss_peak_bytes,omitempty"`
	GoroutinesPeak   *float64 `json:"goroutines_peak,omitempty"`
}

// AckQuantile estimates the q-th percentile (0..100) of the server's ack
// latency over the run; NaN when the server reported no acks.
func (t *ServerTotal) AckQuantile(q float64) float64 {
	return BucketQuantile(t.AckBuckets, q)
}

// ServerSecond is one second of the server's view. Like the client's
// Second it counts what happened in it (acks, refusals), so the two sit
// side by side; CPU is cores, the CPU seconds per second of Span (a
// failed scrape makes a span longer than 1 s, the scrape after the drain
// extends the last); gauges are the values at the end of the span.
type ServerSecond struct {
	T    int64   `json:"t"`
	Span float64 `json:"span"`
	// Acks is how many the ack latency histogram gained; AckP50 and
	// AckP99 (seconds) are estimated from its bucket increments.
	Acks         *float64           `json:"acks,omitempty"`
	AckP50       *float64           `json:"ack_p50,omitempty"`
	AckP99       *float64           `json:"ack_p99,omitempty"`
	SessionsOpen *float64           `json:"sessions_open,omitempty"`
	Refused      map[string]float64 `json:"refused,omitempty"` // by code
	CPUCores     *float64           `json:"cpu_cores,omitempty"`
	RSSBytes     *float64           `json:"rss_bytes,omitempty"`
	Goroutines   *float64           `json:"goroutines,omitempty"`
}

// Bucket is one cumulative histogram bucket: Count observations at most
// LE (+Inf for the last). In JSON, LE is a string as in Prometheus ("+Inf"
// has no JSON number).
type Bucket struct {
	LE    float64
	Count float64
}

type bucketJSON struct {
	LE    string  `json:"le"`
	Count float64 `json:"count"`
}

// MarshalJSON writes {"le": "0.001", "count": n}.
func (b Bucket) MarshalJSON() ([]byte, error) {
	return json.Marshal(bucketJSON{LE: strconv.FormatFloat(b.LE, 'g', -1, 64), Count: b.Count})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (b *Bucket) UnmarshalJSON(data []byte) error {
	var j bucketJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	le, err := strconv.ParseFloat(j.LE, 64)
	if err != nil {
		return fmt.Errorf("bucket le %q: %w", j.LE, err)
	}
	b.LE, b.Count = le, j.Count
	return nil
}

// BucketQuantile estimates the q-th percentile (0..100) of cumulative
// buckets sorted by LE as Prometheus's histogram_quantile does: linearly
// within the bucket the rank falls in, from 0 for the first bucket; a rank
// in the +Inf bucket yields the highest finite bound. NaN when the
// buckets hold nothing.
func BucketQuantile(bs []Bucket, q float64) float64 {
	if len(bs) == 0 {
		return math.NaN()
	}
	total := bs[len(bs)-1].Count
	if total <= 0 || math.IsNaN(total) {
		return math.NaN()
	}
	rank := q / 100 * total
	lower, below := 0.0, 0.0
	for i, b := range bs {
		if b.Count >= rank && b.Count > below {
			if math.IsInf(b.LE, 1) {
				if i == 0 {
					return math.NaN()
				}
				return bs[i-1].LE
			}
			return lower + (b.LE-lower)*(rank-below)/(b.Count-below)
		}
		lower, below = b.LE, b.Count
	}
	return lower
}

// MergeServers keeps one view per (run, scraped URL): shards of one run
// that scrape the same server would otherwise count its acks, refusals
// and CPU once per shard. Of duplicates the lowest shard's view that was
// scraped is kept (an unavailable one only when no shard scraped). Views
// of different URLs or runs (separate servers, separate runs) are all
// kept, ordered by run, URL and shard.
func MergeServers(rs ...*Result) []ServerView {
	type key struct{ run, url string }
	best := map[key]int{}
	var out []ServerView
	for _, r := range rs {
		if r == nil {
			continue
		}
		for _, v := range r.Servers {
			k := key{v.RunID, v.URL}
			i, ok := best[k]
			switch {
			case !ok:
				best[k] = len(out)
				out = append(out, v)
			case better(&v, &out[i]):
				out[i] = v
			}
		}
	}
	slices.SortFunc(out, func(a, b ServerView) int {
		switch {
		case a.RunID != b.RunID:
			return cmp.Compare(a.RunID, b.RunID)
		case a.URL != b.URL:
			return cmp.Compare(a.URL, b.URL)
		}
		return a.Shard - b.Shard
	})
	return out
}

// better reports whether v should replace kept as its run's view of a URL.
func better(v, kept *ServerView) bool {
	if (v.Unavailable == "") != (kept.Unavailable == "") {
		return v.Unavailable == ""
	}
	return v.Shard < kept.Shard
}
