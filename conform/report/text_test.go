package report

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDisplayText(t *testing.T) {
	for in, want := range map[string]string{
		"plain, tab\tand\nnewline": "plain, tab\tand\nnewline",
		"HTTP/1.1 200\r\nA: b\r\n": "HTTP/1.1 200\nA: b\n",
		"lone\rcr":                 "lone␍cr",
		"\x00\x1b[0m\x1f":          "␀␛[0m␟",
		"bad \xff\xfe end":         "bad \uFFFD\uFFFD end",
		"cut \xe2\x82":             "cut \uFFFD\uFFFD",
		"\uFFFE\uFFFF":             "\uFFFD\uFFFD",
		"é ✓ 😀 \u202e":             "é ✓ 😀 \u202e",
	} {
		if got := displayText(in); got != want {
			t.Errorf("displayText(%q) = %q, want %q", in, got, want)
		}
		if !isDisplayable(displayText(in)) {
			t.Errorf("displayText(%q) is not displayable", in)
		}
	}
}

func TestHeadAndTail(t *testing.T) {
	s := strings.Repeat("é", 10) // 20 bytes
	if h, cut := head(s, 5); h != "éé" || cut != 16 {
		t.Errorf("head = %q, %d; want a rune boundary", h, cut)
	}
	if h, cut := head(s, 50); h != s || cut != 0 {
		t.Errorf("head of a short text = %q, %d", h, cut)
	}
	if tl, cut := tail(s, 5); tl != "éé" || cut != 16 {
		t.Errorf("tail = %q, %d; want a rune boundary", tl, cut)
	}
	log := "first line\nsecond line\nthird\n"
	if tl, cut := tail(log, 14); tl != "third\n" || cut != len(log)-6 {
		t.Errorf("tail = %q, %d; want it to start at a line", tl, cut)
	}
	if tl, _ := tail("no newline at all, a long one", 6); tl != "ng one" {
		t.Errorf("tail without a line start = %q", tl)
	}
}

func TestFirstLine(t *testing.T) {
	if got := firstLine("\nfirst\nsecond", 100); got != "first …" {
		t.Errorf("firstLine = %q", got)
	}
	if got := firstLine(strings.Repeat("é", 20), 10); utf8.RuneCountInString(got) != 10 || !strings.HasSuffix(got, "…") {
		t.Errorf("firstLine = %q, want 10 runes ending in …", got)
	}
}

func TestHTMLText(t *testing.T) {
	for in, want := range map[string]string{
		`<b a="1">&'`:      "&lt;b a=&#34;1&#34;&gt;&amp;&#39;",
		"a\r\nb\tc":        "a\nb\tc",
		"\x1b[1m":          `<span class="ctl" title="control character U+001B">ESC</span>[1m`,
		"\x7f\u0085":       `<span class="ctl" title="control character U+007F">DEL</span><span class="ctl" title="C1 control character U+0085">85</span>`,
		"x\u202ey":         `x<span class="ctl" title="bidirectional control U+202E">RLO</span>y`,
		"\xc3(":            `<span class="ctl" title="invalid UTF-8: byte 0xC3">` + "\uFFFD</span>(",
		"lone\r":           `lone<span class="ctl" title="control character U+000D">CR</span>`,
		"clean text é ✓ 😀": "clean text é ✓ 😀",
	} {
		if got := string(htmlText(in)); got != want {
			t.Errorf("htmlText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormats(t *testing.T) {
	for d, want := range map[time.Duration]string{
		850 * time.Millisecond:  "850 ms",
		4213 * time.Millisecond: "4.21 s",
		123 * time.Second:       "2 min 03 s",
		-time.Second:            "—",
	} {
		if got := humanDuration(d); got != want {
			t.Errorf("humanDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for n, want := range map[int]string{512: "512 B", 3 << 10: "3.0 KiB", 3 << 20: "3.0 MiB"} {
		if got := byteSize(n); got != want {
			t.Errorf("byteSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := millis(1500 * time.Microsecond); got != "1.5" {
		t.Errorf("millis = %q", got)
	}
	if got := seconds(1234567 * time.Microsecond); got != 1.235 {
		t.Errorf("seconds = %v", got)
	}
}

func TestWebLink(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/o/r/issues/1": "https://github.com/o/r/issues/1",
		"http://tracker.local/42":         "http://tracker.local/42",
		"javascript:alert(1)":             "",
		"data:text/html,x":                "",
		"//evil.example/x":                "",
		"JIRA-123":                        "",
		"":                                "",
	} {
		if got := webLink(in); got != want {
			t.Errorf("webLink(%q) = %q, want %q", in, got, want)
		}
	}
}
