package reference

import (
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The listener's side of Limits: how many connections are open at once,
// and which of them ran out of time.
//
// connLimiter admits at most MaxConns open connections. One past it is
// closed as soon as it is accepted, and Accept goes on to the next: it never
// waits for a slot (netutil.LimitListener would, and a full server would
// then leave every newcomer in the kernel's backlog, the ones that would
// fit once a slot frees as well as the flood). A connection holds its slot
// until it is closed, whoever closes it: net/http, or the websocket library
// once it has hijacked it (batchConn's delayed close included, since the
// descriptor is open until then).
//
// Its connections also notice the HTTP read and write deadlines running
// out (http.Server's ReadTimeout and WriteTimeout, set from Limits): a
// request not read within ReadTimeout, a response not written within
// WriteTimeout. net/http ends such a connection without a word to the
// handler, so this is the one place to count them. A hijacked connection
// carries a websocket from then on, whose timeouts are the socket's own
// business (batchConn counts those), and a read timing out before a byte of
// a request came is a connection left idle, not a slow client (clients keep
// spare connections: Go's Transport pools one it dialed and then did not
// need); neither is counted.
type connLimiter struct {
	net.Listener
	max  int64
	open atomic.Int64

	refused, readTimeouts, writeTimeouts *quietLimit
}

// limitConns wraps ln so it admits at most s.limits.MaxConns connections,
// and adds their gauge, wcp_conns_open, to /metrics.
func (s *Server) limitConns(ln net.Listener) *connLimiter {
	l := &connLimiter{
		Listener:      ln,
		max:           int64(s.limits.MaxConns),
		refused:       s.quietLimit(limitConns, "connection refused: too many open connections"),
		readTimeouts:  s.quietLimit(limitRead, "HTTP request not read in time; connection closed"),
		writeTimeouts: s.quietLimit(limitWrite, "HTTP response not written in time; connection closed"),
	}
	s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "wcp_conns_open", Help: "TCP connections open, HTTP and Socket.IO, at most the conns limit.",
	}, func() float64 { return float64(l.open.Load()) }))
	return l
}

func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			lc := &limitedConn{Conn: c, l: l, accepted: time.Now()}
			lc.idle.Store(true) // until its first request starts
			return lc, nil
		}
		l.open.Add(-1)
		c.Close()
		l.refused.hit("max_conns", l.max, "remote", c.RemoteAddr().String())
	}
}

// connState is the http.Server's ConnState hook: it tells a connection when
// it waits for its next request and when it stops being HTTP.
func (l *connLimiter) connState(c net.Conn, st http.ConnState) {
	if bc, ok := c.(*batchConn); ok {
		c = bc.Conn
	}
	lc, ok := c.(*limitedConn)
	if !ok {
		return
	}
	switch st {
	case http.StateIdle:
		lc.idle.Store(true)
	case http.StateHijacked:
		lc.hijacked.Store(true)
	}
}

// limitedConn is a connection that holds one of the limiter's slots.
type limitedConn struct {
	net.Conn
	l        *connLimiter
	accepted time.Time

	closed   atomic.Bool
	hijacked atomic.Bool // a websocket now: its timeouts are not HTTP's
	idle     atomic.Bool // no byte of a request yet, or none since the last response
	counted  atomic.Bool // a timeout of this connection was counted already

	readDeadline, writeDeadline atomic.Int64 // as set, in Unix nanoseconds; 0 for none
}

func (c *limitedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.idle.Store(false)
	}
	if err != nil && !c.idle.Load() && c.timedOut(err, &c.readDeadline) {
		c.l.readTimeouts.hit("remote", c.RemoteAddr().String())
	}
	return n, err
}

func (c *limitedConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if err != nil && c.timedOut(err, &c.writeDeadline) {
		c.l.writeTimeouts.hit("remote", c.RemoteAddr().String())
	}
	return n, err
}

// timedOut reports whether err is the first deadline this HTTP connection
// ran out of. net/http also cancels its own reads by setting a deadline in
// the past (time.Unix(1, 0)), which is no client's doing: a deadline from
// before the connection was accepted is such a cancellation.
func (c *limitedConn) timedOut(err error, deadline *atomic.Int64) bool {
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() || c.hijacked.Load() {
		return false
	}
	if deadline.Load() < c.accepted.UnixNano() {
		return false
	}
	return c.counted.CompareAndSwap(false, true)
}

// The deadlines are remembered to tell a timeout from a cancellation.

func (c *limitedConn) SetDeadline(t time.Time) error {
	c.readDeadline.Store(unixNano(t))
	c.writeDeadline.Store(unixNano(t))
	return c.Conn.SetDeadline(t)
}

func (c *limitedConn) SetReadDeadline(t time.Time) error {
	c.readDeadline.Store(unixNano(t))
	return c.Conn.SetReadDeadline(t)
}

func (c *limitedConn) SetWriteDeadline(t time.Time) error {
	c.writeDeadline.Store(unixNano(t))
	return c.Conn.SetWriteDeadline(t)
}

// unixNano is t in nanoseconds, 0 for no deadline.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func (c *limitedConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.open.Add(-1)
	}
	return c.Conn.Close()
}

// CloseWrite keeps the half-close net/http's lingering close uses (through
// batchConn.CloseWrite).
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
