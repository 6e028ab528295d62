package load

import (
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/load/report"
	"github.com/wcp-project/wcp/wire"
)

// A session whose server says goodbye (an Engine.IO close, or a Socket.IO
// DISCONNECT) must end its reader. On ws:// the reader runs inside
// RawConn.Read, where closing the connection would wait for itself.
func TestReaderEndsWhenServerCloses(t *testing.T) {
	for _, bye := range []string{"1", "4" + string(wire.Disconnect)} {
		tcp, ln := tcpPair(t)
		rc, err := tcp[0].SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		cfg := Config{BodyBytes: DefaultBodyBytes, AckTimeout: time.Second}
		s := &session{crew: newCrew(&cfg, report.NewMetrics(1)), book: &chatBook{}}
		l := newLink(&conn{raw: &rawWS{c: tcp[0], rc: rc}}, wcp.Session{}, nil)
		s.link.Store(l)
		s.alive.Store(true)
		go s.read(l)
		if _, err := tcp[1].Write(serverFrame(true, 0x1, []byte(bye))); err != nil {
			t.Fatal(err)
		}
		select {
		case <-l.dead:
		case <-time.After(10 * time.Second):
			t.Fatalf("after %q the reader is still running", bye)
		}
		if s.alive.Load() || s.crew.disconnects.Load() != 1 {
			t.Errorf("after %q: alive %v, disconnects %d", bye, s.alive.Load(), s.crew.disconnects.Load())
		}
		tcp[1].Close()
		ln.Close()
	}
}

// A slow reader reads no faster than its rate: five reads at 20/s take at
// least four gaps of 50 ms (a lower bound only: a busy machine makes it
// slower, never faster); closing the link wakes it at once.
func TestSlowReaderPace(t *testing.T) {
	s := &session{pop: &population{readEvery: 50 * time.Millisecond}}
	l := newLink(nil, wcp.Session{}, nil)
	start := time.Now()
	for range 5 {
		s.readSlowly(l)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("5 reads at 20/s took %v, want at least 200ms", took)
	}
	s = &session{pop: &population{readEvery: time.Hour}}
	s.readSlowly(l) // the next read is an hour away now
	done := make(chan struct{})
	go func() { s.readSlowly(l); close(done) }()
	l.once.Do(func() { close(l.quit) })
	<-done
}
