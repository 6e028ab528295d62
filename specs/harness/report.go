package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
)

// ruleIDs are every rule of WCP/1, in the protocol document's order; the
// table lists each one even when no spec of it ran.
var ruleIDs = []string{
	"OWN-1", "OWN-2", "OWN-3", "OWN-4", "OWN-5",
	"EXP-1", "EXP-2", "EXP-3", "EXP-4",
	"CON-1", "CON-2", "CON-3", "CON-4", "CON-5",
	"MSG-1", "MSG-2", "MSG-3", "MSG-4", "MSG-5",
	"ROB-1", "ROB-2",
}

// ruleResult is one row of wcp-rules.json.
type ruleResult struct {
	Rule    string   `json:"rule"`
	Result  string   `json:"result"` // passed, failed or skipped
	Passed  int      `json:"passed"`
	Failed  int      `json:"failed"`
	Skipped int      `json:"skipped"`
	Failing []string `json:"failing,omitempty"` // titles of the failed specs
}

// ruleTable folds spec results into one verdict per rule: failed if any of
// its specs failed, passed if some passed and none failed, else skipped.
func ruleTable(r Report) []ruleResult {
	byRule := map[string]*ruleResult{}
	for _, id := range ruleIDs {
		byRule[id] = &ruleResult{Rule: id}
	}
	for _, sr := range r.SpecReports {
		if sr.LeafNodeType != types.NodeTypeIt {
			continue
		}
		for _, l := range sr.Labels() {
			rr, ok := byRule[l]
			if !ok {
				continue
			}
			switch {
			case sr.State.Is(types.SpecStateFailureStates):
				rr.Failed++
				rr.Failing = append(rr.Failing, sr.FullText())
			case sr.State == types.SpecStatePassed:
				rr.Passed++
			default:
				rr.Skipped++
			}
		}
	}
	out := make([]ruleResult, 0, len(ruleIDs))
	for _, id := range ruleIDs {
		rr := byRule[id]
		switch {
		case rr.Failed > 0:
			rr.Result = "failed"
		case rr.Passed > 0:
			rr.Result = "passed"
		default:
			rr.Result = "skipped"
		}
		out = append(out, *rr)
	}
	return out
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
	rows := ruleTable(r)
	heading := cfg.String()
	if cfgErr != nil {
		heading = "misconfigured: " + cfgErr.Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\nWCP/1 rules (%s)\n", heading)
	for _, rr := range rows {
		fmt.Fprintf(&b, "  %-6s %-7s  %d passed, %d failed, %d skipped\n", rr.Rule, rr.Result, rr.Passed, rr.Failed, rr.Skipped)
	}
	fmt.Fprint(os.Stdout, b.String())

	dir := reportDir()
	if dir == "" {
		return
	}
	data, err := json.MarshalIndent(rows, "", "  ")
	if err == nil {
		if err = os.MkdirAll(dir, 0o755); err == nil {
			err = os.WriteFile(filepath.Join(dir, "wcp-rules.json"), append(data, '\n'), 0o644)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "write wcp-rules.json: %v\n", err)
	}
}
