package report

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// fmtDur renders a latency compactly: 523µs, 12.3ms, 1.23s.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "0"
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

func fmtCodes(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, m[k]))
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// SecondLine is the one-line status of a second of sending, for live
// displays: its rates and latencies, and the run's troubles so far.
func SecondLine(elapsed time.Duration, sec Second, c Counts) string {
	return fmt.Sprintf("%4.0fs  sent %6d/s  acked %6d/s  delivered %7d/s  ack p99 %-8s delivery p99 %-8s  refused %d  timeouts %d  disconnects %d",
		elapsed.Seconds(), sec.Sent, sec.Acked, sec.Delivered, fmtDur(sec.Ack.quantileOrZero(99)),
		fmtDur(sec.Delivery.quantileOrZero(99)), sumMap(c.Refused), c.Timeouts, c.Disconnects)
}

func (h *Hist) quantileOrZero(q float64) time.Duration {
	if h == nil {
		return 0
	}
	return h.Quantile(q)
}

// loadLine describes the offered load in words.
func loadLine(r *Result) string {
	c := r.Config
	if r.Scenario != "" {
		return fmt.Sprintf("scenario %s: %d users, %d populations, in %d chats, %s, forged %.3g%%",
			r.Scenario, c.Senders, len(r.Populations), c.Chats, c.Duration, 100*c.Forged)
	}
	var mode string
	switch {
	case c.Inflight > 0:
		mode = fmt.Sprintf("closed loop, %d in flight per sender", c.Inflight)
	case c.Stages != "":
		mode = fmt.Sprintf("open loop, stages %s from %g msg/s", c.Stages, c.Rate)
	default:
		mode = fmt.Sprintf("open loop, %g msg/s", c.Rate)
	}
	return fmt.Sprintf("%d senders in %d chats, %s, %s, body %d B, forged %.3g%%",
		c.Senders, c.Chats, mode, c.Duration, c.BodyBytes, 100*c.Forged)
}

// LatencyRows are the histograms the summary shows, in order, with labels.
var LatencyRows = []struct{ Name, Label string }{
	{HistConnString, "connection string"},
	{HistConnect, "connect to session"},
	{HistAck, "ack (from intended)"},
	{HistDelivery, "delivery (from intended)"},
	{HistGenLag, "generator lag"},
	{HistDispatch, "pacer lag"},
	{HistSchedLag, "scheduler lag"},
}

// WriteText writes the end-of-run summary table.
func WriteText(w io.Writer, r *Result) error {
	var b strings.Builder
	c := &r.Counts
	shards := make([]string, 0, len(r.Shards))
	for _, s := range r.Shards {
		shards = append(shards, fmt.Sprintf("%d/%d", s.Index, s.Count))
	}
	target := r.Config.Target
	if r.Config.Embedded {
		target += " (embedded reference)"
	}
	fmt.Fprintf(&b, "WCP load  run %s  shards %s  target %s\n", r.RunID, strings.Join(shards, ","), target)
	fmt.Fprintf(&b, "%s\n\n", loadLine(r))
	secs := r.SendSeconds()
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "setup\tusers %d\tchats %d\tconn strings %d, %d failed%s\tsessions %d, %d failed%s\n",
		c.Users, c.Chats, c.ConnStrings, sumMap(c.ConnStringErrors), fmtCodes(c.ConnStringErrors),
		c.Sessions, sumMap(c.ConnectErrors), fmtCodes(c.ConnectErrors))
	fmt.Fprintf(tw, "sending\tsent %d (%.0f/s over %.1fs)\tacked %d (%.0f/s)\ttimeouts %d, late acks %d\tunsent %d, disconnects %d\n",
		c.Sent, r.SendRate(), secs, c.Acked, r.AckRate(), c.Timeouts, c.LateAcks, c.Unsent, c.Disconnects)
	fmt.Fprintf(tw, "refusals\tvalid refused %d\tforged refused %d of %d\tforged accepted %d\tby code%s\n",
		c.ValidRefused, c.ForgedRefused, c.ForgedSent, c.ForgedAccepted, orNone(fmtCodes(c.Refused)))
	fmt.Fprintf(tw, "delivery\tdelivered %d (%.0f/s)\texpected %d\tlost %d, duplicated %d, out of order %d\tforged delivered %d, after disconnect %d, malformed %d, seq gaps %d\n",
		c.Delivered, r.DeliveryRate(), c.Expected, c.Lost, c.Duplicated, c.OutOfOrder, c.ForgedDelivered, c.AfterDisconnect, c.BadDeliveries+c.BadAcks, c.SeqGaps)
	tw.Flush()
	b.WriteString("\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "latency\tcount\tmin\tp50\tp90\tp99\tp99.9\tmax\t\n")
	for _, row := range LatencyRows {
		h := r.Hist(row.Name)
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", row.Label, h.Count(), fmtDur(h.Min()),
			fmtDur(h.Quantile(50)), fmtDur(h.Quantile(90)), fmtDur(h.Quantile(99)), fmtDur(h.Quantile(99.9)), fmtDur(h.Max()))
	}
	tw.Flush()
	b.WriteString("\n")
	writePopulations(&b, r)
	writeReconnects(&b, r)
	writeServers(&b, r)
	for _, sc := range r.SelfChecks {
		verdict := "valid"
		if !sc.Valid {
			verdict = "INVALID: " + strings.Join(sc.Reasons, "; ")
		}
		who := "generator"
		if sc.SharedWithServer {
			who = "generator + embedded server"
		}
		fmt.Fprintf(&b, "self-check shard %d: %s CPU %.2fs over %.1fs on %d CPUs (%.0f%%), %.1f µs CPU per message; scheduler lag p99 %.2fms; pacer lag p99 %.2fms; memory per session %.1f KiB RSS, %.1f KiB heap+stack; max RSS %.0f MiB: %s\n",
			sc.Shard, who, sc.CPUSeconds, sc.WallSeconds, sc.GOMAXPROCS, 100*sc.CPUUtil, sc.CPUPerMessageUS, sc.SchedLagP99MS, sc.DispatchLagP99MS,
			sc.SessionRSSKiB, sc.SessionHeapKiB, sc.MaxRSSMiB, verdict)
	}
	writeCosts(&b, r)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	switch {
	case r.Failed():
		fmt.Fprintf(&b, "\nFAIL: %s\n", strings.Join(r.Failures, "; "))
	case !r.Valid:
		fmt.Fprintf(&b, "\nPASS on correctness, but the run is INVALID as a measurement: the generator was the bottleneck\n")
	default:
		fmt.Fprintf(&b, "\nPASS: no forged message accepted, every acknowledged message delivered once and in order to every session\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orNone(s string) string {
	if s == "" {
		return " none"
	}
	return s
}
