package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp/specs/transcript"
)

func writeHTML(t *testing.T, run Run) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteHTML(&buf, run); err != nil {
		t.Fatalf("WriteHTML: %v", err)
	}
	return buf.Bytes()
}

// The page is written as well-formed XML (void elements closed, every
// attribute quoted and valued), so a strict XML parser checks its
// structure: any text that escaped escaping would unbalance it.
func TestHTMLIsWellFormed(t *testing.T) {
	data := writeHTML(t, fixtureRun())
	walkXML(t, data, nil)
	checkXMLChars(t, data)
}

// TestHTMLLoadsNothing checks that the page can fetch nothing, run
// nothing and hide nothing: no element that loads or runs, no attribute
// that does, links only to http(s) or within the page, and a policy that
// forbids any load anyway.
func TestHTMLLoadsNothing(t *testing.T) {
	data := writeHTML(t, fixtureRun())
	forbidden := map[string]bool{"script": true, "link": true, "img": true, "iframe": true, "object": true,
		"embed": true, "video": true, "audio": true, "source": true, "frame": true, "base": true, "form": true, "svg": true}
	csp := ""
	walkXML(t, data, func(se xml.StartElement) {
		if forbidden[se.Name.Local] {
			t.Errorf("<%s> element in the page", se.Name.Local)
		}
		for _, a := range se.Attr {
			name := strings.ToLower(a.Name.Local)
			switch {
			case name == "src" || name == "srcset" || name == "background" || name == "action" || name == "formaction":
				t.Errorf("<%s %s=%q>", se.Name.Local, name, a.Value)
			case strings.HasPrefix(name, "on"):
				t.Errorf("<%s> has an event handler %s", se.Name.Local, name)
			case name == "href" && !(strings.HasPrefix(a.Value, "#") || strings.HasPrefix(a.Value, "https://")):
				t.Errorf("<%s href=%q>: want a link within the page or to https", se.Name.Local, a.Value)
			case name == "style" && !regexp.MustCompile(`^flex-grow: \d+$`).MatchString(a.Value):
				t.Errorf("<%s style=%q>", se.Name.Local, a.Value)
			}
		}
		if se.Name.Local == "meta" {
			if v, _ := attr(se, "http-equiv"); v == "Content-Security-Policy" {
				csp, _ = attr(se, "content")
			}
		}
	})
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'unsafe-inline';") {
		t.Errorf("Content-Security-Policy %q, want default-src 'none' and inline styles only", csp)
	}
	lower := strings.ToLower(string(data))
	for _, bad := range []string{"<script", "@import", "url(", "src=\"http", "@font-face", `href="javascript`} {
		if strings.Contains(lower, bad) {
			i := strings.Index(lower, bad)
			t.Errorf("page holds %q: %q", bad, lower[max(0, i-60):min(len(lower), i+60)])
		}
	}
}

func TestHTMLEscapesAndMarksText(t *testing.T) {
	page := string(writeHTML(t, fixtureRun()))
	for _, want := range []string{
		"&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; ]]&gt; ", // markup escaped
		`<span class="ctl" title="control character U+0000">NUL</span>`,
		`<span class="ctl" title="control character U+001B">ESC</span>[31mred`, // an ANSI sequence, readable
		`<span class="ctl" title="invalid UTF-8: byte 0xFF">` + "\uFFFD</span>",
		`<span class="ctl" title="not a character">U+FFFE</span>`,
		"&amp; &#34;q&#34; &lt;/pre&gt;&lt;/details&gt;&lt;!--",
		"POST /workspaces/ws_8fK2/chats HTTP/1.1\nHost:", // CRLF made LF
		"KiB more not shown</p>",                         // the 176 KiB frame, bounded
		" · javascript:alert(1)</p>",                     // a link not to the web, shown as text only
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.ContainsAny(page, "\x00\x01\x1b\r") {
		t.Errorf("page holds a raw control character")
	}
}

// TestHTMLContent checks the page says what the run says: the header, the
// rule table, the stale entries, and the failing specs in their order.
func TestHTMLContent(t *testing.T) {
	run := fixtureRun()
	data := writeHTML(t, run)
	page := string(data)
	for _, want := range []string{
		"<title>Failed · WCP/1 conformance · http://127.0.0.1:41877",
		`<div class="verdict failed">`, "exit code 1",
		"2025-06-01 12:00:00 UTC", "4.21 s", "v0.4.0", "OWN-* EXP-* CON-* MSG-* ROB-1", "testdata/wcp-baseline.yaml",
		`<h2>Stale baseline entries <span class="count">2</span></h2>`,
		"clock skew on CI",
		`<h2>Failed specs <span class="count">2</span></h2>`,
		`<h2>Expected failures <span class="count">2</span></h2>`,
		"revocation is polled every 2 s; fix planned for 1.3",
		`<a href="https://github.com/example/wcp-server/issues/42">`,
		`<summary>Transcript <span class="muted">9 frames on 2 connections</span></summary>`,
		`<tr class="sent k-http-request"><td class="num">0.4</td><td class="conn">#1</td><td class="dir" title="sent">→</td>`,
		`<td class="dir" title="received">←</td><td class="kind">websocket</td>`,
		`<summary>Server log <span class="muted">2 lines</span></summary>`,
		`<td class="kind">close</td><td><pre>closed by the server</pre>`,                            // a close frame without text
		`<details class="log">` + "\n" + `<summary>Server log <span class="muted">500 lines</span>`, // a long log, folded
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}

	var rows, ruleLinks []string // every rule row's id and verdict; the links to failing specs
	var specs []string           // the failing specs' ids, in page order
	var openDetails int
	walkXML(t, data, func(se xml.StartElement) {
		class, _ := attr(se, "class")
		id, _ := attr(se, "id")
		switch {
		case se.Name.Local == "tr" && strings.HasPrefix(class, "rule "):
			rows = append(rows, id+" "+strings.TrimPrefix(class, "rule "))
		case se.Name.Local == "a":
			if href, _ := attr(se, "href"); strings.HasPrefix(href, "#spec-") {
				ruleLinks = append(ruleLinks, href)
			}
		case se.Name.Local == "article":
			specs = append(specs, id+" "+class)
		case se.Name.Local == "details":
			if _, open := attr(se, "open"); open {
				openDetails++
			}
		}
	})
	if len(rows) != len(run.Rules) {
		t.Fatalf("%d rule rows, want %d", len(rows), len(run.Rules))
	}
	for i, r := range run.Rules {
		if want := "rule-" + r.ID + " " + r.Verdict; rows[i] != want {
			t.Errorf("row %d is %q, want %q", i, rows[i], want)
		}
	}
	wantSpecs := []string{"spec-1 spec failed", "spec-2 spec failed", "spec-3 spec expected", "spec-4 spec expected"}
	if fmt.Sprint(specs) != fmt.Sprint(wantSpecs) {
		t.Errorf("spec sections %q, want %q", specs, wantSpecs)
	}
	// OWN-1, OWN-2 -> spec-1; ROB-1 -> spec-2; CON-4 -> spec-3; CON-5 -> spec-4.
	if want := "[#spec-1 #spec-1 #spec-3 #spec-4 #spec-2]"; fmt.Sprint(ruleLinks) != want {
		t.Errorf("rule table links %v, want %s", ruleLinks, want)
	}
	// Transcripts of the 4 specs are short; the 2-line log is open, the
	// 500-line one folded; the 4th spec has neither.
	if openDetails != 4 {
		t.Errorf("%d open <details>, want 4", openDetails)
	}
}

func TestHTMLPassingRun(t *testing.T) {
	run := fixtureRun()
	run.Specs = run.Specs[:1]
	run.Stale = nil
	run.ExitCode = 0
	for i := range run.Rules {
		run.Rules[i].Verdict = Passed
	}
	page := string(writeHTML(t, run))
	for _, want := range []string{`<div class="verdict passed">`, "Every selected spec that ran passed."} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<article") || strings.Contains(page, "Stale baseline") {
		t.Errorf("a passing run's page shows failures")
	}
}

// TestHTMLLargeRun renders hundreds of specs, a quarter of them failing
// with long transcripts: the page must stay well-formed, fold what is
// long, and keep a size a browser opens.
func TestHTMLLargeRun(t *testing.T) {
	run := fixtureRun()
	frames := make([]transcript.Frame, 120)
	for i := range frames {
		frames[i] = transcript.Frame{Conn: 1 + i%3, At: time.Duration(i) * time.Millisecond, Dir: transcript.Sent,
			Kind: transcript.KindWebSocket, Text: fmt.Sprintf(`42["message",{"n":%d,"body":%q}]`, i, strings.Repeat("x", 80))}
	}
	run.Specs = nil
	for i := range 300 {
		s := Spec{Name: fmt.Sprintf("Many (MSG-1) MSG-1: spec %d", i), Rules: []string{"MSG-1"}, State: Passed}
		if i%4 == 0 {
			s.State = Failed
			s.Failure = &Failure{Kind: "failed", Message: "boom", Transcript: frames, TargetLog: strings.Repeat("a log line\n", 100)}
		}
		run.Specs = append(run.Specs, s)
	}
	start := time.Now()
	data := writeHTML(t, run)
	took := time.Since(start)
	walkXML(t, data, nil)
	if n := bytes.Count(data, []byte("<article")); n != 75 {
		t.Errorf("%d spec sections, want 75", n)
	}
	if n := bytes.Count(data, []byte(`<details class="transcript">`)); n != 75 {
		t.Errorf("%d folded transcripts, want all 75 of 120 frames folded", n)
	}
	// About 250 bytes of page a frame: 2.5 MB.
	if len(data) > 8<<20 {
		t.Errorf("page of %.1f MB", float64(len(data))/(1<<20))
	}
	t.Logf("%d specs, 75 failing with 120 frames each: %.1f MB in %v", len(run.Specs), float64(len(data))/(1<<20), took)
}
