package report

import (
	"fmt"
	"strings"

	"github.com/wcp-project/wcp/specs/transcript"
)

// Bounds of the plain-text rendering of a failure. CI systems show JUnit
// bodies inline and choke on megabytes; the HTML report, made to be
// browsed, has room for more (see the html* bounds).
const (
	textFrameMax = 4 << 10  // bytes of one frame's text
	textLogMax   = 32 << 10 // bytes from the end of the target's log
)

// failureText renders f as plain text: the message, where it failed, the
// transcript one frame a paragraph, and the end of the target's log. The
// result is already displayText'ed.
func failureText(f *Failure) string {
	if f == nil {
		return "(the harness recorded no details of this failure)"
	}
	var b strings.Builder
	b.WriteString(displayText(f.Message))
	if f.Location != "" {
		fmt.Fprintf(&b, "\n\nat %s", displayText(f.Location))
	}
	if len(f.Transcript) > 0 {
		fmt.Fprintf(&b, "\n\ntranscript, %d frames (ms since the spec began, connection, → sent / ← received, kind):\n", len(f.Transcript))
		for _, fr := range f.Transcript {
			writeFrameText(&b, fr)
		}
	}
	if f.TargetLog != "" {
		log, cut := tail(f.TargetLog, textLogMax)
		b.WriteString("\n\ntarget log")
		if cut > 0 {
			fmt.Fprintf(&b, " (its last %s; %s before them left out)", byteSize(len(log)), byteSize(cut))
		}
		b.WriteString(":\n")
		b.WriteString(indent(displayText(strings.TrimRight(log, "\n")), "  "))
	}
	return b.String()
}

// writeFrameText writes one frame: a header line, then its text indented.
func writeFrameText(b *strings.Builder, fr transcript.Frame) {
	fmt.Fprintf(b, "  +%s ms  #%d %s %s\n", millis(fr.At), fr.Conn, arrow(fr.Dir), displayText(fr.Kind))
	text, cut := head(fr.Text, textFrameMax)
	if fr.Kind == transcript.KindClose && text == "" {
		text = closedBy(fr.Dir)
	}
	text = strings.TrimRight(displayText(text), "\n")
	if text != "" {
		b.WriteString(indent(text, "      "))
		b.WriteByte('\n')
	}
	if cut > 0 {
		fmt.Fprintf(b, "      … %s more not shown\n", byteSize(cut))
	}
}

// arrow is a frame's direction as the reports draw it.
func arrow(d transcript.Dir) string {
	switch d {
	case transcript.Sent:
		return "→"
	case transcript.Received:
		return "←"
	default:
		return "·"
	}
}

// closedBy says who ended a connection, for a close frame with no text
// of its own: a close frame's direction is the side that closed.
func closedBy(d transcript.Dir) string {
	switch d {
	case transcript.Sent:
		return "closed by the client (the specs)"
	case transcript.Received:
		return "closed by the server"
	default:
		return "closed"
	}
}

// indent puts prefix before every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(s, "\n", "\n"+prefix)
}
