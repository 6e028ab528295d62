package report

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/wcp-project/wcp/specs/transcript"
)

// The HTML report is one self-contained file that opens with no network:
// its style sheet is inlined, it has no script, font, image or external
// style sheet, and a Content-Security-Policy meta tag forbids loading any,
// so not even a text that slipped through could fetch something. The only
// URLs are links (<a href>) to PROTOCOL.md's sections and to the
// baseline's issues, and only http(s) ones (webLink). Every text of the
// run is escaped: in element content by htmlText, which also shows the
// characters a reader could not see, in attributes by html/template after
// displayText.

//go:embed html.tmpl html.css
var htmlFiles embed.FS

// Bounds of the HTML report: generous, since it is browsed and folds long
// parts away, yet a 3 MB websocket frame or a runaway log must not make it
// unopenable.
const (
	htmlFrameMax = 64 << 10  // bytes of one frame's text
	htmlLogMax   = 256 << 10 // bytes from the end of the target's log
	// A transcript or log this short starts unfolded: it reads at a
	// glance, and it prints.
	htmlFramesOpen = 40
	htmlLogOpen    = 30 // lines
)

// WriteHTML writes run as one self-contained HTML page.
func WriteHTML(w io.Writer, run Run) error {
	if err := check(run); err != nil {
		return err
	}
	css, err := htmlFiles.ReadFile("html.css")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	tmpl, err := template.New("html.tmpl").Funcs(template.FuncMap{"plural": plural}).ParseFS(htmlFiles, "html.tmpl")
	if err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	page := newHTMLPage(run)
	// The style sheet is this package's own embedded file, never input:
	// trusting it as CSS is what inlining it means.
	page.CSS = template.CSS(css)
	// Rendered whole before it is written, so that a template error
	// cannot leave half a page behind.
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, page); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("html report: %w", err)
	}
	return nil
}

// htmlPage is what html.tmpl renders: every number already formatted,
// every text of the run either made safe HTML by htmlText (element
// content) or displayText'ed (attributes, the title), never raw.
type htmlPage struct {
	CSS         template.CSS
	Title       string
	Target      template.HTML
	Started     string
	Duration    string
	WCPVersion  template.HTML
	Filters     template.HTML
	Baseline    template.HTML
	Passed      bool   // the run's verdict: its exit code is 0
	Verdict     string // the verdict in a word
	ExitCode    int
	Expected    int // expected failures, named beside a passing verdict
	RuleSummary htmlTallies
	SpecSummary htmlTallies
	Rules       []htmlRule
	Stale       []htmlStale
	Failed      []htmlSpec
	Excused     []htmlSpec // the expected failures
}

// htmlTallies is one half of the summary: the rules', or the specs'.
type htmlTallies struct {
	Title string
	Total int
	Tally []htmlTally
}

// htmlTally is one verdict's share of the summary.
type htmlTally struct {
	Label string // "passed"
	Class string // the verdict's CSS class
	N     int
}

type htmlRule struct {
	ID       string
	Level    string
	Section  int
	Link     string
	Summary  template.HTML
	Verdict  string
	Passed   int
	Failed   int
	Expected int
	Skipped  int
	First    string // the id of the first failing spec of this rule, "" for none
}

type htmlStale struct{ Entry, Reason, Why template.HTML }

type htmlSpec struct {
	ID       string // the section's id, for links from the rule table
	Name     template.HTML
	Rules    []htmlRuleRef
	State    string
	Kind     string
	Message  template.HTML
	Location template.HTML
	Duration string
	Reason   template.HTML
	Link     string        // the baseline's link, if it is a web address
	LinkText template.HTML // the baseline's link as text
	Frames   []htmlFrame
	Conns    int
	Open     bool // unfold the transcript
	Log      template.HTML
	LogLines int
	LogCut   string // what the log's bound left out, "" for nothing
	LogOpen  bool
}

type htmlRuleRef struct{ ID, Link string }

type htmlFrame struct {
	At    string // ms since the spec began
	Conn  int
	Dir   string // sent, received
	Arrow string
	Kind  string
	Text  template.HTML
	Cut   string // what the frame's bound left out, "" for nothing
}

func newHTMLPage(run Run) htmlPage {
	p := htmlPage{
		Title:      verdictWord(run.ExitCode) + " · WCP/1 conformance · " + displayText(run.Target),
		Target:     htmlText(run.Target),
		Started:    humanTime(run.Started),
		Duration:   humanDuration(run.Duration),
		WCPVersion: htmlText(run.WCPVersion),
		Filters:    "all rules",
		Baseline:   htmlText(run.Baseline),
		Passed:     passed(run),
		Verdict:    verdictWord(run.ExitCode),
		ExitCode:   run.ExitCode,
	}
	if len(run.Filters) > 0 {
		p.Filters = htmlText(strings.Join(run.Filters, " "))
	}
	rc, sc := ruleCounts(run), specCounts(run)
	p.Expected = sc.Expected
	p.RuleSummary = htmlTallies{Title: "Rules", Total: rc.Total, Tally: tallies(rc, true)}
	p.SpecSummary = htmlTallies{Title: "Specs", Total: sc.Total, Tally: tallies(sc, false)}

	links := map[string]string{} // rule ID -> its section's link
	for _, r := range run.Rules {
		links[r.ID] = webLink(r.Link)
	}
	first := map[string]string{} // rule ID -> first failing spec's id
	for i, s := range failing(run) {
		hs := newHTMLSpec(s, "spec-"+strconv.Itoa(i+1), links)
		for _, id := range s.Rules {
			if _, ok := first[id]; !ok {
				first[id] = hs.ID
			}
		}
		if s.State == Failed {
			p.Failed = append(p.Failed, hs)
		} else {
			p.Excused = append(p.Excused, hs)
		}
	}
	for _, r := range run.Rules {
		p.Rules = append(p.Rules, htmlRule{
			ID: displayText(r.ID), Level: displayText(r.Level), Section: r.Section, Link: webLink(r.Link),
			Summary: htmlText(r.Summary), Verdict: r.Verdict,
			Passed: r.Passed, Failed: r.Failed, Expected: r.Expected, Skipped: r.Skipped,
			First: first[r.ID],
		})
	}
	for _, st := range run.Stale {
		p.Stale = append(p.Stale, htmlStale{Entry: htmlText(st.Entry), Reason: htmlText(st.Reason), Why: htmlText(st.Why)})
	}
	return p
}

// tallies lists the verdicts of c in the summary's order; not-run only
// for rules.
func tallies(c Counts, rules bool) []htmlTally {
	t := []htmlTally{
		{"passed", Passed, c.Passed},
		{"failed", Failed, c.Failed},
		{"expected", Expected, c.Expected},
		{"skipped", Skipped, c.Skipped},
	}
	if rules {
		t = append(t, htmlTally{"not run", NotRun, c.NotRun})
	}
	return t
}

func newHTMLSpec(s Spec, id string, links map[string]string) htmlSpec {
	hs := htmlSpec{
		ID:       id,
		Name:     htmlText(s.Name),
		State:    s.State,
		Duration: humanDuration(s.Duration),
		Reason:   htmlText(s.Reason),
		Link:     webLink(s.Link),
		LinkText: htmlText(s.Link),
	}
	for _, r := range s.Rules {
		hs.Rules = append(hs.Rules, htmlRuleRef{ID: displayText(r), Link: links[r]})
	}
	f := s.Failure
	if f == nil {
		hs.Message = "(the harness recorded no details of this failure)"
		return hs
	}
	hs.Kind = displayText(f.Kind)
	hs.Message = htmlText(strings.TrimRight(f.Message, "\r\n"))
	hs.Location = htmlText(f.Location)
	conns := map[int]bool{}
	for _, fr := range f.Transcript {
		text, cut := head(fr.Text, htmlFrameMax)
		hf := htmlFrame{
			At:    millis(fr.At),
			Conn:  fr.Conn,
			Dir:   displayText(string(fr.Dir)),
			Arrow: arrow(fr.Dir),
			Kind:  displayText(fr.Kind),
			Text:  htmlText(strings.TrimRight(text, "\r\n")),
		}
		if fr.Kind == transcript.KindClose && fr.Text == "" {
			hf.Text = htmlText(closedBy(fr.Dir))
		}
		if cut > 0 {
			hf.Cut = byteSize(cut)
		}
		hs.Frames = append(hs.Frames, hf)
		conns[fr.Conn] = true
	}
	hs.Conns = len(conns)
	hs.Open = len(hs.Frames) <= htmlFramesOpen
	if f.TargetLog != "" {
		log, cut := tail(f.TargetLog, htmlLogMax)
		log = strings.TrimRight(log, "\r\n")
		hs.Log = htmlText(log)
		hs.LogLines = strings.Count(log, "\n") + 1
		hs.LogOpen = hs.LogLines <= htmlLogOpen
		if cut > 0 {
			hs.LogCut = byteSize(cut)
		}
	}
	return hs
}

// webLink returns s if it is an http or https address, else "": the page
// links to the web and nowhere else (html/template would defuse a
// javascript: link, but a link that goes nowhere helps no one; the text
// is shown instead).
func webLink(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	return s
}

// plural says n things: "1 frame", "12 frames".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// verdictWord names a run's outcome by its exit code: 0 passed, 1 failed
// (a rule failed or a baseline entry is stale); any other code means the
// run could not give a verdict.
func verdictWord(code int) string {
	switch code {
	case 0:
		return "Passed"
	case 1:
		return "Failed"
	default:
		return "Error"
	}
}
