package transcript

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// The recorder's proxy forwards each connection byte for byte and ends
// each side the way its peer ended the other: a FIN becomes a half-close
// (CloseWrite), so a server that stops sending but keeps reading, or a
// client that sends its request and shuts down writing, behaves as it
// would with no proxy; a reset or an error becomes a reset (linger 0), so
// a spec that checks that the server hangs up sees the hang-up, and a
// crash of the target (MSG-3) ends the client's connection at once. No
// deadline is set: a silent server stays silent.

// dialTimeout bounds connecting to the target, for a target given as a
// URL that no longer answers; a refused connection fails at once, and
// Close ends a dial in progress.
const dialTimeout = 30 * time.Second

// serve forwards one accepted connection to the target.
func (r *Recorder) serve(down *net.TCPConn) {
	defer r.wg.Done()
	if !r.track(down) {
		return
	}
	defer r.untrack(down)
	c := r.newConn()
	// A side that ends with no word of its own (ended by the other's
	// failure, or by Close) ends without a frame, so that End can forget
	// the connection.
	defer func() {
		r.end(c, 0, "")
		r.end(c, 1, "")
	}()
	d := net.Dialer{Timeout: dialTimeout}
	conn, err := d.DialContext(r.ctx, "tcp", r.upstream)
	if err != nil {
		// The client would have been refused: the nearest a proxy that
		// already accepted can come is a reset.
		r.end(c, 1, fmt.Sprintf("reset: the recorder could not reach the target (%v) and reset the client's connection", err))
		reset(down)
		return
	}
	up := conn.(*net.TCPConn)
	if !r.track(up) {
		return
	}
	defer r.untrack(up)
	done := make(chan struct{})
	go func() {
		r.pipe(c, 0, up, down)
		close(done)
	}()
	r.pipe(c, 1, down, up)
	<-done
}

// pipe copies src to dst, recording what it copies as side (0: from the
// client, 1: from the server), until src ends; then it ends dst the same
// way.
func (r *Recorder) pipe(c *connRec, side int, dst, src *net.TCPConn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			// Recorded before it is forwarded: a spec that has read an
			// answer finds it in the recording when it ends.
			r.record(c, side, time.Now(), buf[:n])
			if _, werr := dst.Write(buf[:n]); werr != nil {
				// dst's peer is gone, or the other pipe ended dst: src
				// learns it the way it would have, by a reset.
				if !errors.Is(werr, net.ErrClosed) {
					r.end(c, 1-side, describe(werr))
				}
				reset(src)
				reset(dst)
				return
			}
		}
		switch {
		case err == nil:
		case errors.Is(err, io.EOF):
			r.end(c, side, "end of stream (FIN)")
			_ = dst.CloseWrite()
			return
		case errors.Is(err, net.ErrClosed):
			return // ended by the other pipe, which said why
		default:
			r.end(c, side, describe(err))
			reset(dst)
			reset(src)
			return
		}
	}
}

// describe names how a connection failed.
func describe(err error) string {
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "reset (RST)"
	case errors.Is(err, syscall.EPIPE):
		return "reset (broken pipe)"
	}
	return "ended by an error: " + err.Error()
}

// reset closes c abruptly: with linger 0 the kernel sends RST, not FIN,
// and drops what was not sent.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}
