package load

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/wcp-project/wcp/wire"
)

// serverFrame builds an unmasked frame as a server sends it.
func serverFrame(fin bool, op byte, p []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	b := []byte{b0}
	switch n := len(p); {
	case n < 126:
		b = append(b, byte(n))
	case n <= 0xffff:
		b = append(b, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, p...)
}

func TestRawWSParse(t *testing.T) {
	tcp, ln := tcpPair(t)
	defer ln.Close()
	defer tcp[0].Close()
	defer tcp[1].Close()
	w := &rawWS{c: tcp[0]}
	big := bytes.Repeat([]byte("x"), 70000)
	mid := bytes.Repeat([]byte("y"), 300)
	var in []byte
	in = append(in, serverFrame(true, 1, []byte("42[\"a\"]"))...)
	in = append(in, serverFrame(false, 1, []byte("he"))...)
	in = append(in, serverFrame(false, 0, []byte("ll"))...)
	in = append(in, serverFrame(true, 0x9, []byte("p"))...) // a ping inside a fragmented message
	in = append(in, serverFrame(true, 0, []byte("o"))...)
	in = append(in, serverFrame(true, 1, mid)...)
	in = append(in, serverFrame(true, 1, big)...)
	var got [][]byte
	// Feed it in awkward pieces, as reads would.
	var buf []byte
	for i := 0; i < len(in); i += 7 {
		buf = append(buf, in[i:min(i+7, len(in))]...)
		used, err := w.parse(buf, func(p []byte) { got = append(got, append([]byte(nil), p...)) })
		if err != nil {
			t.Fatal(err)
		}
		buf = buf[used:]
	}
	want := [][]byte{[]byte(`42["a"]`), []byte("hello"), mid, big}
	if len(got) != len(want) || len(buf) != 0 {
		t.Fatalf("got %d messages (%d bytes left), want %d", len(got), len(buf), len(want))
	}
	for i := range want {
		if !bytes.Equal(got[i], want[i]) {
			t.Errorf("message %d: %d bytes, want %d", i, len(got[i]), len(want[i]))
		}
	}
	if _, err := w.parse([]byte{0x81, 0x85, 1, 2, 3, 4, 5}, func([]byte) {}); err == nil {
		t.Errorf("a masked server frame was accepted")
	}
}

func TestRawWSWriteFrameIsMasked(t *testing.T) {
	w := &rawWS{mask: [4]byte{1, 2, 3, 4}}
	tcp, ln := tcpPair(t)
	defer ln.Close()
	defer tcp[0].Close()
	defer tcp[1].Close()
	w.c = tcp[0]
	if err := w.write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := tcp[1].Read(buf)
	f := buf[:n]
	if f[0] != 0x81 || f[1] != 0x80|5 || !bytes.Equal(f[2:6], []byte{1, 2, 3, 4}) {
		t.Fatalf("header % x", f[:6])
	}
	p := f[6:]
	for i := range p {
		p[i] ^= w.mask[i&3]
	}
	if string(p) != "hello" {
		t.Errorf("unmasked payload %q", p)
	}
}

func tcpPair(t *testing.T) ([2]*net.TCPConn, net.Listener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b := <-ch
	return [2]*net.TCPConn{a.(*net.TCPConn), b.(*net.TCPConn)}, ln
}

func FuzzRawWSParse(f *testing.F) {
	f.Add(serverFrame(true, 1, []byte("42[]")))
	f.Add(append(serverFrame(false, 1, []byte("a")), serverFrame(true, 0, []byte("b"))...))
	f.Add([]byte{0x81, 127, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	// Control frames are answered on a real socket whose peer discards.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			buf := make([]byte, 64<<10)
			for {
				if _, err := c.Read(buf); err != nil {
					return
				}
			}
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		f.Fatal(err)
	}
	defer nc.Close()
	f.Fuzz(func(t *testing.T, b []byte) {
		w := &rawWS{c: nc.(*net.TCPConn)}
		_, _ = w.parse(b, func([]byte) {})
	})
}

// TestRawWSSendDeadlineOutlivesTheSend: the write deadline a send sets
// stays on the socket, so a later plain write (a pong of an idle session,
// say) fails once it has passed, while a send moves it on. That is why
// pongs go out with send (session.handle): a missed pong is a heartbeat
// the server ends the session for.
func TestRawWSSendDeadlineOutlivesTheSend(t *testing.T) {
	tcp, ln := tcpPair(t)
	defer ln.Close()
	defer tcp[0].Close()
	defer tcp[1].Close()
	w := &rawWS{c: tcp[0]}
	const d = 2 * time.Millisecond
	if err := w.writeWithin([]byte("42[]"), d); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * d) // a deadline is a time: nothing signals it
	if err := w.write([]byte(wire.PongFrame)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("a plain write after the send's deadline: %v, want it to fail on that deadline", err)
	}
	if err := w.writeWithin([]byte(wire.PongFrame), time.Second); err != nil {
		t.Errorf("a send after the deadline: %v", err)
	}
}
