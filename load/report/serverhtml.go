package report

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
)

// writeServersHTML adds, for every scraped server view, charts of the
// server's seconds beside the client's: the same wall-clock seconds on
// the x axis, client lines solid and server lines dashed.
func writeServersHTML(b *strings.Builder, r *Result) {
	for i := range r.Servers {
		v := &r.Servers[i]
		if v.Unavailable != "" {
			fmt.Fprintf(b, "<h2>Server</h2><p>No server metrics: %s</p>", html.EscapeString(v.Unavailable))
			continue
		}
		writeServerHTML(b, r, v)
	}
}

func writeServerHTML(b *strings.Builder, r *Result, v *ServerView) {
	fmt.Fprintf(b, "<h2>Server — %s</h2>", html.EscapeString(v.URL))
	if r.Config.Embedded {
		b.WriteString("<p>The server ran in the generator's process: its CPU, memory and goroutines include the generator's.</p>")
	}
	// One x axis for both sides: every second either of them has.
	client := map[int64]*Second{}
	server := map[int64]*ServerSecond{}
	var ts []int64
	for i := range r.Series {
		client[r.Series[i].T] = &r.Series[i]
		ts = append(ts, r.Series[i].T)
	}
	for i := range v.Seconds {
		server[v.Seconds[i].T] = &v.Seconds[i]
		ts = append(ts, v.Seconds[i].T)
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	if len(ts) == 0 {
		return
	}
	x := make([]float64, len(ts))
	for i, t := range ts {
		x[i] = float64(t - ts[0])
	}
	col := func(f func(c *Second, s *ServerSecond) float64) []float64 {
		out := make([]float64, len(ts))
		for i, t := range ts {
			out[i] = f(client[t], server[t])
		}
		return out
	}
	cli := func(f func(c *Second) float64) []float64 {
		return col(func(c *Second, _ *ServerSecond) float64 {
			if c == nil {
				return math.NaN()
			}
			return f(c)
		})
	}
	srv := func(f func(s *ServerSecond) *float64, scale float64) []float64 {
		return col(func(_ *Second, s *ServerSecond) float64 {
			if s == nil || f(s) == nil {
				return math.NaN()
			}
			return *f(s) * scale
		})
	}
	b.WriteString(lineChart("Ack latency per second: client (from intended send) and server (receipt to ack)", "ms", x, []chartSeries{
		{"client p50", palette[0], cli(func(c *Second) float64 { return qOrNaN(c.Ack, 50) }), false},
		{"client p99", palette[1], cli(func(c *Second) float64 { return qOrNaN(c.Ack, 99) }), false},
		{"server p50", palette[0], srv(func(s *ServerSecond) *float64 { return s.AckP50 }, 1000), true},
		{"server p99", palette[1], srv(func(s *ServerSecond) *float64 { return s.AckP99 }, 1000), true}}, nil))
	b.WriteString(lineChart("Acks per second: client and server", "/s", x, []chartSeries{
		{"client acked", palette[2], cli(func(c *Second) float64 { return float64(c.Acked) }), false},
		{"server acks", palette[4], srv(func(s *ServerSecond) *float64 { return s.Acks }, 1), true}}, nil))
	refusals := []chartSeries{{"client refused", palette[1], cli(func(c *Second) float64 { return float64(c.Refused) }), false}}
	for i, code := range refusalCodes(v) {
		refusals = append(refusals, chartSeries{code, palette[(i+2)%len(palette)], col(func(_ *Second, s *ServerSecond) float64 {
			if s == nil {
				return math.NaN()
			}
			return s.Refused[code] // a code missing in a second refused nothing in it
		}), true})
	}
	b.WriteString(lineChart("Refusals per second: client (solid), and server by code (dashed)", "/s", x, refusals, nil))
	b.WriteString(lineChart("Server sessions open and goroutines", "", x, []chartSeries{
		{"sessions open", palette[0], srv(func(s *ServerSecond) *float64 { return s.SessionsOpen }, 1), false},
		{"goroutines", palette[5], srv(func(s *ServerSecond) *float64 { return s.Goroutines }, 1), true}}, nil))
	b.WriteString(lineChart("Server CPU (cores)", "", x, []chartSeries{
		{"cpu cores", palette[3], srv(func(s *ServerSecond) *float64 { return s.CPUCores }, 1), false}}, nil))
	b.WriteString(lineChart("Server resident memory (MiB)", " MiB", x, []chartSeries{
		{"rss", palette[4], srv(func(s *ServerSecond) *float64 { return s.RSSBytes }, 1.0/(1<<20)), false}}, nil))
}

// refusalCodes are the codes the server refused with in any second, sorted.
func refusalCodes(v *ServerView) []string {
	var codes []string
	for _, s := range v.Seconds {
		for c := range s.Refused {
			codes = append(codes, c)
		}
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}
