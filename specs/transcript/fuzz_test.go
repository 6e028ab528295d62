package transcript

import (
	"encoding/json"
	"testing"
	"time"
	"unicode/utf8"
)

// Whatever the two sides of a connection send, cut wherever a spec ends,
// the parser does not panic and every frame's text is printable UTF-8.
func FuzzParse(f *testing.F) {
	upgrade := crlf("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\nUpgrade: websocket\n\n")
	f.Add(crlf("POST /chat HTTP/1.1\nTransfer-Encoding: chunked\n\n3\n{}\n\n0\n\n"), crlf("HTTP/1.1 200 OK\nContent-Length: 2\n\n{}"), 10, 5, true)
	f.Add(upgrade+wsBytes(false, opText, `40{"connection_string":"abcdefghij"}`, true)+wsBytes(true, opContinuation, "x", true), crlf("HTTP/1.1 101 Switching Protocols\n\n")+wsBytes(true, opClose, "\x03\xe8bye", false), 60, 3, false)
	f.Add("\x00\xff garbage\r\n\r\n", "HTTP/1.0 200 OK\r\n\r\nrest", 3, 100, true)
	f.Add(crlf("GET / HTTP/1.1\nUpgrade: websocket\n\n")+"\x81\xff\xff\xff\xff\xff\xff\xff\xff\xff", crlf("HTTP/1.1 101 x\n\n")+"\xc1\x03abc", 1, 1, true)
	f.Fuzz(func(t *testing.T, client, server string, cutClient, cutServer int, end bool) {
		red := NewRedactor()
		p := newConnParser(red, 1, 1<<20)
		split := func(s string, at int) (string, string) {
			if at < 0 {
				at = -at
			}
			at %= len(s) + 1
			return s[:at], s[at:]
		}
		c1, c2 := split(client, cutClient)
		s1, s2 := split(server, cutServer)
		var drafts []draft
		drafts = append(drafts, p.advance([2]feed{reads(0, c1), reads(time.Millisecond, s1)}, true)...)
		last := [2]feed{reads(time.Second, c2), reads(time.Second, s2)}
		if end {
			last[0], last[1] = ended(last[0], 2*time.Second), ended(last[1], 2*time.Second)
		}
		drafts = append(drafts, p.advance(last, true)...)
		for _, fr := range assemble(red, Limits{}.withDefaults(), t0, drafts) {
			if !utf8.ValidString(fr.Text) {
				t.Fatalf("text not UTF-8: %q", fr.Text)
			}
		}
		if end && !p.done() {
			t.Fatalf("both sides ended, the parser is not done: %+v", p.sides)
		}
	})
}

// RedactJSON never panics, keeps a JSON document JSON, and hides a
// learned value from every string of it.
func FuzzRedactJSON(f *testing.F) {
	f.Add([]byte(`{"token":"abc","x":["secret-value-1",{"message_key":1}]}`), "secret-value-1")
	f.Add([]byte(`"{\"connection_string\":\"x\"}"`), "connection")
	f.Add([]byte(`[1,2.5e10,null,true,"\u0000\ud800"]`), `","`)
	f.Add([]byte(`{"a":"b"`), "abcdefgh")
	f.Fuzz(func(t *testing.T, doc []byte, secret string) {
		r := NewRedactor()
		r.Learn("token", secret)
		out, err := r.RedactJSON(doc)
		if !json.Valid(doc) {
			if err == nil {
				t.Fatalf("RedactJSON accepted %q", doc)
			}
			_ = r.Redact(string(doc))
			return
		}
		if err != nil || !json.Valid(out) {
			t.Fatalf("RedactJSON(%q) = %q, %v: not JSON", doc, out, err)
		}
	})
}
