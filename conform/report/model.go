package report

import (
	"time"

	"github.com/wcp-project/wcp/specs/transcript"
)

// SchemaVersion is the version of wcp-rules.json's schema. It changes only
// when a field changes meaning or goes away; new fields keep it.
const SchemaVersion = 1

// Run is one conformance run, as every report renders it.
type Run struct {
	Target     string        // what was checked, with no secret (image name, URL, command)
	Started    time.Time     //
	Duration   time.Duration //
	WCPVersion string        // the harness's version (module version or VCS revision)
	Rules      []Rule        // every WCP/1 rule, in PROTOCOL.md's order
	Specs      []Spec        // every spec selected by the filters, in suite order
	Filters    []string      // the --rules patterns, none for all
	Baseline   string        // the baseline file, "" for none
	Stale      []Stale       // baseline entries that no longer match a failure
	ExitCode   int           // what wcp conform exits with (0 passed, 1 failed)
}

// Verdicts of a rule and states of a spec.
const (
	Passed   = "passed"
	Failed   = "failed"
	Expected = "expected" // failed, and listed in the baseline
	Skipped  = "skipped"  // selected but did not run (a spec skipped itself, e.g. MSG-3 on a URL target)
	NotRun   = "not-run"  // a rule the filters left out
)

// Rule is one row of the rule table.
type Rule struct {
	ID       string `json:"rule"`
	Level    string `json:"level"`   // MUST
	Section  int    `json:"section"` // PROTOCOL.md section number
	Link     string `json:"link"`    // PROTOCOL.md section URL
	Summary  string `json:"summary"`
	Verdict  string `json:"result"` // Passed, Failed, Expected, Skipped, NotRun
	Passed   int    `json:"passed"`
	Failed   int    `json:"failed"`   // unexpected failures
	Expected int    `json:"expected"` // failures the baseline lists
	Skipped  int    `json:"skipped"`
}

// Spec is one spec's outcome.
type Spec struct {
	Name     string        // the full text, as baselines name it
	Rules    []string      // its rule IDs
	State    string        // Passed, Failed, Expected or Skipped
	Duration time.Duration //
	// Failure is set when State is Failed or Expected.
	Failure *Failure
	// Reason and Link explain an Expected failure (from the baseline).
	Reason, Link string
}

// Failure is what a failed spec left behind; every text in it is redacted.
type Failure struct {
	Kind       string             // failed, timedout, panicked, interrupted, aborted
	Message    string             //
	Location   string             // file:line where it failed
	Transcript []transcript.Frame // what crossed the wire during the spec
	TargetLog  string             // the server's output during the spec, when the harness could see it
}

// Stale is a baseline entry that is no longer earned: its specs ran and
// none failed, or it names no spec of the suite at all.
type Stale struct {
	Entry  string // the rule ID or spec name it lists
	Reason string // its reason, from the baseline
	Why    string // why it is stale
}
