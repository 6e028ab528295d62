package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

// The JUnit report as a consumer reads it, declared apart from the
// writer's types so that the test checks the format, not the code.
type parsedSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Suites   []parsedSuite `xml:"testsuite"`
}

type parsedSuite struct {
	Name       string           `xml:"name,attr"`
	Tests      int              `xml:"tests,attr"`
	Failures   int              `xml:"failures,attr"`
	Errors     int              `xml:"errors,attr"`
	Skipped    int              `xml:"skipped,attr"`
	Time       string           `xml:"time,attr"`
	Timestamp  string           `xml:"timestamp,attr"`
	Properties []parsedProperty `xml:"properties>property"`
	Cases      []parsedCase     `xml:"testcase"`
}

type parsedProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type parsedCase struct {
	Classname  string           `xml:"classname,attr"`
	Name       string           `xml:"name,attr"`
	Time       string           `xml:"time,attr"`
	Properties []parsedProperty `xml:"properties>property"`
	Failure    *struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",chardata"`
	} `xml:"failure"`
	Skipped *struct {
		Message string `xml:"message,attr"`
		Body    string `xml:",chardata"`
	} `xml:"skipped"`
}

func writeJUnit(t *testing.T, run Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, run); err != nil {
		t.Fatalf("WriteJUnit: %v", err)
	}
	return buf.Bytes()
}

func TestJUnitCountsAndCases(t *testing.T) {
	run := fixtureRun()
	data := writeJUnit(t, run)
	walkXML(t, data, nil)
	checkXMLChars(t, data)

	var doc parsedSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("%d testsuites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	// 8 specs + 2 stale entries; failed: 2 specs + 2 stale; skipped: 2 expected + 1 skipped.
	if s.Name != "WCP/1 conformance" || s.Tests != 10 || s.Failures != 4 || s.Skipped != 3 || s.Errors != 0 {
		t.Errorf("suite %q tests=%d failures=%d skipped=%d errors=%d, want WCP/1 conformance 10 4 3 0", s.Name, s.Tests, s.Failures, s.Skipped, s.Errors)
	}
	if doc.Tests != s.Tests || doc.Failures != s.Failures || doc.Skipped != s.Skipped {
		t.Errorf("testsuites totals %d/%d/%d differ from the suite's", doc.Tests, doc.Failures, doc.Skipped)
	}
	if s.Time != "4.213" || s.Timestamp != "2025-06-01T12:00:00" {
		t.Errorf("time=%q timestamp=%q, want 4.213 and 2025-06-01T12:00:00", s.Time, s.Timestamp)
	}
	props := map[string]string{}
	for _, p := range s.Properties {
		props[p.Name] = p.Value
	}
	if props["target"] != run.Target || props["exit_code"] != "1" || props["baseline"] != run.Baseline || props["wcp_version"] != "v0.4.0" {
		t.Errorf("suite properties %v", props)
	}
	if len(s.Cases) != s.Tests {
		t.Fatalf("%d testcases, want %d", len(s.Cases), s.Tests)
	}

	cases := map[string]parsedCase{}
	for _, c := range s.Cases {
		cases[c.Name] = c
	}
	pass := cases[specPassed]
	if pass.Classname != "OWN-1" || pass.Time != "0.012" || pass.Failure != nil || pass.Skipped != nil {
		t.Errorf("passed spec: %+v", pass)
	}

	fail, ok := cases[specFailed]
	switch {
	case !ok:
		t.Fatalf("no testcase named %q", specFailed)
	case fail.Classname != "OWN-1":
		t.Errorf("classname %q, want the first rule OWN-1", fail.Classname)
	case len(fail.Properties) != 1 || fail.Properties[0].Name != "rules" || fail.Properties[0].Value != "OWN-1 OWN-2":
		t.Errorf("properties %+v, want rules=OWN-1 OWN-2", fail.Properties)
	case fail.Failure == nil:
		t.Fatalf("failed spec has no <failure>")
	}
	if fail.Failure.Type != "failed" || fail.Failure.Message != "POST /workspaces/ws_8fK2/chats as a member: status 201, want 403 forbidden …" {
		t.Errorf("failure type=%q message=%q", fail.Failure.Type, fail.Failure.Message)
	}
	for _, want := range []string{
		"to equal\n    <int>: 403",                          // the whole message
		"at specs/03_own1_creating_chats.go:57",             // the location
		"transcript, 9 frames",                              // the transcript's heading
		"\n  +0.4 ms  #1 → http-request\n      POST",        // a sent frame
		"\n  +8.4 ms  #2 ← websocket\n",                     // a received frame
		"POST /workspaces/ws_8fK2/chats HTTP/1.1\n",         // CRLF made LF
		`42["session",{"session_id":"s_7Tq"`,                // a websocket payload
		"target log:\n  time=2025-06-01T12:00:00.124Z",      // the log, indented
		"␛[33mWARN␛[0m owner check skipped",                 // escapes made visible
		"+1003.7 ms  #2 ← close\n      close 1000 (normal)", // the end of a connection
	} {
		if !strings.Contains(fail.Failure.Body, want) {
			t.Errorf("failure body lacks %q; body:\n%s", want, fail.Failure.Body)
		}
	}

	nastyCase := cases[displayText(specNasty)]
	if nastyCase.Failure == nil || nastyCase.Failure.Type != "panicked" {
		t.Fatalf("nasty spec: %+v", nastyCase)
	}
	for _, want := range []string{"<script>alert('x')</script> ]]> ␀␁␈␋␌␛[31m", "\uFFFD\uFFFD\uFFFD bad\uFFFD", "more not shown", "before them left out"} {
		if !strings.Contains(nastyCase.Failure.Body, want) {
			t.Errorf("nasty failure body lacks %q", want)
		}
	}
	if len(nastyCase.Failure.Message) > 4*junitMessageMax {
		t.Errorf("message attribute of %d bytes, want it bounded", len(nastyCase.Failure.Message))
	}

	exp := cases[specExpected]
	if exp.Failure != nil || exp.Skipped == nil {
		t.Fatalf("expected failure: %+v, want <skipped> only", exp)
	}
	wantMsg := "expected failure (baseline): revocation is polled every 2 s; fix planned for 1.3 https://github.com/example/wcp-server/issues/42"
	if exp.Skipped.Message != wantMsg || !strings.Contains(exp.Skipped.Body, "within 1s") {
		t.Errorf("expected failure skipped message=%q body=%q", exp.Skipped.Message, exp.Skipped.Body)
	}
	if sk := cases[specSkipped]; sk.Skipped == nil || sk.Skipped.Message != "" || sk.Failure != nil || sk.Classname != "MSG-3" {
		t.Errorf("skipped spec: %+v", sk)
	}

	var stale []parsedCase
	for _, c := range s.Cases {
		if c.Classname == "baseline" {
			stale = append(stale, c)
		}
	}
	if len(stale) != 2 {
		t.Fatalf("%d stale testcases, want 2", len(stale))
	}
	if stale[0].Name != "stale baseline entry: EXP-4" || stale[0].Failure == nil || stale[0].Failure.Type != "stale-baseline" ||
		!strings.Contains(stale[0].Failure.Body, "Remove the entry from testdata/wcp-baseline.yaml") ||
		!strings.Contains(stale[0].Failure.Body, "(clock skew on CI)") {
		t.Errorf("stale testcase: %+v", stale[0])
	}
}

func TestJUnitEmptyRun(t *testing.T) {
	data := writeJUnit(t, Run{})
	walkXML(t, data, nil)
	var doc parsedSuites
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Suites) != 1 || doc.Suites[0].Tests != 0 || doc.Suites[0].Timestamp != "" {
		t.Errorf("empty run: %+v", doc)
	}
}

func TestWritersRefuseUnknownStates(t *testing.T) {
	bad := fixtureRun()
	bad.Specs[2].State = "pased"
	badRule := fixtureRun()
	badRule.Rules[0].Verdict = ""
	writers := map[string]func(*bytes.Buffer, Run) error{
		"junit": func(b *bytes.Buffer, r Run) error { return WriteJUnit(b, r) },
		"json":  func(b *bytes.Buffer, r Run) error { return WriteRulesJSON(b, r) },
		"html":  func(b *bytes.Buffer, r Run) error { return WriteHTML(b, r) },
	}
	for name, write := range writers {
		for _, c := range []struct {
			run   Run
			field string
		}{{bad, "Specs[2].State"}, {badRule, "Rules[0].Verdict"}} {
			var buf bytes.Buffer
			err := write(&buf, c.run)
			var re *RunError
			if !errors.As(err, &re) || re.Field != c.field {
				t.Errorf("%s: error %v, want a *RunError about %s", name, err, c.field)
			}
			if buf.Len() != 0 {
				t.Errorf("%s wrote %d bytes of a run it refused", name, buf.Len())
			}
		}
	}
}

// failingWriter fails every write, as a full disk does.
type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestWritersReportWriteErrors(t *testing.T) {
	run := fixtureRun()
	errDiskFull := errors.New("disk full")
	w := failingWriter{errDiskFull}
	for name, err := range map[string]error{
		"junit": WriteJUnit(w, run),
		"json":  WriteRulesJSON(w, run),
		"html":  WriteHTML(w, run),
	} {
		if !errors.Is(err, errDiskFull) {
			t.Errorf("%s: error %v, want one wrapping the write's", name, err)
		}
	}
}
