package reference

import (
	"fmt"
	"time"
)

// Limits bound what any one client can make the server hold: memory,
// goroutines, file descriptors, time. Every limit has a wcp serve flag and
// shows in /metrics, and a refusal because of one is visible: a code to
// the client where the protocol has a place for it, a log line and a
// counter (wcp_limit_refusals_total{limit=...}); the limits themselves are
// the gauge wcp_limit{limit=...}. A zero field takes its default
// (DefaultLimits).
type Limits struct {
	// MaxConns bounds open TCP connections, HTTP and Socket.IO together;
	// past it new connections are closed at once.
	MaxConns int
	// MaxPendingHandshakes bounds Engine.IO connections that have no
	// Socket.IO session yet (opened, no accepted CONNECT).
	MaxPendingHandshakes int
	// HandshakeTimeout is how long an Engine.IO connection may go without
	// an accepted CONNECT before it is closed.
	HandshakeTimeout time.Duration
	// ReadTimeout bounds reading one HTTP request, headers and body.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing one HTTP response or one socket frame to
	// a client that does not read.
	WriteTimeout time.Duration
	// SessionBuffer is the steady-state allowance of bytes queued for one
	// socket and not yet written. A socket may go over it only briefly, on
	// a burst: one still over it BurstGrace after it went over (it did not
	// get back to SessionBuffer or less meanwhile) is a slow receiver and
	// is ended. A replay writes into half of it.
	SessionBuffer int
	// SessionBurst is the cap on bytes queued for one socket, however
	// briefly: a socket over it is a slow receiver and is ended at once. It
	// must be at least SessionBuffer; zero takes the default, or
	// SessionBuffer if that is larger.
	SessionBurst int
	// BurstGrace is how long a socket may stay over SessionBuffer (and
	// under SessionBurst) before it is ended as a slow receiver: a reader
	// must take a burst within it.
	BurstGrace time.Duration
	// SlowAfter is how long a socket with bytes queued may go without a
	// write finishing before it is ended as a slow receiver.
	SlowAfter time.Duration
	// ReplayPage is how many stored messages a replay (CON-2) reads from
	// the database at once; the next page is read only when the socket has
	// drained the last one.
	ReplayPage int
	// WriterQueue bounds messages accepted and not yet committed,
	// acknowledged and delivered (so a slow fan-out pushes back too); past
	// it new messages are refused (code internal, "server busy"). Once it
	// is half full it is shared fairly, between chats and between the
	// sessions of each chat (fairShare, writershare.go), so a flood in one
	// chat does not get other chats' messages refused.
	WriterQueue int
}

// DefaultLimits are the limits of a server that sets none: sized for the
// 20,000 file descriptors of a default process here, messages of 16 KiB
// and replays of any length.
func DefaultLimits() Limits {
	return Limits{
		MaxConns:             10000,
		MaxPendingHandshakes: 1000,
		HandshakeTimeout:     10 * time.Second,
		ReadTimeout:          10 * time.Second,
		WriteTimeout:         10 * time.Second,
		SessionBuffer:        1 << 20,
		SessionBurst:         8 << 20,
		BurstGrace:           2 * time.Second,
		SlowAfter:            15 * time.Second,
		ReplayPage:           100,
		WriterQueue:          10000,
	}
}

// withDefaults fills the zero fields of l from DefaultLimits.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	set := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setD := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&l.MaxConns, d.MaxConns)
	set(&l.MaxPendingHandshakes, d.MaxPendingHandshakes)
	setD(&l.HandshakeTimeout, d.HandshakeTimeout)
	setD(&l.ReadTimeout, d.ReadTimeout)
	setD(&l.WriteTimeout, d.WriteTimeout)
	set(&l.SessionBuffer, d.SessionBuffer)
	set(&l.SessionBurst, max(d.SessionBurst, l.SessionBuffer))
	setD(&l.BurstGrace, d.BurstGrace)
	setD(&l.SlowAfter, d.SlowAfter)
	set(&l.ReplayPage, d.ReplayPage)
	set(&l.WriterQueue, d.WriterQueue)
	return l
}

// check reports limits that contradict each other (after withDefaults).
func (l Limits) check() error {
	if l.SessionBurst < l.SessionBuffer {
		return fmt.Errorf("limits: SessionBurst (%d bytes) is below SessionBuffer (%d bytes); the burst cap must be at least the steady-state buffer", l.SessionBurst, l.SessionBuffer)
	}
	return nil
}

// limitHit records a refusal because of limit: the counter, and a log
// line (at warn: an operator wants to know a limit is being reached, and
// which).
func (s *Server) limitHit(limit, what string, attrs ...any) {
	s.metrics.limitRefusals.WithLabelValues(limit).Inc()
	s.log.Warn(what, append([]any{"limit", limit}, attrs...)...)
}
