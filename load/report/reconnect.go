package report

import (
	"fmt"
	"html"
	"strings"
	"text/tabwriter"
)

// Reconnects is what one source of reconnects measured: the steady churn
// of a scenario, one of its storms, or the sessions the server itself
// ended while the run sent ("server drops"), which a scenario reconnects
// after 500 ms as a client would.
//
// Time to resume runs from the moment the generator begins to reconnect a
// dropped session (before it renews its connection string, if it has to)
// to the arrival of the first live message: the first message with a seq
// above the chat's highest acknowledged seq when the new session's
// `session` event arrived. The messages before it, above `after`, are the
// replay; replay speed is their number over the time from the `session`
// event to the last of them. A seam is the range of seqs from `after` to
// the first live message: what the replay and the live stream must hand
// over without losing or repeating one (CON-2).
type Reconnects struct {
	// Kind is "churn", "storm" or "server"; Name tells storms apart
	// ("storm 1").
	Kind string `json:"kind"`
	Name string `json:"name"`
	// At is a storm's time after the start of sending.
	At string `json:"at,omitempty"`
	// Dropped sessions, of them Reconnected; Failed by error code.
	Dropped     int64            `json:"dropped"`
	Reconnected int64            `json:"reconnected"`
	Failed      map[string]int64 `json:"failed,omitempty"`
	// Renewed counts connection strings fetched anew because the old one
	// had expired or was about to.
	Renewed int64 `json:"renewed"`
	// Resumed counts reconnects that saw a live message before the end.
	Resumed int64 `json:"resumed"`
	Resume  *Hist `json:"resume"`
	// Reopen runs from the start of a reconnect to its `session` event:
	// the part of Resume that is the server's, whatever the chat's traffic
	// (Resume also waits for the chat's next message).
	Reopen *Hist `json:"reopen"`
	// Replayed messages, and the seconds their replays took, summed.
	Replayed      int64   `json:"replayed"`
	ReplaySeconds float64 `json:"replay_seconds"`
	// SeamLost: acknowledged messages inside a seam that the session never
	// received; SeamDuplicated: messages received twice inside a seam.
	SeamLost       int64 `json:"seam_lost"`
	SeamDuplicated int64 `json:"seam_duplicated"`
}

// ReplayRate is replayed messages per second of replay.
func (r *Reconnects) ReplayRate() float64 { return perSecond(r.Replayed, r.ReplaySeconds) }

// Add adds o (the same source in another shard) to r.
func (r *Reconnects) Add(o *Reconnects) {
	r.Dropped += o.Dropped
	r.Reconnected += o.Reconnected
	addMap(&r.Failed, o.Failed)
	r.Renewed += o.Renewed
	r.Resumed += o.Resumed
	r.Resume = mergeHist(r.Resume, o.Resume)
	r.Reopen = mergeHist(r.Reopen, o.Reopen)
	r.Replayed += o.Replayed
	r.ReplaySeconds += o.ReplaySeconds
	r.SeamLost += o.SeamLost
	r.SeamDuplicated += o.SeamDuplicated
}

// mergeReconnects adds the sources of the same name across results.
func mergeReconnects(rs []*Result) []Reconnects {
	var out []Reconnects
	at := map[string]int{}
	for _, r := range rs {
		for i := range r.Reconnects {
			x := &r.Reconnects[i]
			k, ok := at[x.Name]
			if !ok {
				at[x.Name] = len(out)
				out = append(out, Reconnects{Kind: x.Kind, Name: x.Name, At: x.At, Resume: NewHist(), Reopen: NewHist()})
				k = len(out) - 1
			}
			out[k].Add(x)
		}
	}
	return out
}

// judgeReconnects adds the seams' failures: they are already among the
// run's lost and duplicated deliveries, and are named here so that a
// broken replay is told apart from a broken live stream.
func (r *Result) judgeReconnects() {
	for _, x := range r.Reconnects {
		if x.SeamLost > 0 || x.SeamDuplicated > 0 {
			r.Failures = append(r.Failures, fmt.Sprintf("%s: %d acknowledged messages lost and %d duplicated across reconnect seams (CON-2)", x.Name, x.SeamLost, x.SeamDuplicated))
		}
	}
}

// writeReconnects writes the churn and storm table, if r has one.
func writeReconnects(b *strings.Builder, r *Result) {
	if len(r.Reconnects) == 0 {
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "reconnects\tat\tdropped\treconnected\tfailed\trenewed\treopen p99\tresumed\tresume p50\tresume p99\tresume max\treplayed\treplay msg/s\tseam lost\tseam dup\t\n")
	for _, x := range r.Reconnects {
		h := histOrEmpty(x.Resume)
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d%s\t%d\t%s\t%d\t%s\t%s\t%s\t%d\t%.0f\t%d\t%d\t\n", x.Name, orDash(x.At), x.Dropped, x.Reconnected,
			sumMap(x.Failed), fmtCodes(x.Failed), x.Renewed, fmtDur(histOrEmpty(x.Reopen).Quantile(99)), x.Resumed,
			fmtDur(h.Quantile(50)), fmtDur(h.Quantile(99)), fmtDur(h.Max()), x.Replayed, x.ReplayRate(), x.SeamLost, x.SeamDuplicated)
	}
	tw.Flush()
	b.WriteString("\n")
}

// htmlReconnects is the churn and storm table, if r has one.
func htmlReconnects(r *Result) string {
	if len(r.Reconnects) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("<h2>Churn and reconnect storms</h2><table><tr><th>source</th><th>at</th><th>dropped</th><th>reconnected</th><th>failed</th><th>renewed</th><th>reopen p50</th><th>reopen p99</th><th>resumed</th><th>resume p50</th><th>resume p99</th><th>resume max</th><th>replayed</th><th>replay msg/s</th><th>seam lost</th><th>seam duplicated</th></tr>")
	for _, x := range r.Reconnects {
		h := histOrEmpty(x.Resume)
		o := histOrEmpty(x.Reopen)
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%d</td><td>%.0f</td><td>%d</td><td>%d</td></tr>",
			html.EscapeString(x.Name), html.EscapeString(orDash(x.At)), x.Dropped, x.Reconnected, sumMap(x.Failed), x.Renewed,
			fmtDur(o.Quantile(50)), fmtDur(o.Quantile(99)), x.Resumed,
			fmtDur(h.Quantile(50)), fmtDur(h.Quantile(99)), fmtDur(h.Max()), x.Replayed, x.ReplayRate(), x.SeamLost, x.SeamDuplicated)
	}
	b.WriteString("</table><p>Time to resume: from the start of a reconnect (before renewing its connection string) to the first live message, the first above the chat's highest acknowledged seq when the new <code>session</code> event arrived. The seam is the range from <code>after</code> to that message.</p>")
	return b.String()
}

// reconnectSum adds f over every source of reconnects, for thresholds.
func (r *Result) reconnectSum(f func(x *Reconnects) int64) int64 {
	var n int64
	for i := range r.Reconnects {
		n += f(&r.Reconnects[i])
	}
	return n
}
