package report

import (
	"fmt"
	"html"
	"strings"
	"text/tabwriter"
)

// Population is what one population of a scenario run did: its own
// counters (sends and acks of its senders, receipts and the delivery
// audit of its sessions) and latencies.
type Population struct {
	Name     string  `json:"name"`
	Share    float64 `json:"share"`
	Users    int64   `json:"users"`
	Sessions int64   `json:"sessions"`
	// Counts are the population's part of the run's counters.
	Counts Counts `json:"counts"`
	// Ack is from the intended send time of its messages to their acks;
	// Delivery from the intended send time of every message its sessions
	// received.
	Ack      *Hist `json:"ack"`
	Delivery *Hist `json:"delivery"`
}

// Add adds o (the same population in another shard) to p.
func (p *Population) Add(o *Population) {
	p.Users += o.Users
	p.Sessions += o.Sessions
	p.Counts.Add(&o.Counts)
	p.Ack = mergeHist(p.Ack, o.Ack)
	p.Delivery = mergeHist(p.Delivery, o.Delivery)
}

func mergeHist(a, b *Hist) *Hist {
	out := NewHist()
	if a != nil {
		out.Merge(a)
	}
	if b != nil {
		out.Merge(b)
	}
	return out
}

func histOrEmpty(h *Hist) *Hist {
	if h == nil {
		return NewHist()
	}
	return h
}

// mergePopulations adds populations of the same name across results, in
// the order they first appear.
func mergePopulations(rs []*Result) []Population {
	var out []Population
	at := map[string]int{}
	for _, r := range rs {
		for i := range r.Populations {
			p := &r.Populations[i]
			k, ok := at[p.Name]
			if !ok {
				at[p.Name] = len(out)
				out = append(out, Population{Name: p.Name, Share: p.Share, Ack: NewHist(), Delivery: NewHist()})
				k = len(out) - 1
			}
			out[k].Add(p)
		}
	}
	return out
}

// writePopulations writes the per-population table, if r has one.
func writePopulations(b *strings.Builder, r *Result) {
	if len(r.Populations) == 0 {
		return
	}
	fmt.Fprintf(b, "populations (scenario %s)\n", r.Scenario)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "population\tusers\tsessions\tsent\tunsent\tacked\ttimeouts\tdelivered\tlost\tdup\tdisconnects\tack p50\tack p99\tdelivery p50\tdelivery p99\t\n")
	for _, p := range r.Populations {
		c, a, d := &p.Counts, histOrEmpty(p.Ack), histOrEmpty(p.Delivery)
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t\n", p.Name, p.Users, p.Sessions,
			c.Sent, c.Unsent, c.Acked, c.Timeouts, c.Delivered, c.Lost, c.Duplicated, c.Disconnects,
			fmtDur(a.Quantile(50)), fmtDur(a.Quantile(99)), fmtDur(d.Quantile(50)), fmtDur(d.Quantile(99)))
	}
	tw.Flush()
	b.WriteString("\n")
}

// htmlPopulations is the per-population table, if r has one.
func htmlPopulations(r *Result) string {
	if len(r.Populations) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "<h2>Populations (scenario %s)</h2><table><tr><th>population</th><th>users</th><th>sessions</th><th>sent</th><th>acked</th><th>delivered</th><th>lost</th><th>duplicated</th><th>ack p50</th><th>ack p99</th><th>delivery p50</th><th>delivery p99</th></tr>",
		html.EscapeString(r.Scenario))
	for _, p := range r.Populations {
		c, a, d := &p.Counts, histOrEmpty(p.Ack), histOrEmpty(p.Delivery)
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			html.EscapeString(p.Name), p.Users, p.Sessions, c.Sent, c.Acked, c.Delivered, c.Lost, c.Duplicated,
			fmtDur(a.Quantile(50)), fmtDur(a.Quantile(99)), fmtDur(d.Quantile(50)), fmtDur(d.Quantile(99)))
	}
	b.WriteString("</table>")
	return b.String()
}
