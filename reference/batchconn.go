package reference

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Write coalescing for websocket connections.
//
// The Socket.IO engine writes every packet as its own websocket frame, and
// the websocket library hands every frame to the connection in its own Write:
// one system call per packet per socket. Fan-out makes these most of the
// server's work (a chat of n sessions costs n writes per message, plus the
// sender's ack). A batchConn turns a websocket connection's Writes into
// appends to a buffer that one flusher goroutine writes out, group-commit
// style: the first Write of an idle connection starts the flusher at once (no
// timer, no added wait beyond a goroutine switch), and every frame queued
// while its system call runs goes out together in the next one. Under load a
// socket's ack and its own delivery, or several deliveries, share one call;
// at low load nothing waits.
//
// The buffer is bounded: a Write that finds maxPending bytes waiting blocks
// until the flusher takes them, so a peer that stops reading still stalls
// the engine's writes as a plain connection would (the send queue's
// slow-receiver rule relies on that: nothing drains, sendqueue.go). Each of
// the flusher's system calls has Limits.WriteTimeout: one that runs out,
// a peer that has not taken a byte for that long, closes the connection
// and is counted (limit write_timeout). A write error is kept and returned
// by every later Write. Close has the flusher write out what is buffered
// (giving a stuck peer closeFlushWait) and close the connection after it,
// without waiting. The flusher exists only while there is something to
// write, so an idle connection costs no goroutine and no buffer.

const maxPending = 256 << 10 // bytes a connection may have waiting for the flusher

var closeFlushWait = 5 * time.Second // how long Close lets the flusher finish; tests shorten it

// batchListener hands out batchConns; they batch once batchWrites is
// called, which the HTTP handler does for websocket upgrades only.
type batchListener struct {
	net.Listener
	writeTimeout time.Duration // of each flush; 0 for none
	timedOut     func(c net.Conn)
}

// batchListener wraps ln with s's write timeout, counting what runs out.
func (s *Server) batchListener(ln net.Listener) batchListener {
	return batchListener{Listener: ln, writeTimeout: s.limits.WriteTimeout, timedOut: func(c net.Conn) {
		s.limitHit(limitWrite, "websocket write timed out; connection closed",
			"remote", c.RemoteAddr().String(), "timeout", s.limits.WriteTimeout)
	}}
}

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	bc := &batchConn{Conn: c, writeTimeout: l.writeTimeout, timedOut: l.timedOut}
	bc.cond.L = &bc.mu
	return bc, nil
}

type batchConnKey struct{}

// connContext puts the connection into its requests' contexts
// (http.Server.ConnContext), so the handler can switch it to batching.
func connContext(ctx context.Context, c net.Conn) context.Context {
	if bc, ok := c.(*batchConn); ok {
		return context.WithValue(ctx, batchConnKey{}, bc)
	}
	return ctx
}

// batchWrites switches the connection of a websocket upgrade request to
// coalesced writes. Nothing else writes to it at that point: the request is
// being handled, and the upgrade's own response is written after this.
func batchWrites(ctx context.Context) {
	if bc, ok := ctx.Value(batchConnKey{}).(*batchConn); ok {
		bc.batching.Store(true)
	}
}

var batchBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

type batchConn struct {
	net.Conn
	writeTimeout time.Duration
	timedOut     func(net.Conn) // nil in tests that make their own

	mu       sync.Mutex
	cond     sync.Cond   // signals a change of flushing, buf or err; L is mu
	batching atomic.Bool // Writes are coalesced; set once, before the upgrade

	flushing bool      // a flusher goroutine owns the connection's writes
	closed   bool      // Close was called
	closeBy  time.Time // the flusher's deadline once closed
	buf      *[]byte   // frames waiting for the flusher; nil when none
	err      error     // the first write error; every later Write returns it
}

func (c *batchConn) Write(p []byte) (int, error) {
	if !c.batching.Load() {
		return c.Conn.Write(p)
	}
	c.mu.Lock()
	for c.err == nil && !c.closed && c.buf != nil && len(*c.buf) >= maxPending {
		c.cond.Wait()
	}
	if c.err != nil || c.closed {
		err := c.err
		if err == nil {
			err = net.ErrClosed
		}
		c.mu.Unlock()
		return 0, err
	}
	if c.buf == nil {
		c.buf = batchBufs.Get().(*[]byte)
	}
	*c.buf = append(*c.buf, p...)
	if !c.flushing {
		c.flushing = true
		go c.flush()
	}
	c.mu.Unlock()
	return len(p), nil
}

// flush writes out the buffer until it finds it empty, one system call per
// round, each with its deadline: writeTimeout from its start, or what Close
// left, whichever comes first. (Setting it on every round also replaces any
// deadline net/http left on the connection before the upgrade.)
func (c *batchConn) flush() {
	c.mu.Lock()
	timedOut := false
	for c.buf != nil && c.err == nil {
		out := c.buf
		c.buf = nil
		c.cond.Broadcast() // room for blocked Writes
		c.Conn.SetWriteDeadline(c.deadline())
		c.mu.Unlock()
		_, err := c.Conn.Write(*out)
		*out = (*out)[:0]
		if cap(*out) <= maxPending {
			batchBufs.Put(out)
		}
		c.mu.Lock()
		if err != nil && c.err == nil {
			c.err = err
			timedOut = !c.closed && errors.Is(err, os.ErrDeadlineExceeded) // not Close's own deadline
		}
	}
	c.flushing = false
	c.buf = nil
	closed := c.closed
	c.cond.Broadcast()
	c.mu.Unlock()
	switch {
	case closed:
		c.Conn.Close() // Close left it to the flusher
	case timedOut:
		// The peer took nothing for writeTimeout: close, so that the
		// websocket's reader fails and the engine ends the socket now,
		// not at its next write.
		c.Conn.Close()
		if c.timedOut != nil {
			c.timedOut(c.Conn)
		}
	}
}

// deadline is the next flush's write deadline; c.mu is held.
func (c *batchConn) deadline() time.Time {
	var d time.Time
	if c.writeTimeout > 0 {
		d = time.Now().Add(c.writeTimeout)
	}
	if c.closed && (d.IsZero() || c.closeBy.Before(d)) {
		d = c.closeBy
	}
	return d
}

// Close closes the connection once what is buffered is written. While the
// flusher is still at it, Close leaves the closing to it and returns at
// once: a peer that stopped reading must not hold up whoever closes (the
// engine closes its sockets one after the other), and it gets closeFlushWait
// before its connection is closed anyway.
func (c *batchConn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	c.cond.Broadcast() // Writes waiting for room fail now
	if c.flushing {
		c.closeBy = time.Now().Add(closeFlushWait)
		c.Conn.SetWriteDeadline(c.closeBy)
		c.mu.Unlock()
		return nil
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// CloseWrite flushes, then shuts down the writing side (net/http's lingering
// close uses it).
func (c *batchConn) CloseWrite() error {
	c.mu.Lock()
	c.drain()
	c.mu.Unlock()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// drain waits, with c.mu held, for the flusher to write out the buffer or
// fail, giving it closeFlushWait. Only CloseWrite waits: net/http uses it
// on connections that do not batch, where there is no flusher.
func (c *batchConn) drain() {
	if c.flushing {
		c.Conn.SetWriteDeadline(time.Now().Add(closeFlushWait))
		for c.flushing {
			c.cond.Wait()
		}
	}
}

// SetWriteDeadline and SetDeadline apply to the flusher's writes; with
// batching they are left to Close, since a Write returns before its bytes go
// out and a deadline set for one frame would cut another's system call.
func (c *batchConn) SetWriteDeadline(t time.Time) error {
	if c.batching.Load() {
		return nil
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *batchConn) SetDeadline(t time.Time) error {
	if err := c.Conn.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}
