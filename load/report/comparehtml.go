package report

import (
	"fmt"
	"html"
	"io"
	"strings"
)

// WriteComparisonHTML writes c as one self-contained HTML page (the
// table of WriteComparisonText, styled like WriteHTML's report).
func WriteComparisonHTML(w io.Writer, c *Comparison) error {
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
	fmt.Fprintf(&b, "<title>WCP load comparison %s vs %s</title>", html.EscapeString(c.Base.RunID), html.EscapeString(c.New.RunID))
	b.WriteString(htmlStyle)
	b.WriteString("</head><body>")
	fmt.Fprintf(&b, "<h1>WCP load comparison — base %s vs new %s</h1>", html.EscapeString(orDash(c.Base.RunID)), html.EscapeString(orDash(c.New.RunID)))
	fmt.Fprintf(&b, "<p>Mann-Whitney U test over per-second values, alpha %.3g, at least %d seconds per run, changes under %g%% count as none.</p>", c.Alpha, c.MinSeconds, c.MinEffectPct)
	for _, r := range c.Regressions {
		fmt.Fprintf(&b, `<p class="fail">slower beyond threshold: %s</p>`, html.EscapeString(r))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, `<p class="warn">%s</p>`, html.EscapeString(n))
	}
	b.WriteString("<table><tr><th>metric</th><th>base</th><th>new</th><th>change</th><th>p</th><th>seconds</th><th>verdict</th></tr>")
	for _, ch := range c.Changes {
		cells := changeCells(&ch)
		b.WriteString("<tr>")
		for _, cell := range cells[:6] {
			fmt.Fprintf(&b, "<td>%s</td>", html.EscapeString(cell))
		}
		class := ""
		switch ch.Verdict {
		case Faster:
			class = "pass"
		case Slower:
			class = "fail"
		}
		verdict := cells[6]
		if ch.Note != "" {
			verdict += " (" + ch.Note + ")"
		}
		fmt.Fprintf(&b, `<td class="%s">%s</td></tr>`, class, html.EscapeString(verdict))
	}
	b.WriteString("</table></body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
