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
