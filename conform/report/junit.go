package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// The JUnit report follows the format most CI systems read (Jenkins,
// GitLab, GitHub test reporters, Surefire's schema): one <testsuites>
// holding one <testsuite> "WCP/1 conformance", one <testcase> a spec.
//
//   - classname is the spec's first rule ID, so CI groups the specs by
//     rule ("API" for a spec that names none: those check the HTTP API of
//     PROTOCOL.md §3 beyond its numbered rules). A spec of several
//     rules lists them all in a "rules" property of its testcase; its name
//     needs no change, as every spec's title already starts with its rule
//     IDs.
//   - A failed spec has a <failure> whose message attribute is the first
//     line of its message and whose type is the failure's kind (failed,
//     timedout, panicked, ...); the body is the whole story in plain text:
//     message, location, transcript, the end of the target's log.
//   - An expected failure (the baseline lists it) is <skipped> with the
//     message "expected failure (baseline): <reason> <link>" and the
//     failure's message and location in the body: CI shows it, and does
//     not fail on it.
//   - A skipped spec is a bare <skipped/>.
//   - Each stale baseline entry is one more failing testcase of classname
//     "baseline", so CI shows why a run whose specs all passed failed.
//
// Every text goes through displayText first: XML 1.0 cannot carry some
// control characters even escaped, and a server's output may hold any.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr,omitempty"`
	Properties *junitProperties `xml:"properties"`
	Cases      []junitCase      `xml:"testcase"`
}

type junitProperties struct {
	Property []junitProperty `xml:"property"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Classname  string           `xml:"classname,attr"`
	Name       string           `xml:"name,attr"`
	Time       string           `xml:"time,attr"`
	Properties *junitProperties `xml:"properties,omitempty"`
	Failure    *junitFailure    `xml:"failure,omitempty"`
	Skipped    *junitSkipped    `xml:"skipped,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Body    string `xml:",cdata"` // CDATA keeps HTTP and JSON readable in the raw file
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
	Body    string `xml:",cdata"`
}

const (
	junitSuiteName = "WCP/1 conformance"
	// junitTimestamp is the suite's timestamp in UTC: the JUnit schema's
	// timestamp has no zone.
	junitTimestamp = "2006-01-02T15:04:05"
	// junitMessageMax bounds the message attribute, which CI shows on one
	// line; the body has the whole message.
	junitMessageMax = 300
	// noRule is the classname of a spec that names no rule.
	noRule = "API"
)

// WriteJUnit writes run as a JUnit XML report (see the comment above
// junitSuites for how specs, expected failures and stale baseline entries
// map onto JUnit).
func WriteJUnit(w io.Writer, run Run) error {
	if err := check(run); err != nil {
		return err
	}
	suite := junitSuite{
		Name:       junitSuiteName,
		Time:       secondsAttr(seconds(run.Duration)),
		Properties: &junitProperties{Property: runProperties(run)},
	}
	if !run.Started.IsZero() {
		suite.Timestamp = run.Started.UTC().Format(junitTimestamp)
	}
	for _, s := range run.Specs {
		suite.Cases = append(suite.Cases, specCase(s))
		switch s.State {
		case Failed:
			suite.Failures++
		case Expected, Skipped:
			suite.Skipped++
		}
	}
	for _, st := range run.Stale {
		suite.Cases = append(suite.Cases, staleCase(st, run.Baseline))
		suite.Failures++
	}
	suite.Tests = len(suite.Cases)
	doc := junitSuites{
		Name:     junitSuiteName,
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Skipped:  suite.Skipped,
		Time:     suite.Time,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	return nil
}

// runProperties are the suite's properties: what was checked, how, and
// what the run exits with.
func runProperties(run Run) []junitProperty {
	filters := "all rules"
	if len(run.Filters) > 0 {
		filters = strings.Join(run.Filters, " ")
	}
	baseline := run.Baseline
	if baseline == "" {
		baseline = "none"
	}
	props := []junitProperty{
		{"target", run.Target},
		{"wcp_version", run.WCPVersion},
		{"filters", filters},
		{"baseline", baseline},
		{"exit_code", strconv.Itoa(run.ExitCode)},
	}
	if !run.Started.IsZero() {
		props = append(props, junitProperty{"started", run.Started.UTC().Format(rfc3339Millis)})
	}
	for i := range props {
		props[i].Value = displayText(props[i].Value)
	}
	return props
}

// specCase is one spec's testcase.
func specCase(s Spec) junitCase {
	c := junitCase{
		Classname: noRule,
		Name:      displayText(s.Name),
		Time:      secondsAttr(seconds(s.Duration)),
	}
	if len(s.Rules) > 0 {
		c.Classname = displayText(s.Rules[0])
	}
	if len(s.Rules) > 1 {
		c.Properties = &junitProperties{Property: []junitProperty{
			{Name: "rules", Value: displayText(strings.Join(s.Rules, " "))},
		}}
	}
	switch s.State {
	case Failed:
		kind, msg := "failed", ""
		if s.Failure != nil {
			kind, msg = s.Failure.Kind, s.Failure.Message
		}
		c.Failure = &junitFailure{
			Message: firstLine(displayText(msg), junitMessageMax),
			Type:    displayText(kind),
			Body:    failureText(s.Failure),
		}
	case Expected:
		c.Skipped = &junitSkipped{
			Message: displayText(strings.TrimSpace("expected failure (baseline): " + s.Reason + " " + s.Link)),
			Body:    expectedText(s.Failure),
		}
	case Skipped:
		c.Skipped = &junitSkipped{}
	}
	return c
}

// expectedText is the body of an expected failure: its message and
// location, enough to see it still fails the known way.
func expectedText(f *Failure) string {
	if f == nil {
		return ""
	}
	text := displayText(f.Message)
	if f.Location != "" {
		text += "\n\nat " + displayText(f.Location)
	}
	return text
}

// staleCase is the failing testcase of a stale baseline entry.
func staleCase(st Stale, baseline string) junitCase {
	if baseline == "" {
		baseline = "the baseline"
	}
	body := fmt.Sprintf("The baseline lists %q as an expected failure", st.Entry)
	if st.Reason != "" {
		body += fmt.Sprintf(" (%s)", st.Reason)
	}
	body += fmt.Sprintf(". It is stale: %s.\nRemove the entry from %s, so that the baseline excuses only failures that still happen.", strings.TrimSuffix(st.Why, "."), baseline)
	return junitCase{
		Classname: "baseline",
		Name:      displayText("stale baseline entry: " + st.Entry),
		Time:      secondsAttr(0),
		Failure: &junitFailure{
			Message: firstLine(displayText(st.Why), junitMessageMax),
			Type:    "stale-baseline",
			Body:    displayText(body),
		},
	}
}

// secondsAttr formats seconds for a time attribute, with a dot whatever
// the locale and without an exponent.
func secondsAttr(s float64) string {
	return strconv.FormatFloat(s, 'f', 3, 64)
}
