package reference

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// countConn counts the Writes that reach the connection under a batchConn.
type countConn struct {
	net.Conn
	writes atomic.Int64
}

func (c *countConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

func newBatchPipe(batching bool) (*batchConn, *countConn, net.Conn) {
	a, b := net.Pipe()
	cc := &countConn{Conn: a}
	bc, _ := batchListener{Listener: oneConn{cc}}.Accept()
	c := bc.(*batchConn)
	if batching {
		batchWrites(context.WithValue(context.Background(), batchConnKey{}, c))
	}
	return c, cc, b
}

// oneConn is a listener that accepts one given connection.
type oneConn struct{ c net.Conn }

func (l oneConn) Accept() (net.Conn, error) { return l.c, nil }
func (l oneConn) Close() error              { return nil }
func (l oneConn) Addr() net.Addr            { return nil }

// TestBatchConnCoalesces: frames written while the connection is busy go out
// together, intact and in order, and Close flushes what is left.
func TestBatchConnCoalesces(t *testing.T) {
	c, cc, peer := newBatchPipe(true)
	defer peer.Close()
	var want bytes.Buffer
	for i := range 100 {
		frame := fmt.Appendf(nil, "frame %d;", i)
		want.Write(frame)
		if n, err := c.Write(frame); n != len(frame) || err != nil {
			t.Fatalf("write %d: %d %v", i, n, err)
		}
	}
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(peer)
		got <- b
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if b := <-got; !bytes.Equal(b, want.Bytes()) {
		t.Fatalf("peer read %q, want %q", b, want.Bytes())
	}
	// The first frame may go alone; the 99 written while it waited for the
	// reader go together.
	if n := cc.writes.Load(); n > 3 {
		t.Errorf("%d writes reached the connection for 100 frames", n)
	}
}

// TestBatchConnPassThrough: a connection that does not carry a websocket
// writes each Write at once.
func TestBatchConnPassThrough(t *testing.T) {
	c, cc, peer := newBatchPipe(false)
	defer c.Close()
	go io.Copy(io.Discard, peer)
	for range 5 {
		c.Write([]byte("x"))
	}
	if n := cc.writes.Load(); n != 5 {
		t.Fatalf("%d writes for 5, want 5", n)
	}
	peer.Close()
}

// TestBatchConnError: a failed write is returned by the next Write.
func TestBatchConnError(t *testing.T) {
	c, _, peer := newBatchPipe(true)
	peer.Close()
	c.Write([]byte("lost"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := c.Write([]byte("x")); err != nil {
			if !errors.Is(err, io.ErrClosedPipe) {
				t.Fatalf("write error %v, want the connection's", err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the write error never surfaced")
		}
		time.Sleep(time.Millisecond)
	}
	c.Close()
}

// TestBatchConnBounded: for a peer that does not read, Writes block once
// maxPending bytes wait; Close ends them and returns at once, and the
// connection is closed after closeFlushWait.
func TestBatchConnBounded(t *testing.T) {
	defer func(d time.Duration) { closeFlushWait = d }(closeFlushWait)
	closeFlushWait = 100 * time.Millisecond
	c, _, peer := newBatchPipe(true)
	defer peer.Close()
	frame := make([]byte, 1024)
	wrote := make(chan error)
	go func() {
		var err error
		for err == nil {
			_, err = c.Write(frame)
		}
		wrote <- err
	}()
	select {
	case err := <-wrote:
		t.Fatalf("writes to a peer that does not read ended: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	c.mu.Lock()
	pending := len(*c.buf)
	c.mu.Unlock()
	if pending < maxPending || pending > maxPending+len(frame) {
		t.Fatalf("%d bytes pending, want about %d", pending, maxPending)
	}
	closed := make(chan error)
	go func() { closed <- c.Close() }()
	select {
	case <-closed:
	case <-time.After(50 * time.Millisecond):
		t.Fatal("Close waited for a peer that does not read")
	}
	select {
	case err := <-wrote:
		if err == nil {
			t.Fatal("blocked write ended without an error")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not end the blocked write")
	}
	// The flusher gives up after closeFlushWait and closes the connection.
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, peer); err != nil {
		t.Fatalf("the connection was not closed: %v", err)
	}
	if _, err := c.Write(frame); err == nil {
		t.Fatal("write after Close succeeded")
	}
}

// TestBatchConnWriteTimeout: a flush that a peer takes nothing of for
// writeTimeout fails, closes the connection (the peer sees it end) and is
// reported once; later Writes fail.
func TestBatchConnWriteTimeout(t *testing.T) {
	a, peer := net.Pipe()
	defer peer.Close()
	timedOut := make(chan net.Conn, 2)
	bc, _ := batchListener{Listener: oneConn{a}, writeTimeout: 100 * time.Millisecond,
		timedOut: func(c net.Conn) { timedOut <- c }}.Accept()
	c := bc.(*batchConn)
	batchWrites(context.WithValue(context.Background(), batchConnKey{}, c))
	start := time.Now()
	if _, err := c.Write([]byte("never read")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-timedOut:
	case <-time.After(5 * time.Second):
		t.Fatal("the blocked flush was not reported")
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("reported after %v, before the write timeout", d)
	}
	peer.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, peer); err != nil {
		t.Fatalf("the connection was not closed: %v", err)
	}
	if _, err := c.Write([]byte("more")); err == nil {
		t.Fatal("a write after the timeout succeeded")
	}
	c.Close()
	select {
	case <-timedOut:
		t.Fatal("reported twice")
	default:
	}
}

// BenchmarkConnWrite is the cost of writing one 250-byte websocket frame to
// a loopback TCP connection whose peer reads everything: one system call
// per frame without batching, one per burst with it (GOMAXPROCS writers).
// The server gains more than this shows: there, every small write also
// wakes the peer's reader for one frame.
func BenchmarkConnWrite(b *testing.B) {
	for _, batching := range []bool{false, true} {
		b.Run(fmt.Sprintf("batching=%v", batching), func(b *testing.B) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			bl := batchListener{Listener: ln}
			accepted := make(chan *batchConn, 1)
			go func() {
				c, err := bl.Accept()
				if err == nil {
					accepted <- c.(*batchConn)
				}
			}()
			peer, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			read := make(chan int64)
			go func() {
				n, _ := io.Copy(io.Discard, peer)
				read <- n
			}()
			c := <-accepted
			c.batching.Store(batching)
			frame := bytes.Repeat([]byte("x"), 250)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.Write(frame); err != nil {
						b.Error(err)
						return
					}
				}
			})
			c.Close()
			if n := <-read; n != int64(b.N*len(frame)) {
				b.Fatalf("peer read %d bytes, want %d", n, b.N*len(frame))
			}
			b.StopTimer()
			peer.Close()
		})
	}
}
