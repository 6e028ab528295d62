package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Every text in a Run comes from a server under test or from its output:
// it may hold anything, including bytes that are not UTF-8 and control
// characters that XML 1.0 forbids outright (no escape makes them legal).
// The XML and HTML reports therefore pass each text through displayText
// first; the JSON report keeps texts as they are, since JSON can say every
// code point and encoding/json already replaces invalid UTF-8.

// displayText returns s fit for an XML 1.0 or HTML document and for
// reading: CRLF becomes LF (HTTP frames end lines with CRLF, which only
// clutters a report), each byte of invalid UTF-8 becomes U+FFFD, and each
// control character XML 1.0 forbids — all of C0 but tab and newline, a CR
// not followed by LF, and U+FFFE, U+FFFF — becomes its Unicode control
// picture (ESC becomes ␛, NUL ␀), so an escape sequence in a server's log
// stays visible instead of breaking the document.
func displayText(s string) string {
	if isDisplayable(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// dropped: the LF that follows ends the line
		case r == '\t' || r == '\n':
			b.WriteRune(r)
		case r < 0x20:
			b.WriteRune(0x2400 + r) // the Control Pictures block mirrors C0
		case r == 0xFFFE || r == 0xFFFF:
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

// isDisplayable reports whether displayText would return s unchanged, so
// the common clean text costs no copy.
func isDisplayable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	return true
}

// head returns at most max bytes of s from its start, cut at a rune
// boundary, and how many bytes it left out. Reports bound each frame so one
// 3 MB websocket frame cannot swamp a page or a CI log.
func head(s string, max int) (string, int) {
	if len(s) <= max {
		return s, 0
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], len(s) - cut
}

// tail returns at most max bytes from the end of s, starting at a line
// when one starts in the last max bytes, and how many bytes it left out.
// Of a server's log the end is what explains a failure.
func tail(s string, max int) (string, int) {
	if len(s) <= max {
		return s, 0
	}
	cut := len(s) - max
	if nl := strings.IndexByte(s[cut:], '\n'); nl >= 0 && nl < len(s)-cut-1 {
		cut += nl + 1
	}
	for cut < len(s) && !utf8.RuneStart(s[cut]) {
		cut++
	}
	return s[cut:], cut
}

// byteSize says n bytes the way a reader wants it: "512 B", "3.0 KiB",
// "2.9 MiB".
func byteSize(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
}

// firstLine returns s's first non-empty line, cut to max runes with an
// ellipsis: what fits in an attribute or a one-line summary.
func firstLine(s string, max int) string {
	s = strings.TrimLeft(s, "\r\n")
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
