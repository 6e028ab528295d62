package transcript

import (
	"encoding/binary"
	"strings"
	"testing"
	"time"
)

// t0 is the start of every parser test's spec.
var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// reads is a side's feed: each string one read, a millisecond apart from
// start.
func reads(start time.Duration, parts ...string) feed {
	var f feed
	for i, p := range parts {
		f.marks = append(f.marks, mark{off: len(f.data), at: t0.Add(start + time.Duration(i)*time.Millisecond)})
		f.data = append(f.data, p...)
	}
	return f
}

// ended marks f's side as ended (FIN) at at.
func ended(f feed, at time.Duration) feed {
	f.end = &ending{at: t0.Add(at), how: "end of stream (FIN)"}
	return f
}

// parseConn parses one connection's two sides at once and assembles its
// frames with red (a new Redactor when nil).
func parseConn(t *testing.T, red *Redactor, client, server feed) []Frame {
	t.Helper()
	if red == nil {
		red = NewRedactor()
	}
	p := newConnParser(red, 1, 1<<20)
	return assemble(red, Limits{}.withDefaults(), t0, p.advance([2]feed{client, server}, true))
}

// wsBytes is one websocket frame; a client's (masked) when mask is true.
func wsBytes(fin bool, op byte, payload string, mask bool) string {
	b := []byte{op}
	if fin {
		b[0] |= 0x80
	}
	n := len(payload)
	var m byte
	if mask {
		m = 0x80
	}
	switch {
	case n < 126:
		b = append(b, m|byte(n))
	case n <= 0xffff:
		b = append(b, m|126)
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b = append(b, m|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	p := []byte(payload)
	if mask {
		key := []byte{0x37, 0xfa, 0x21, 0x3d}
		b = append(b, key...)
		for i := range p {
			p[i] ^= key[i%4]
		}
	}
	return string(append(b, p...))
}

// kinds lists the frames as "dir kind" lines, for comparing order.
func kinds(frames []Frame) string {
	var b strings.Builder
	for _, f := range frames {
		b.WriteString(string(f.Dir) + " " + f.Kind + "\n")
	}
	return b.String()
}

// crlf turns \n into \r\n, for writing HTTP messages readably.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
