package report

import (
	"bytes"
	"testing"
)

// FuzzReportsWellFormed puts one text into every text field of a run: the
// JUnit and HTML reports must stay well-formed XML 1.0 whatever it holds,
// and wcp-rules.json must read back. The seeds run with every go test.
func FuzzReportsWellFormed(f *testing.F) {
	var all []byte
	for b := 0; b < 256; b++ {
		all = append(all, byte(b))
	}
	for _, seed := range []string{string(all), nasty, "]]>]]]]>>", "\r\r\n\r", "\uFFFF\uFFFE\u202e", "--><!--", ""} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		run := hostileRun(text)
		junit := writeJUnit(t, run)
		walkXML(t, junit, nil)
		checkXMLChars(t, junit)
		page := writeHTML(t, run)
		walkXML(t, page, nil)
		checkXMLChars(t, page)
		if _, err := ReadRulesJSON(bytes.NewReader(writeRulesJSON(t, run))); err != nil {
			t.Fatalf("ReadRulesJSON: %v", err)
		}
	})
}

// hostileRun is a run with text in every text field of the model.
func hostileRun(text string) Run {
	f := &Failure{Kind: text, Message: text, Location: text, TargetLog: text}
	run := Run{
		Target: text, WCPVersion: text, Filters: []string{text}, Baseline: text,
		Rules: []Rule{{ID: text, Level: text, Link: text, Summary: text, Verdict: Failed}},
		Specs: []Spec{
			{Name: text, Rules: []string{text, text}, State: Failed, Failure: f},
			{Name: text, Rules: []string{text}, State: Expected, Failure: f, Reason: text, Link: text},
			{Name: text, State: Skipped},
			{Name: text, State: Failed}, // no Failure recorded
		},
		Stale:    []Stale{{Entry: text, Reason: text, Why: text}},
		ExitCode: 1,
	}
	f.Transcript = append(f.Transcript, fixtureRun().Specs[1].Failure.Transcript...)
	f.Transcript[0].Text, f.Transcript[1].Kind = text, text
	return run
}
