package harness

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/wcp-project/wcp/conform/report"
)

// ruleRun folds a suite's report into the model the reports of wcp
// conform use (package conform/report), so that the rule table a Ginkgo
// run prints and writes is the one wcp conform writes: same verdicts, same
// versioned wcp-rules.json. A plain Ginkgo run has no baseline; its exit
// code is 1 when a rule failed.
func ruleRun(r Report, cfg Config) report.Run {
	run := report.Run{Target: cfg.String(), Started: r.StartTime, Duration: r.RunTime, WCPVersion: "ginkgo"}
	run.Filters = nil
	if lf := r.SuiteConfig.LabelFilter; lf != "" {
		run.Filters = []string{lf}
	}
	ran := map[string]bool{}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		s := report.SpecFromGinkgo(sr, report.RuleLabels(sr))
		if s.State == report.Skipped && sr.State == types.SpecStateSkipped && !isRuntimeSkip(sr) {
			continue // filtered out, not run
		}
		for _, id := range s.Rules {
			ran[id] = true
		}
		run.Specs = append(run.Specs, s)
		if s.State == report.Failed {
			run.ExitCode = 1
		}
	}
	// A rule none of whose specs was selected is "not run"; one whose
	// specs were selected but skipped themselves is "skipped".
	run.Rules = report.Tally(run.Specs, func(id string) bool { return ran[id] }, report.ProtocolLink)
	return run
}

// isRuntimeSkip says whether a skipped spec skipped itself (Skip, e.g.
// MSG-3 on a URL target) rather than being left out by a filter.
func isRuntimeSkip(sr types.SpecReport) bool {
	return sr.Failure.Message != ""
}

// reportDir is where wcp-rules.json goes: WCP_REPORT_DIR when set, else
// beside Ginkgo's own JSON or JUnit report when one is asked for, else ""
// (no file: a plain `go test` run only prints the table, and leaves nothing
// in the source tree).
//
// With the ginkgo CLI, "beside" holds for --output-dir and for absolute
// report paths; a relative path without --output-dir is resolved by the
// CLI against the directory it was started in, which the suite cannot see,
// so the file then lands in the package directory.
func reportDir() string {
	if d := os.Getenv("WCP_REPORT_DIR"); d != "" {
		return d
	}
	_, rc := GinkgoConfiguration()
	for _, p := range []string{rc.JSONReport, rc.JUnitReport} {
		if p != "" {
			return filepath.Dir(undoCLIJoin(p))
		}
	}
	return ""
}

// undoCLIJoin repairs a report path the ginkgo CLI mangled: without
// --output-dir it joins the package directory with the flag's value even
// when that value is absolute (/pkg/dir + /tmp/out/r.json), then moves its
// own report to the right place afterwards. A path under the working
// directory whose remainder names an existing absolute directory is taken
// to be such a join.
func undoCLIJoin(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	rel, err := filepath.Rel(wd, p)
	if err != nil || strings.HasPrefix(rel, "..") || filepath.Dir(rel) == "." {
		return p
	}
	abs := string(filepath.Separator) + rel
	if fi, err := os.Stat(filepath.Dir(abs)); err == nil && fi.IsDir() {
		return abs
	}
	return p
}

// ReportRules prints the rule table of r under a heading naming the target
// (cfg, or cfgErr when the configuration was refused) and writes it to
// wcp-rules.json in reportDir, when there is one. It is the body of the
// suite's ReportAfterSuite, which runs on process 1 only.
func ReportRules(r Report, cfg Config, cfgErr error) {
	run := ruleRun(r, cfg)
	heading := cfg.String()
	if cfgErr != nil {
		heading = "misconfigured: " + cfgErr.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nWCP/1 rules (%s)\n", heading)
	for _, rr := range run.Rules {
		fmt.Fprintf(&b, "  %-6s %-7s  %d passed, %d failed, %d skipped\n", rr.ID, rr.Verdict, rr.Passed, rr.Failed, rr.Skipped)
	}
	fmt.Fprint(os.Stdout, b.String())

	dir := reportDir()
	if dir == "" {
		return
	}
	var buf bytes.Buffer
	err := report.WriteRulesJSON(&buf, run)
	if err == nil {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, "wcp-rules.json"), buf.Bytes(), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "write wcp-rules.json: %v\n", err)
	}
}
