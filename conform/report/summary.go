package report

import (
	"fmt"
	"slices"
)

// RunError says that a Run is not one the reports can render: a verdict
// or state none of them knows. It is a bug in whatever built the Run, so
// the writers refuse it rather than count it wrongly.
type RunError struct {
	Field string   // where, as a Go expression: "Specs[3].State"
	Value string   // what it held
	Want  []string // what it may hold
}

func (e *RunError) Error() string {
	return fmt.Sprintf("report: %s is %q, want one of %q", e.Field, e.Value, e.Want)
}

// check refuses a Run with a verdict or state outside the model's.
func check(run Run) error {
	ruleVerdicts := []string{Passed, Failed, Expected, Skipped, NotRun}
	specStates := []string{Passed, Failed, Expected, Skipped}
	for i, r := range run.Rules {
		if !slices.Contains(ruleVerdicts, r.Verdict) {
			return &RunError{Field: fmt.Sprintf("Rules[%d].Verdict", i), Value: r.Verdict, Want: ruleVerdicts}
		}
	}
	for i, s := range run.Specs {
		if !slices.Contains(specStates, s.State) {
			return &RunError{Field: fmt.Sprintf("Specs[%d].State", i), Value: s.State, Want: specStates}
		}
	}
	return nil
}

// Counts is how many rules or specs ended in each verdict.
type Counts struct {
	Total    int `json:"total"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	Expected int `json:"expected"`
	Skipped  int `json:"skipped"`
	NotRun   int `json:"not_run,omitempty"` // rules only
}

func (c *Counts) add(verdict string) {
	c.Total++
	switch verdict {
	case Passed:
		c.Passed++
	case Failed:
		c.Failed++
	case Expected:
		c.Expected++
	case Skipped:
		c.Skipped++
	case NotRun:
		c.NotRun++
	}
}

// ruleCounts counts run's rules by verdict.
func ruleCounts(run Run) Counts {
	var c Counts
	for _, r := range run.Rules {
		c.add(r.Verdict)
	}
	return c
}

// specCounts counts run's specs by state.
func specCounts(run Run) Counts {
	var c Counts
	for _, s := range run.Specs {
		c.add(s.State)
	}
	return c
}

// failing returns the specs that failed, the unexpected failures first and
// then the expected ones, each group in suite order: the order in which a
// reader should look at them.
func failing(run Run) []Spec {
	var out []Spec
	for _, state := range []string{Failed, Expected} {
		for _, s := range run.Specs {
			if s.State == state {
				out = append(out, s)
			}
		}
	}
	return out
}

// passed reports whether run is a passing run: its exit code, which the
// conform command decides, is the verdict every report shows.
func passed(run Run) bool { return run.ExitCode == 0 }
