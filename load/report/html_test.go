package report

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteHTMLIsSelfContained(t *testing.T) {
	r := fakeResult(7, ShardInfo{Index: 0, Count: 1}, 5000)
	r.Config.Target = "http://127.0.0.1:1234" // user input must not become a link
	r.Notes = []string{"<script>alert(1)</script>"}
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"<svg", "<polyline", "Messages per second", "Latency percentiles per second", "Latency by percentile", "p99.9", "</html>"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The target URL is shown, escaped, but nothing is fetched or linked.
	lower := strings.ToLower(strings.ReplaceAll(out, "http://127.0.0.1:1234", ""))
	for _, bad := range []string{"http://", "https://", "<script", "<link", "src=", "href=", "@import"} {
		if strings.Contains(lower, bad) {
			t.Errorf("report contains %q: it must open with no network", bad)
		}
	}
}

func TestWriteTextSummary(t *testing.T) {
	r := fakeResult(7, ShardInfo{Index: 0, Count: 1}, 5000)
	var buf bytes.Buffer
	if err := WriteText(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"ack (from intended)", "delivery (from intended)", "forged refused", "self-check", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	r.SelfChecks[0].Valid = false
	r.SelfChecks[0].Reasons = []string{"too busy"}
	r.Counts.Lost = 3
	r.Judge()
	buf.Reset()
	_ = WriteText(&buf, r)
	if out := buf.String(); !strings.Contains(out, "INVALID: too busy") || !strings.Contains(out, "FAIL: 3 deliveries of acknowledged messages were lost") {
		t.Errorf("summary of a failed, invalid run:\n%s", out)
	}
}
