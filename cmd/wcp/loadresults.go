package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wcp-project/wcp/load/report"
)

// The commands that read results ('wcp load merge', 'wcp load report')
// and what they share with 'wcp load': they use load/report alone.

// resultFiles expands directory arguments into the *.json files in them.
func resultFiles(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no .json results in this directory", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

func readResult(path string) (*report.Result, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	r, err := report.Decode(fh)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

func newLoadMergeCmd(stdout io.Writer) *cobra.Command {
	var out, threshold string
	cmd := &cobra.Command{
		Use:   "merge RESULT.json|DIR... -o ALL.json",
		Short: "Combine the JSON results of several shards (or runs) into one",
		Long: `Merge adds up the results of the shards of one run (wcp load --shard i/n):
counters and HdrHistograms add, per-second series add second by second by
wall clock, rates are computed over the union of the sending windows, and
the merged run is valid only if every shard was. Because a shard owns its
chats whole, the merged delivery accounting is exact. The same shard of the
same run given twice is an error. A directory argument stands for the *.json
files in it.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ths, err := thresholdFlag(threshold)
			if err != nil {
				return err
			}
			files, err := resultFiles(args)
			if err != nil {
				return err
			}
			var rs []*report.Result
			for _, a := range files {
				r, err := readResult(a)
				if err != nil {
					return err
				}
				rs = append(rs, r)
			}
			m, err := report.Merge(rs...)
			if err != nil {
				return err
			}
			if out != "" {
				if err := writeFile(out, func(w io.Writer) error { return report.Encode(w, m) }); err != nil {
					return err
				}
			} else if err := report.Encode(stdout, m); err != nil {
				return err
			}
			if out != "" {
				if err := report.WriteText(stdout, m); err != nil {
					return err
				}
			}
			return verdict(m, ths, io.Discard)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write the merged JSON here (default: standard output, without the summary)")
	cmd.Flags().StringVar(&threshold, "threshold", "", "pass/fail conditions on the merged result (as for wcp load); a broken one exits 2")
	return cmd
}

func newLoadReportCmd(stdout io.Writer) *cobra.Command {
	var htmlOut, threshold string
	cmd := &cobra.Command{
		Use:   "report RESULT.json [--html OUT.html]",
		Short: "Print the summary of a JSON result and optionally write an HTML report",
		Long: `Report prints the summary table of a result file written by 'wcp load --out'
or 'wcp load merge'. With --html it also writes one self-contained HTML file
with charts (throughput and latency percentiles over time, latency by
percentile) drawn as inline SVG: no scripts, no fonts, no links, so it opens
with no network.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ths, err := thresholdFlag(threshold)
			if err != nil {
				return err
			}
			r, err := readResult(args[0])
			if err != nil {
				return err
			}
			if err := report.WriteText(stdout, r); err != nil {
				return err
			}
			if htmlOut != "" {
				if err := writeFile(htmlOut, func(w io.Writer) error { return report.WriteHTML(w, r) }); err != nil {
					return err
				}
			}
			return verdict(r, ths, stdout)
		},
	}
	cmd.Flags().StringVar(&htmlOut, "html", "", "write a self-contained HTML report here")
	cmd.Flags().StringVar(&threshold, "threshold", "", "pass/fail conditions (as for wcp load); a broken one exits 2")
	return cmd
}

// verdict turns failures and broken thresholds into exit status 2.
func verdict(res *report.Result, ths []report.Threshold, stdout io.Writer) error {
	var problems []string
	if res.Failed() {
		problems = append(problems, res.Failures...)
	}
	for _, b := range report.Broken(res, ths) {
		problems = append(problems, "threshold "+b)
	}
	if len(ths) > 0 && len(problems) == 0 {
		fmt.Fprintf(stdout, "thresholds: all %d hold\n", len(ths))
	}
	if len(problems) > 0 {
		return &exitError{code: 2, err: fmt.Errorf("load: %s", strings.Join(problems, "; "))}
	}
	return nil
}

// writeFile writes path (making its directory, so shards can write into
// a fresh shared volume) through fill.
func writeFile(path string, fill func(io.Writer) error) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	fh, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fill(fh); err != nil {
		fh.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// thresholdFlag parses --threshold; an empty flag sets no thresholds.
func thresholdFlag(s string) ([]report.Threshold, error) {
	if s == "" {
		return nil, nil
	}
	ths, err := report.ParseThresholds(s)
	if err != nil {
		return nil, fmt.Errorf("--threshold: %w", err)
	}
	return ths, nil
}
