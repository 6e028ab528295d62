package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteComparisonText writes c as a table: one line per metric with base,
// new, the change, the p value and the verdict, then the notes.
func WriteComparisonText(w io.Writer, c *Comparison) error {
	var b strings.Builder
	fmt.Fprintf(&b, "base %s  vs  new %s   (Mann-Whitney U over per-second values, alpha %.3g, minimum effect %g%%)\n\n", orDash(c.Base.RunID), orDash(c.New.RunID), c.Alpha, c.MinEffectPct)
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tbase\tnew\tchange\tp\tseconds\tverdict")
	for _, ch := range c.Changes {
		cells := changeCells(&ch)
		verdict := cells[6]
		if ch.Note != "" {
			verdict += " (" + ch.Note + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cells[0], cells[1], cells[2], cells[3], cells[4], cells[5], verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// changeCells renders a change as the table's columns: metric, base,
// new, change, p, seconds, verdict.
func changeCells(ch *Change) [7]string {
	delta, p, secs := "~", "-", "-"
	if ch.DeltaPct != nil {
		delta = fmt.Sprintf("%+.1f%%", *ch.DeltaPct)
	}
	if ch.P != nil {
		p = fmt.Sprintf("%.3f", *ch.P)
	}
	if ch.P != nil || ch.BaseSeconds+ch.NewSeconds > 0 {
		secs = fmt.Sprintf("%d/%d", ch.BaseSeconds, ch.NewSeconds)
	}
	return [7]string{ch.Metric, fmtChangeValue(ch, ch.Base), fmtChangeValue(ch, ch.New), delta, p, secs, string(ch.Verdict)}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func fmtChangeValue(ch *Change, v float64) string {
	if !ch.LowerIsBetter {
		return fmt.Sprintf("%.1f/s", v)
	}
	if ch.Metric == "cpu_per_msg_us" {
		return fmt.Sprintf("%.1fµs", v)
	}
	return fmtDur(time.Duration(v * float64(time.Microsecond)))
}

// EncodeComparison writes c as indented JSON ("version": 1).
func EncodeComparison(w io.Writer, c *Comparison) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("encode comparison: %w", err)
	}
	return nil
}
