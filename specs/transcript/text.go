package transcript

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// display makes s safe to show and to put in JSON, and cuts it to about
// max bytes (none when max <= 0), saying how much it left out: valid UTF-8
// with no control characters. Newlines and tabs stay (bodies and headers
// read better with them); other control bytes, invalid UTF-8 and
// invisible runes become Go-style escapes (\r, \x1e, \u200b), so that the
// Engine.IO record separator of a polling payload shows as \x1e. Callers
// redact first, so that no secret is cut in two and half of it left
// unrecognised; cutting while escaping keeps a long binary message from
// growing fourfold before it is cut.
func display(s string, max int) string {
	if (max <= 0 || len(s) <= max) && clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), max) + 16)
	for i := 0; i < len(s); {
		if max > 0 && b.Len() >= max {
			fmt.Fprintf(&b, "… [clipped: %d more bytes]", len(s)-i)
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case shown(r):
			b.WriteString(s[i : i+size])
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// printable is display with no cut.
func printable(s string) string { return display(s, 0) }

// clean says whether s is shown as it is.
func clean(s string) bool {
	for _, r := range s {
		if r == utf8.RuneError || !shown(r) {
			return false
		}
	}
	return true
}

func shown(r rune) bool {
	return r == '\n' || r == '\t' || unicode.IsPrint(r)
}

// clip cuts s to at most max bytes (on a rune boundary) and says how much
// it left out.
func clip(s string, max int) string {
	if max <= 0 || len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf("… [clipped: %d more bytes]", len(s)-cut)
}
