package report

import (
	"fmt"
	"html/template"
	"strings"
	"unicode/utf8"
)

// htmlText renders a text of the run as HTML for an element's content:
// escaped, with CRLF made LF, and every character a reader could not see
// or that could lie about the text around it shown as a small labelled
// mark instead: C0 and C1 controls and DEL (ESC shows as "ESC", so an ANSI
// colour sequence reads "ESC[31m"), bidirectional overrides (which could
// reorder what a report seems to say), non-characters, and each byte of
// invalid UTF-8 as U+FFFD with the byte in its tooltip. A font need not
// have Unicode's control pictures for any of it to read.
//
// The result is trusted HTML: everything but the marks this function
// writes itself is escaped by template.HTMLEscapeString.
func htmlText(s string) template.HTML {
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	plain := 0 // start of the run of ordinary text not yet written
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		var mark, title string
		switch {
		case r == utf8.RuneError && n == 1:
			mark, title = "\uFFFD", fmt.Sprintf("invalid UTF-8: byte 0x%02X", s[i])
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
			// dropped (no title, so no mark): the LF ends the line
		case r == '\t' || r == '\n':
			i += n
			continue
		case r < 0x20 || r == 0x7F:
			mark, title = controlNames(r), fmt.Sprintf("control character U+%04X", r)
		case r >= 0x80 && r < 0xA0:
			mark, title = fmt.Sprintf("%02X", r), fmt.Sprintf("C1 control character U+%04X", r)
		case bidiName(r) != "":
			mark, title = bidiName(r), fmt.Sprintf("bidirectional control U+%04X", r)
		case r == 0xFFFE || r == 0xFFFF:
			mark, title = fmt.Sprintf("U+%04X", r), "not a character"
		default:
			i += n
			continue
		}
		b.WriteString(template.HTMLEscapeString(s[plain:i]))
		if title != "" {
			fmt.Fprintf(&b, `<span class="ctl" title="%s">%s</span>`, template.HTMLEscapeString(title), template.HTMLEscapeString(mark))
		}
		i += n
		plain = i
	}
	b.WriteString(template.HTMLEscapeString(s[plain:]))
	return template.HTML(b.String()) // safe: every text above was escaped
}

// controlNames is the ASCII abbreviation of C0 control r or DEL.
func controlNames(r rune) string {
	names := [0x20]string{
		"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI",
		"DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB", "CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US",
	}
	if r < 0 || r >= 0x20 {
		return "DEL"
	}
	return names[r]
}

// bidiName is the abbreviation of bidirectional formatting character r,
// "" for any other.
func bidiName(r rune) string {
	switch r {
	case 0x202A:
		return "LRE"
	case 0x202B:
		return "RLE"
	case 0x202C:
		return "PDF"
	case 0x202D:
		return "LRO"
	case 0x202E:
		return "RLO"
	case 0x2066:
		return "LRI"
	case 0x2067:
		return "RLI"
	case 0x2068:
		return "FSI"
	case 0x2069:
		return "PDI"
	}
	return ""
}
