package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wcp-project/wcp/load/report"
)

const compareLong = `Compare tells whether NEW is slower than BASE, the way benchstat gates Go
benchmarks. Both are JSON results of 'wcp load --out' or 'wcp load merge'.

For every metric it prints the whole-run value of each run, the change in
percent, a p value and a verdict: faster, slower or no significant change.
The p value comes from the Mann-Whitney U test (two-sided) of the run's
per-second values (the acks of each second; the p50 or p99 of each
second's latencies): it compares ranks, so it assumes no distribution and
one stalled second cannot dominate it. A p value below --alpha gives a
verdict; lower latency and higher throughput are faster. Rates leave out
the first and last seconds (cut short by the start and end of sending).

A change smaller than --min-effect (5%% by default) is no significant
change whatever its p value: the test takes a run's seconds as independent
samples, but they share one machine's state for the whole run, so two runs
of the same build differ by a few percent in every second alike, which
the test alone would call significant. Runs on a shared machine that
change more than that between runs need a larger --min-effect, or base and
new run at the same time.

A metric gets no verdict, and says why, when either run has fewer than
--min-seconds seconds with data (run longer: 10 s or more is a good
habit) or when it is measured once per run (connect p99, CPU per message,
whose change is shown without a test).

Metrics: %s.

--threshold 'ack_p99:+10%%,acks_per_s:-5%%' fails the comparison when a
metric is significantly slower and worse by more than the given
percentage (a latency may rise, a rate may drop by at most that much).

Exit status: 0 when no threshold is broken (whatever the verdicts); 2
when one is; 1 on any other error (unreadable file, not a result, results
of different versions, a malformed threshold).`

const compareExample = `  wcp load compare base.json new.json
  wcp load compare base.json new.json --threshold 'ack_p99:+10%,acks_per_s:-5%'
  wcp load compare base.json new.json --format json > cmp.json
  wcp load compare base.json new.json --json cmp.json --html cmp.html`

func newLoadCompareCmd(stdout io.Writer) *cobra.Command {
	var jsonOut, htmlOut, format, threshold string
	var alpha, minEffect float64
	var minSeconds int
	cmd := &cobra.Command{
		Use:     "compare BASE.json NEW.json",
		Short:   "Tell whether NEW is significantly faster or slower than BASE, metric by metric",
		Long:    fmt.Sprintf(compareLong, strings.Join(report.CompareMetrics(), ", ")),
		Example: compareExample,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if format != "text" && format != "json" {
				return fmt.Errorf("--format %q: want text or json", format)
			}
			if alpha <= 0 || alpha >= 1 {
				return fmt.Errorf("--alpha %g: want a level between 0 and 1", alpha)
			}
			if minSeconds < 2 {
				return fmt.Errorf("--min-seconds %d: want at least 2", minSeconds)
			}
			if minEffect < 0 {
				return fmt.Errorf("--min-effect %g: want a percentage, 0 or more", minEffect)
			}
			if minEffect == 0 {
				minEffect = -1 // report.CompareOptions: negative is none, zero the default
			}
			var ths []report.ChangeThreshold
			if threshold != "" {
				var err error
				if ths, err = report.ParseChangeThresholds(threshold); err != nil {
					return fmt.Errorf("--threshold: %w", err)
				}
			}
			base, err := readResult(args[0])
			if err != nil {
				return err
			}
			next, err := readResult(args[1])
			if err != nil {
				return err
			}
			c, err := report.Compare(base, next, report.CompareOptions{Alpha: alpha, MinSeconds: minSeconds, MinEffectPct: minEffect})
			if err != nil {
				return err
			}
			broken := c.CheckThresholds(ths)
			if jsonOut != "" {
				if err := writeFile(jsonOut, func(w io.Writer) error { return report.EncodeComparison(w, c) }); err != nil {
					return err
				}
			}
			if htmlOut != "" {
				if err := writeFile(htmlOut, func(w io.Writer) error { return report.WriteComparisonHTML(w, c) }); err != nil {
					return err
				}
			}
			if format == "json" {
				err = report.EncodeComparison(stdout, c)
			} else {
				err = report.WriteComparisonText(stdout, c)
				if err == nil && len(ths) > 0 && len(broken) == 0 {
					_, err = fmt.Fprintf(stdout, "thresholds: all %d hold\n", len(ths))
				}
			}
			if err != nil {
				return err
			}
			if len(broken) > 0 {
				return &exitError{code: 2, err: errors.New("compare: slower beyond threshold: " + strings.Join(broken, "; "))}
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&threshold, "threshold", "", "fail (exit 2) when a metric is significantly slower by more than METRIC:±N%, e.g. 'ack_p99:+10%,acks_per_s:-5%'")
	fl.StringVar(&format, "format", "text", "what to print: text (a table) or json (the comparison, \"version\": 1)")
	fl.StringVar(&jsonOut, "json", "", "also write the comparison as JSON to this file")
	fl.StringVar(&htmlOut, "html", "", "also write the comparison as a self-contained HTML page to this file")
	fl.Float64Var(&alpha, "alpha", report.DefaultAlpha, "significance level: a p value below it gives a faster or slower verdict")
	fl.IntVar(&minSeconds, "min-seconds", report.DefaultMinSeconds, "fewest seconds with data each run needs for a verdict")
	fl.Float64Var(&minEffect, "min-effect", report.DefaultMinEffectPct, "smallest change in percent that counts as faster or slower, whatever the p value (0: any significant change)")
	return cmd
}
