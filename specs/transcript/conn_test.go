package transcript

import (
	"bytes"
	"compress/gzip"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestKeepAliveAndChunked(t *testing.T) {
	client := reads(0,
		crlf("POST /users HTTP/1.1\nHost: x\nContent-Type: application/json\nContent-Length: 16\n\n")+`{"name":"owner"}`,
		crlf("POST /chat HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\n\n5\n{\"a\":\n"),
		crlf("3\n\"b\"\n1\n}\n0\n\n"),
	)
	server := reads(10*time.Millisecond,
		crlf("HTTP/1.1 201 Created\nContent-Length: 2\n\n{}"),
		crlf("HTTP/1.1 400 Bad Request\nTransfer-Encoding: chunked\n\n4\nnope\n0\n\n"),
	)
	frames := parseConn(t, nil, client, server)
	want := "sent http-request\nsent http-request\nreceived http-response\nreceived http-response\n"
	if got := kinds(frames); got != want {
		t.Fatalf("frames:\n%s\nwant:\n%s", got, want)
	}
	if !strings.HasSuffix(frames[1].Text, "\n\n{\"a\":\"b\"}") {
		t.Errorf("chunked request body not decoded: %q", frames[1].Text)
	}
	if !strings.HasPrefix(frames[1].Text, "POST /chat HTTP/1.1\nHost: x\nTransfer-Encoding: chunked") {
		t.Errorf("request head not as sent: %q", frames[1].Text)
	}
	if !strings.HasSuffix(frames[3].Text, "\n\nnope") {
		t.Errorf("chunked response body not decoded: %q", frames[3].Text)
	}
	if frames[0].At != 0 || frames[2].At != 10*time.Millisecond || frames[1].At != time.Millisecond {
		t.Errorf("times: %v %v %v", frames[0].At, frames[1].At, frames[2].At)
	}
	for _, f := range frames {
		if f.Conn != 1 {
			t.Errorf("conn %d, want 1", f.Conn)
		}
	}
}

func TestWebSocket(t *testing.T) {
	client := reads(0,
		crlf("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\nHost: x\nConnection: Upgrade\nUpgrade: websocket\nSec-WebSocket-Version: 13\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n\n"),
		wsBytes(true, opText, `40{"chat_id":"c1","connection_string":"v1.secret-connection-string"}`, true),
		// a fragmented message, a ping between its fragments
		wsBytes(false, opText, `420["message",{"body":"hel`, true)+wsBytes(true, opPing, "", true),
		wsBytes(false, opContinuation, `lo","message_string":"`, true),
		wsBytes(true, opContinuation, `abcdef0123456789"}]`, true),
		wsBytes(true, opClose, "\x03\xe8", true),
	)
	server := reads(10*time.Millisecond,
		crlf("HTTP/1.1 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n")+wsBytes(true, opText, `0{"sid":"s1"}`, false),
		wsBytes(true, opText, `42["session",{"session_id":"s_1","message_key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}]`, false),
		wsBytes(true, opPong, "", false),
		wsBytes(true, opClose, "\x03\xe8bye", false),
	)
	red := NewRedactor()
	frames := parseConn(t, red, ended(client, 20*time.Millisecond), ended(server, 21*time.Millisecond))
	want := strings.Join([]string{
		"sent http-request", "sent websocket", "sent websocket", "sent websocket", "sent websocket",
		"received http-response", "received websocket", "received websocket", "received websocket", "received websocket",
		"sent close", "received close", "",
	}, "\n")
	if got := kinds(frames); got != want {
		t.Fatalf("frames:\n%s\nwant:\n%s", got, want)
	}
	texts := map[string]bool{}
	for _, f := range frames {
		texts[f.Text] = true
	}
	for _, w := range []string{
		`40{"chat_id":"c1","connection_string":"[redacted connection_string]"}`,
		`[ping]`,
		"420[\"message\",{\"body\":\"hello\",\"message_string\":\"[redacted message_string]\"}]\n[reassembled from 3 fragments]",
		`0{"sid":"s1"}`,
		`42["session",{"session_id":"s_1","message_key":"[redacted message_key]"}]`,
		`[pong]`,
		`[close 1000 "bye"]`,
		`[close 1000]`,
		`end of stream (FIN)`,
	} {
		if !texts[w] {
			t.Errorf("no frame %q in:\n%v", w, frames)
		}
	}
	if got := red.Redact("v1.secret-connection-string and abcdef0123456789"); got != "[redacted connection_string] and [redacted message_string]" {
		t.Errorf("values not learned: %q", got)
	}
}

func TestPollingPayload(t *testing.T) {
	body := "0{\"sid\":\"p1\"}\x1e42[\"session\",{\"message_key\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8\"}]"
	post := `40{"chat_id":"c1","connection_string":"v1.polling-string"}` + "\x1e3"
	client := reads(0,
		crlf("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\nHost: x\n\n"),
		crlf("POST /socket.io/?EIO=4&transport=polling&sid=p1 HTTP/1.1\nHost: x\nContent-Type: text/plain\nContent-Length: ")+strconv.Itoa(len(post))+"\r\n\r\n"+post,
	)
	server := reads(time.Millisecond/2,
		crlf("HTTP/1.1 200 OK\nContent-Type: text/plain; charset=UTF-8\nContent-Length: ")+strconv.Itoa(len(body))+"\r\n\r\n"+body,
		crlf("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
	)
	frames := parseConn(t, nil, client, server)
	if len(frames) != 4 {
		t.Fatalf("%d frames, want 4: %v", len(frames), frames)
	}
	if want := "\n\n0{\"sid\":\"p1\"}\\x1e42[\"session\",{\"message_key\":\"[redacted message_key]\"}]"; !strings.HasSuffix(frames[1].Text, want) {
		t.Errorf("polling answer %q, want it to end %q", frames[1].Text, want)
	}
	if want := "\n\n40{\"chat_id\":\"c1\",\"connection_string\":\"[redacted connection_string]\"}\\x1e3"; !strings.HasSuffix(frames[2].Text, want) {
		t.Errorf("polling post %q, want it to end %q", frames[2].Text, want)
	}
}

func TestGarbageIsRaw(t *testing.T) {
	client := ended(reads(0, "\x00\x01garbage\xff\r\n\r\n", "more"), 3*time.Millisecond)
	server := ended(reads(2*time.Millisecond, crlf("HTTP/1.1 400 Bad Request\nContent-Length: 0\nConnection: close\n\n")), 4*time.Millisecond)
	frames := parseConn(t, nil, client, server)
	want := "sent raw\nsent raw\nreceived http-response\nsent close\nreceived close\n"
	if got := kinds(frames); got != want {
		t.Fatalf("frames:\n%s\nwant:\n%s", got, want)
	}
	if frames[0].Text != `\x00\x01garbage\xff\r`+"\n"+`\r`+"\n" {
		t.Errorf("raw text %q", frames[0].Text)
	}
}

func TestTruncatedStreams(t *testing.T) {
	cases := map[string]struct {
		client, server string
	}{
		"request body":     {crlf("POST /x HTTP/1.1\nContent-Length: 100\n\n") + "0123456789", ""},
		"request head":     {"POST /x HTTP/1.1\r\nHost: ", ""},
		"chunked body":     {crlf("POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\n10\nabc"), ""},
		"websocket frame":  {crlf("GET / HTTP/1.1\nUpgrade: websocket\n\n") + wsBytes(true, opText, "hello world", true)[:8], crlf("HTTP/1.1 101 Switching Protocols\n\n")},
		"response body":    {crlf("GET / HTTP/1.1\n\n"), crlf("HTTP/1.1 200 OK\nContent-Length: 10\n\n") + "abc"},
		"fragmented":       {crlf("GET / HTTP/1.1\nUpgrade: websocket\n\n") + wsBytes(false, opText, "part", true), crlf("HTTP/1.1 101 Switching Protocols\n\n")},
		"huge frame":       {crlf("GET / HTTP/1.1\nUpgrade: websocket\n\n") + "\x81\xff\xff\xff\xff\xff\xff\xff\xff\xff", crlf("HTTP/1.1 101 Switching Protocols\n\n")},
		"length 64 bit":    {crlf("GET / HTTP/1.1\nUpgrade: websocket\n\n") + "\x81\x7f\x00\x00", crlf("HTTP/1.1 101 Switching Protocols\n\n")},
		"close-delimited":  {crlf("GET / HTTP/1.1\n\n"), "HTTP/1.0 200 OK\r\n\r\nuntil the end"},
		"bad chunk length": {crlf("POST /x HTTP/1.1\nTransfer-Encoding: chunked\n\nzz\n"), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			// Still open: whatever is incomplete shows as such.
			open := parseConn(t, nil, reads(0, c.client), reads(time.Millisecond, c.server))
			// Ended: every byte shows, the ends too.
			closed := parseConn(t, nil, ended(reads(0, c.client), 5*time.Millisecond), ended(reads(time.Millisecond, c.server), 6*time.Millisecond))
			if len(closed) == 0 || closed[len(closed)-1].Kind != KindClose {
				t.Errorf("ended stream: %v", closed)
			}
			for _, f := range append(open, closed...) {
				if !utf8.ValidString(f.Text) {
					t.Errorf("text not UTF-8: %q", f.Text)
				}
			}
		})
	}
}

func TestCloseDelimitedResponseWaitsForTheEnd(t *testing.T) {
	client := reads(0, crlf("GET / HTTP/1.1\n\n"))
	server := reads(time.Millisecond, "HTTP/1.0 200 OK\r\n\r\nuntil the end")
	p := newConnParser(NewRedactor(), 1, 1<<20)
	if got := p.advance([2]feed{client, server}, false); len(got) != 1 {
		t.Fatalf("before the end: %d drafts, want the request only", len(got))
	}
	got := p.advance([2]feed{{}, ended(feed{}, 3*time.Millisecond)}, false)
	if len(got) != 2 || got[0].kind != KindHTTPResponse || !strings.HasSuffix(got[0].text, "until the end") || got[1].kind != KindClose {
		t.Fatalf("at the end: %+v", got)
	}
}

// A message cut by the end of a spec is finished with the next spec's
// bytes, and an incomplete one shows (show) without being consumed.
func TestAcrossSpecs(t *testing.T) {
	req := crlf("POST /chat HTTP/1.1\nContent-Length: 11\n\n") + "hello world"
	p := newConnParser(NewRedactor(), 1, 1<<20)
	first := p.advance([2]feed{reads(0, req[:30]), {}}, true)
	if len(first) != 1 || first[0].kind != KindRaw || !strings.HasPrefix(first[0].text, "[incomplete so far: 30 bytes]") {
		t.Fatalf("first spec: %+v", first)
	}
	second := p.advance([2]feed{reads(time.Second, req[30:]), {}}, true)
	if len(second) != 1 || second[0].kind != KindHTTPRequest || !strings.HasSuffix(second[0].text, "hello world") || !second[0].at.Equal(t0) {
		t.Fatalf("second spec: %+v", second)
	}
}

func TestHeadAndContinue(t *testing.T) {
	client := reads(0,
		crlf("HEAD /healthz HTTP/1.1\n\n"),
		crlf("POST /x HTTP/1.1\nExpect: 100-continue\nContent-Length: 2\n\n"),
		"{}",
	)
	server := reads(time.Millisecond/2,
		crlf("HTTP/1.1 200 OK\nContent-Length: 15\n\n"), // no body: it answers HEAD
		crlf("HTTP/1.1 100 Continue\n\n"),
		crlf("HTTP/1.1 201 Created\nContent-Length: 2\n\n{}"),
	)
	frames := parseConn(t, nil, client, server)
	want := "sent http-request\nreceived http-response\nsent http-request\nreceived http-response\nreceived http-response\n"
	if got := kinds(frames); got != want {
		t.Fatalf("frames:\n%s\nwant:\n%s\n%v", got, want, frames)
	}
	if !strings.HasPrefix(frames[4].Text, "HTTP/1.1 201") {
		t.Errorf("last response %q", frames[4].Text)
	}
}

func TestGzipBody(t *testing.T) {
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(`{"id":"u_1","token":"tok-in-a-gzipped-body"}`))
	zw.Close()
	red := NewRedactor()
	server := reads(time.Millisecond, crlf("HTTP/1.1 201 Created\nContent-Encoding: gzip\nContent-Length: ")+strconv.Itoa(z.Len())+"\r\n\r\n"+z.String())
	frames := parseConn(t, red, reads(0, crlf("POST /users HTTP/1.1\n\n")), server)
	if len(frames) != 2 || !strings.HasSuffix(frames[1].Text, `{"id":"u_1","token":"[redacted token]"}`) {
		t.Fatalf("frames: %v", frames)
	}
	if got := red.Redact("tok-in-a-gzipped-body"); got != "[redacted token]" {
		t.Errorf("not learned: %q", got)
	}
}

func TestUpgradeRefused(t *testing.T) {
	client := reads(0,
		crlf("GET /socket.io/?transport=websocket HTTP/1.1\nUpgrade: websocket\nConnection: Upgrade\n\n"),
		crlf("GET /healthz HTTP/1.1\n\n"),
	)
	server := reads(time.Millisecond/2,
		crlf("HTTP/1.1 400 Bad Request\nContent-Length: 3\n\nno!"),
		crlf("HTTP/1.1 200 OK\nContent-Length: 2\n\nok"),
	)
	frames := parseConn(t, nil, client, server)
	want := "sent http-request\nreceived http-response\nsent http-request\nreceived http-response\n"
	if got := kinds(frames); got != want {
		t.Fatalf("frames:\n%s\nwant:\n%s", got, want)
	}
}

func TestAuthorizationLearnedAndHidden(t *testing.T) {
	red := NewRedactor()
	client := reads(0, crlf("GET /chat/c1 HTTP/1.1\nauthorization: Bearer tok-0123456789\n\n"))
	frames := parseConn(t, red, client, feed{})
	if want := "GET /chat/c1 HTTP/1.1\nauthorization: Bearer [redacted token]"; frames[0].Text != want {
		t.Errorf("head %q, want %q", frames[0].Text, want)
	}
	if got := red.Redact("token was tok-0123456789."); got != "token was [redacted token]." {
		t.Errorf("bearer value not learned: %q", got)
	}
}

// Past the per-spec limit the parser loses its place; an HTTP connection
// finds it again at the next request of a later spec.
func TestTruncatedRecordingResyncs(t *testing.T) {
	p := newConnParser(NewRedactor(), 1, 100)
	cut := reads(0, crlf("POST /x HTTP/1.1\nContent-Length: 1000\n\n")+"abc")
	cut.dropped = 997
	first := p.advance([2]feed{cut, {}}, false)
	if len(first) != 2 || first[0].kind != KindRaw || first[1].kind != KindNote || !strings.Contains(first[1].text, "[truncated: 997 more bytes") {
		t.Fatalf("first: %+v", first)
	}
	second := p.advance([2]feed{reads(time.Second, "tail of the last body", crlf("GET /y HTTP/1.1\n\n")), reads(time.Second, crlf("HTTP/1.1 200 OK\nContent-Length: 0\n\n"))}, false)
	var got []string
	for _, d := range second {
		got = append(got, string(d.dir)+" "+d.kind)
	}
	want := []string{"sent note", "sent http-request", "received http-response"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("second: %v, want %v (%+v)", got, want, second)
	}
}

func TestAssembleLimitsAndOrder(t *testing.T) {
	red := NewRedactor()
	var drafts []draft
	drafts = append(drafts, draft{conn: 9, at: t0.Add(-time.Second), dir: Sent, kind: KindRaw, text: "before the spec"})
	for i := range 10 {
		drafts = append(drafts, draft{conn: 7 + i%2, at: t0.Add(time.Duration(10-i) * time.Millisecond), dir: Received, kind: KindRaw, text: strings.Repeat("x", 50) + string(rune('a'+i))})
	}
	frames := assemble(red, Limits{Frames: 4, Text: 20}.withDefaults(), t0, drafts)
	if len(frames) != 5 || frames[0].Kind != KindNote || frames[0].Conn != 0 || !strings.Contains(frames[0].Text, "6 earlier frames") {
		t.Fatalf("frames: %+v", frames)
	}
	for i, f := range frames[1:] {
		if want := time.Duration(7+i) * time.Millisecond; f.At != want {
			t.Errorf("frame %d at %v, want %v", i, f.At, want)
		}
		if want := strings.Repeat("x", 20) + "… [clipped: 31 more bytes]"; f.Text != want {
			t.Errorf("text %q, want %q", f.Text, want)
		}
	}
	if frames[1].Conn != 1 || frames[2].Conn != 2 || frames[3].Conn != 1 {
		t.Errorf("conns numbered by appearance: %d %d %d", frames[1].Conn, frames[2].Conn, frames[3].Conn)
	}
}
