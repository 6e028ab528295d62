package report

import (
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/transcript"
)

// Report entry names the harness attaches to failed specs.
const (
	EntryTranscript = "wcp transcript" // []transcript.Frame
	EntryTargetLog  = "target output"  // the server's output during the spec
)

// SpecFromGinkgo turns Ginkgo's report of one spec into the model, before
// any baseline is applied. rules are its rule IDs.
func SpecFromGinkgo(sr types.SpecReport, rules []string) Spec {
	s := Spec{Name: sr.FullText(), Rules: rules, Duration: sr.RunTime}
	switch {
	case sr.State == types.SpecStatePassed:
		s.State = Passed
	case sr.State.Is(types.SpecStateFailureStates):
		s.State = Failed
		s.Failure = failureOf(sr)
	default:
		s.State = Skipped
	}
	return s
}

// RuleLabels are the labels of sr that name WCP/1 rules, in its order.
func RuleLabels(sr types.SpecReport) []string {
	var out []string
	for _, l := range sr.Labels() {
		if _, ok := wcp.RuleByID(l); ok {
			out = append(out, l)
		}
	}
	return out
}

// failureOf collects what a failed spec left: Ginkgo's failure (and any
// failure in its cleanup), the transcript and the target's output.
func failureOf(sr types.SpecReport) *Failure {
	f := &Failure{
		Kind:     sr.State.String(),
		Message:  strings.TrimSpace(sr.Failure.Message),
		Location: sr.Failure.Location.String(),
	}
	if sr.Failure.ForwardedPanic != "" {
		f.Message += "\npanic: " + sr.Failure.ForwardedPanic
	}
	for _, af := range sr.AdditionalFailures {
		f.Message += "\nalso: " + strings.TrimSpace(af.Failure.Message) + " (" + af.Failure.Location.String() + ")"
	}
	for _, e := range sr.ReportEntries {
		switch e.Name {
		case EntryTranscript:
			if frames, ok := transcript.FromReportEntry(e); ok {
				f.Transcript = frames
			}
		case EntryTargetLog:
			f.TargetLog = e.StringRepresentation()
		}
	}
	return f
}

// Tally folds spec outcomes into the rule table, one row per WCP/1 rule: a
// rule failed if any of its specs failed unexpectedly; else expected if
// any failure the baseline lists; else passed if any passed; else skipped
// when selected, not-run when the filters left it out.
func Tally(specs []Spec, selected func(rule string) bool, link func(wcp.Rule) string) []Rule {
	var out []Rule
	for _, r := range wcp.Rules() {
		row := Rule{ID: r.ID, Level: r.Level, Section: r.Section, Link: link(r), Summary: r.Summary}
		for _, s := range specs {
			if !slices.Contains(s.Rules, r.ID) {
				continue
			}
			switch s.State {
			case Passed:
				row.Passed++
			case Failed:
				row.Failed++
			case Expected:
				row.Expected++
			default:
				row.Skipped++
			}
		}
		switch {
		case row.Failed > 0:
			row.Verdict = Failed
		case row.Expected > 0:
			row.Verdict = Expected
		case row.Passed > 0:
			row.Verdict = Passed
		case !selected(r.ID):
			row.Verdict = NotRun
		default:
			row.Verdict = Skipped
		}
		out = append(out, row)
	}
	return out
}

// ProtocolLink is the default link of a rule: its section of PROTOCOL.md
// in the project's repository.
func ProtocolLink(r wcp.Rule) string {
	return "https://github.com/wcp-project/wcp/blob/main/PROTOCOL.md#" + r.Anchor
}
