package conform

import (
	"fmt"

	"github.com/wcp-project/wcp/conform/report"
)

// applyBaseline marks the failures b lists as expected and returns the
// entries that are stale: entries whose specs ran and none failed, and
// entries that name no spec of the suite at all. Entries whose specs the
// filters left out are neither: nothing was learned about them.
func applyBaseline(b *Baseline, all []planned, specs []report.Spec) []report.Stale {
	if b == nil {
		return nil
	}
	byName := map[string]planned{}
	for _, p := range all {
		byName[p.Name] = p
	}
	for i, s := range specs {
		if s.State != report.Failed {
			continue
		}
		if e, ok := b.entryFor(byName[s.Name]); ok {
			specs[i].State = report.Expected
			specs[i].Reason, specs[i].Link = e.Reason, e.Link
		}
	}
	var stale []report.Stale
	for _, e := range b.Expected {
		inSuite := false
		for _, p := range all {
			inSuite = inSuite || e.matches(p)
		}
		if !inSuite {
			stale = append(stale, report.Stale{Entry: e.Name(), Reason: e.Reason, Why: "it names no spec of this suite (renamed or removed?): delete the entry"})
			continue
		}
		ran, failed := 0, 0
		for _, s := range specs {
			if !e.matches(byName[s.Name]) {
				continue
			}
			switch s.State {
			case report.Passed:
				ran++
			case report.Expected, report.Failed:
				ran++
				failed++
			}
		}
		if ran > 0 && failed == 0 {
			stale = append(stale, report.Stale{Entry: e.Name(), Reason: e.Reason,
				Why: fmt.Sprintf("its %d spec(s) ran and passed: the failure is fixed, delete the entry", ran)})
		}
	}
	return stale
}

// exitCode is the verdict of a run that produced one.
func exitCode(specs []report.Spec, stale []report.Stale) int {
	if len(stale) > 0 {
		return ExitFailed
	}
	for _, s := range specs {
		if s.State == report.Failed {
			return ExitFailed
		}
	}
	return ExitPassed
}
