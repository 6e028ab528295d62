package report

import (
	"fmt"
	"html"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// The HTML report is one self-contained file: inline CSS and SVG drawn
// here, no script, no fonts, no links, so it opens with no network.

type chartSeries struct {
	Name   string
	Color  string
	Values []float64 // NaN for "no data"
	Dashed bool      // for series that often lie on top of another
}

// lineChart draws series against x (seconds since the first point).
// xfmt labels the x axis (nil: seconds).
func lineChart(title, unit string, x []float64, series []chartSeries, xfmt func(float64) string) string {
	if xfmt == nil {
		xfmt = func(v float64) string { return fmt.Sprintf("%.0fs", v) }
	}
	const W, H = 760.0, 260.0
	const left, right, top, bottom = 70.0, 150.0, 30.0, 40.0
	pw, ph := W-left-right, H-top-bottom
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-label="%s">`, W, H, W, H, html.EscapeString(title))
	fmt.Fprintf(&b, `<text x="%g" y="18" class="title">%s</text>`, left, html.EscapeString(title))
	xmax, ymax := 0.0, 0.0
	for _, v := range x {
		xmax = math.Max(xmax, v)
	}
	for _, s := range series {
		for _, v := range s.Values {
			if !math.IsNaN(v) {
				ymax = math.Max(ymax, v)
			}
		}
	}
	if xmax <= 0 {
		xmax = 1
	}
	ymax = niceCeil(ymax)
	px := func(v float64) float64 { return left + v/xmax*pw }
	py := func(v float64) float64 { return top + ph - v/ymax*ph }
	// Grid and axes.
	for i := 0; i <= 4; i++ {
		v := ymax * float64(i) / 4
		y := py(v)
		fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" class="grid"/>`, left, y, left+pw, y)
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="ylab">%s</text>`, left-6, y+4, html.EscapeString(fmtAxis(v, unit)))
	}
	for i := 0; i <= 5; i++ {
		v := xmax * float64(i) / 5
		fmt.Fprintf(&b, `<text x="%.1f" y="%g" class="xlab">%s</text>`, px(v), top+ph+16, html.EscapeString(xfmt(v)))
	}
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" class="axis"/>`, left, top+ph, left+pw, top+ph)
	fmt.Fprintf(&b, `<line x1="%g" y1="%g" x2="%g" y2="%g" class="axis"/>`, left, top, left, top+ph)
	for k, s := range series {
		var pts []string
		flush := func() {
			if len(pts) > 0 {
				dash := ""
				if s.Dashed {
					dash = ` stroke-dasharray="6,4"`
				}
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.6"%s points="%s"/>`, s.Color, dash, strings.Join(pts, " "))
				pts = pts[:0]
			}
		}
		for i, v := range s.Values {
			if i >= len(x) || math.IsNaN(v) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(x[i]), py(v)))
		}
		if len(pts) == 1 {
			var cx, cy float64
			fmt.Sscanf(pts[0], "%g,%g", &cx, &cy)
			fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="2" fill="%s"/>`, cx, cy, s.Color)
			pts = pts[:0]
		}
		flush()
		ly := top + 10 + float64(k)*18
		if s.Dashed {
			fmt.Fprintf(&b, `<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="2" stroke-dasharray="4,2"/>`, left+pw+12, ly-1.5, left+pw+26, ly-1.5, s.Color)
		} else {
			fmt.Fprintf(&b, `<rect x="%g" y="%.1f" width="12" height="3" fill="%s"/>`, left+pw+12, ly-3, s.Color)
		}
		fmt.Fprintf(&b, `<text x="%g" y="%.1f" class="legend">%s</text>`, left+pw+30, ly+1, html.EscapeString(s.Name))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func fmtAxis(v float64, unit string) string {
	if unit == "ms" {
		if v < 10 {
			return fmt.Sprintf("%.2g ms", v)
		}
		return fmt.Sprintf("%.0f ms", v)
	}
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM%s", v/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk%s", v/1e3, unit)
	}
	return fmt.Sprintf("%.3g%s", v, unit)
}

// spectrum draws latency against percentile on the usual log axis of
// 1/(1-q), for each named histogram.
func spectrum(r *Result, names []string, colors []string) string {
	qs := []float64{0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.999}
	x := make([]float64, len(qs))
	for i, q := range qs {
		x[i] = math.Log10(1 / (1 - q/100))
	}
	var series []chartSeries
	for i, n := range names {
		h := r.Hist(n)
		vals := make([]float64, len(qs))
		for j, q := range qs {
			vals[j] = math.NaN()
			if h.Count() > 0 {
				vals[j] = ms(h.Quantile(q))
			}
		}
		series = append(series, chartSeries{Name: n, Color: colors[i%len(colors)], Values: vals, Dashed: n == HistDelivery})
	}
	return lineChart("Latency by percentile", "ms", x, series, func(v float64) string {
		// v = log10(1/(1-q)): 0 is p0, 1 is p90, 2 is p99, ...
		return "p" + strconv.FormatFloat(math.Round(100000*(1-math.Pow(10, -v)))/1000, 'f', -1, 64)
	})
}

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"}

// htmlStyle is the style sheet of every HTML page this package writes.
const htmlStyle = `<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
pre{background:#f6f6f6;padding:12px;overflow-x:auto;font-size:12px}
table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th{background:#eee} td:first-child,th:first-child{text-align:left}
.pass{color:#1a7f37;font-weight:bold} .fail{color:#c00;font-weight:bold} .warn{color:#b35900;font-weight:bold}
svg.chart{display:block;margin:8px 0;background:#fff;border:1px solid #ddd}
svg .title{font-size:13px;font-weight:bold} svg .grid{stroke:#eee} svg .axis{stroke:#888}
svg .ylab{font-size:10px;text-anchor:end;fill:#555} svg .xlab{font-size:10px;text-anchor:middle;fill:#555} svg .legend{font-size:11px}
</style>`

// WriteHTML writes a self-contained HTML report of r.
func WriteHTML(w io.Writer, r *Result) error {
	var text strings.Builder
	if err := WriteText(&text, r); err != nil {
		return err
	}
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&b, "<title>WCP load report %s</title>", html.EscapeString(r.RunID))
	b.WriteString(htmlStyle)
	b.WriteString("</head><body>")
	fmt.Fprintf(&b, "<h1>WCP load report — run %s</h1>", html.EscapeString(r.RunID))
	fmt.Fprintf(&b, "<p>%s<br>target %s, %s to %s</p>", html.EscapeString(loadLine(r)), html.EscapeString(r.Config.Target),
		r.Start.Format(time.RFC3339), r.End.Format(time.RFC3339))
	switch {
	case r.Failed():
		fmt.Fprintf(&b, `<p class="fail">FAIL: %s</p>`, html.EscapeString(strings.Join(r.Failures, "; ")))
	case !r.Valid:
		b.WriteString(`<p class="warn">INVALID measurement: the generator was its own bottleneck (see self-check).</p>`)
	default:
		b.WriteString(`<p class="pass">PASS: no forged message accepted; every acknowledged message reached every session once, in order.</p>`)
	}
	// Latency table.
	b.WriteString("<h2>Latency</h2><table><tr><th>histogram</th><th>count</th><th>min</th><th>p50</th><th>p90</th><th>p99</th><th>p99.9</th><th>max</th></tr>")
	for _, row := range LatencyRows {
		h := r.Hist(row.Name)
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
			html.EscapeString(row.Label), h.Count(), fmtDur(h.Min()), fmtDur(h.Quantile(50)), fmtDur(h.Quantile(90)),
			fmtDur(h.Quantile(99)), fmtDur(h.Quantile(99.9)), fmtDur(h.Max()))
	}
	b.WriteString("</table>")
	b.WriteString(htmlPopulations(r))
	b.WriteString(htmlReconnects(r))

	// Time series.
	var x []float64
	var sent, acked, deliv, ackP50, ackP99, delP99, delP50 []float64
	var t0 int64
	for i, s := range r.Series {
		if i == 0 {
			t0 = s.T
		}
		x = append(x, float64(s.T-t0))
		sent = append(sent, float64(s.Sent))
		acked = append(acked, float64(s.Acked))
		deliv = append(deliv, float64(s.Delivered))
		ackP50 = append(ackP50, qOrNaN(s.Ack, 50))
		ackP99 = append(ackP99, qOrNaN(s.Ack, 99))
		delP50 = append(delP50, qOrNaN(s.Delivery, 50))
		delP99 = append(delP99, qOrNaN(s.Delivery, 99))
	}
	b.WriteString("<h2>Throughput</h2>")
	b.WriteString(lineChart("Messages per second", "/s", x, []chartSeries{
		{"sent", palette[0], sent, false}, {"acked", palette[2], acked, true}}, nil))
	b.WriteString(lineChart("Deliveries per second", "/s", x, []chartSeries{{"delivered", palette[4], deliv, false}}, nil))
	b.WriteString("<h2>Latency over time</h2>")
	b.WriteString(lineChart("Latency percentiles per second (from intended send time)", "ms", x, []chartSeries{
		{"ack p50", palette[0], ackP50, false}, {"ack p99", palette[1], ackP99, false},
		{"delivery p50", palette[2], delP50, true}, {"delivery p99", palette[3], delP99, true}}, nil))
	b.WriteString(spectrum(r, []string{HistAck, HistDelivery, HistConnect, HistConnString}, palette))
	writeServersHTML(&b, r)
	b.WriteString("<h2>Summary</h2><pre>")
	b.WriteString(html.EscapeString(text.String()))
	b.WriteString("</pre></body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func qOrNaN(h *Hist, q float64) float64 {
	if h == nil || h.Count() == 0 {
		return math.NaN()
	}
	return ms(h.Quantile(q))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
