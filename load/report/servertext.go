package report

import (
	"fmt"
	"math"
	"strings"
	"text/tabwriter"
	"time"
)

// writeServers writes the text report's server section: for every server
// view, the server's ack latency beside the client's, and its sessions,
// refusals, CPU and memory. Nothing when the server was not scraped.
func writeServers(b *strings.Builder, r *Result) {
	for i := range r.Servers {
		writeServer(b, r, &r.Servers[i])
	}
}

func writeServer(b *strings.Builder, r *Result, v *ServerView) {
	if v.Unavailable != "" {
		fmt.Fprintf(b, "server  no server metrics: %s\n\n", v.Unavailable)
		return
	}
	shared := ""
	if r.Config.Embedded {
		shared = "; process figures include the generator (embedded reference)"
	}
	fmt.Fprintf(b, "server  %s  scraped by shard %d: %d scrapes, %d failed%s\n", v.URL, v.Shard, v.Scrapes, v.ScrapeErrors, shared)
	t := &v.Total
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "  ack latency\tcount\tp50\tp99\t\n")
	if t.AckCount != nil {
		fmt.Fprintf(tw, "  server (receipt to ack, from buckets)\t%.0f\t%s\t%s\t\n", *t.AckCount, fmtSeconds(t.AckQuantile(50)), fmtSeconds(t.AckQuantile(99)))
	} else {
		fmt.Fprintf(tw, "  server (%s not exported)\t-\t-\t-\t\n", orDash(v.Metrics.AckLatency))
	}
	h := r.Hist(HistAck)
	fmt.Fprintf(tw, "  client (from intended send time)\t%d\t%s\t%s\t\n", h.Count(), fmtDur(h.Quantile(50)), fmtDur(h.Quantile(99)))
	tw.Flush()
	var parts []string
	if t.SessionsOpenPeak != nil {
		parts = append(parts, fmt.Sprintf("sessions open peak %.0f (client sessions %d)", *t.SessionsOpenPeak, r.Counts.Sessions))
	}
	if t.Refused != nil || v.Metrics.Refused != "" {
		parts = append(parts, fmt.Sprintf("refusals %.0f%s", sumFloats(t.Refused), fmtFloatCodes(t.Refused)))
	}
	if t.CPUSeconds != nil && t.Seconds > 0 {
		parts = append(parts, fmt.Sprintf("CPU %.2f cores (%.2fs over %.1fs), peak %.2f", *t.CPUSeconds/t.Seconds, *t.CPUSeconds, t.Seconds, peakCores(v.Seconds)))
	}
	if t.RSSPeakBytes != nil {
		parts = append(parts, fmt.Sprintf("RSS peak %.0f MiB", *t.RSSPeakBytes/(1<<20)))
	}
	if t.GoroutinesPeak != nil {
		parts = append(parts, fmt.Sprintf("goroutines peak %.0f", *t.GoroutinesPeak))
	}
	if len(parts) > 0 {
		fmt.Fprintf(b, "  %s\n", strings.Join(parts, "; "))
	}
	b.WriteString("\n")
}

// fmtSeconds renders an estimate in seconds like a latency; "-" for none.
func fmtSeconds(s float64) string {
	if math.IsNaN(s) {
		return "-"
	}
	return fmtDur(time.Duration(s * float64(time.Second)))
}

func sumFloats(m map[string]float64) float64 {
	var n float64
	for _, v := range m {
		n += v
	}
	return n
}

func fmtFloatCodes(m map[string]float64) string {
	counts := make(map[string]int64, len(m))
	for k, v := range m {
		counts[k] = int64(math.Round(v))
	}
	return fmtCodes(counts)
}

// peakCores is the highest per-second CPU use in the series.
func peakCores(secs []ServerSecond) float64 {
	var p float64
	for _, s := range secs {
		if s.CPUCores != nil {
			p = math.Max(p, *s.CPUCores)
		}
	}
	return p
}
