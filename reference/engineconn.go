package reference

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/zishang520/socket.io/servers/engine/v3"
	"github.com/zishang520/socket.io/servers/engine/v3/transports"
)

// engineConn is what the server keeps of one Engine.IO connection, from its
// handshake to its close: what it has queued (sendQueue), whether it has a
// session yet (handshakes.go), and that session. Its listeners are on the
// connection's own emitters, so they go with it; nothing is added per
// session (a listener per CONNECT, never removed, is what made a socket
// that connects and disconnects over and over grow without bound).
type engineConn struct {
	s    *Server
	conn engine.Socket
	out  *sendQueue

	mu        sync.Mutex
	session   *session    // the accepted session; nil while there is none
	pending   bool        // open without a session: counted in engineConns.held
	handshake *time.Timer // closes the connection if it stays pending for HandshakeTimeout
	ended     bool        // a limit ended it
	closed    bool
}

// engineConns is the server's open Engine.IO connections.
type engineConns struct {
	s   *Server
	mu  sync.Mutex
	all map[engine.Socket]*engineConn
	// held counts connections without a session plus handshakes under way;
	// MaxPendingHandshakes bounds it (handshakes.go).
	held atomic.Int64

	refused, timedOut *quietLimit // anonymous floods hit these: logged at most once a second
}

func newEngineConns(s *Server) *engineConns {
	return &engineConns{
		s:        s,
		all:      make(map[engine.Socket]*engineConn),
		refused:  s.quietLimit(limitHandshakes, "Socket.IO handshake refused: too many connections without a session"),
		timedOut: s.quietLimit(limitHandshakeTime, "Engine.IO connection closed: no session within the handshake timeout"),
	}
}

// opened is the engine's "connection" event: a handshake succeeded.
func (cs *engineConns) opened(args ...any) {
	if conn, ok := args[0].(engine.Socket); ok {
		cs.attach(conn)
	}
}

// attach returns conn's engineConn, made and wired on first sight. The
// engine's "connection" event comes first, but a CONNECT can race it on a
// polling connection (its POST is a request of its own), so the session's
// side may be the one to make it.
func (cs *engineConns) attach(conn engine.Socket) *engineConn {
	cs.mu.Lock()
	c := cs.all[conn]
	fresh := c == nil
	if fresh {
		c = &engineConn{s: cs.s, conn: conn}
		c.out = newSendQueue(cs.s.limits, c.end)
		c.startPending()
		cs.all[conn] = c
	}
	cs.mu.Unlock()
	if fresh {
		c.watch()
	}
	return c
}

// watch subscribes c to its connection's events.
func (c *engineConn) watch() {
	conn := c.conn
	_ = conn.On("packetCreate", c.out.created)
	_ = conn.On("flush", c.out.flushed)
	_ = conn.On("upgrade", func(args ...any) {
		if t, ok := args[0].(transports.Transport); ok {
			c.out.follow(t)
		}
	})
	c.out.followFirst(conn.Transport())
	_ = conn.Once("close", func(...any) { c.onClose() })
	if conn.ReadyState() == "closed" {
		c.onClose() // it closed before the listener was there
	}
}

// onClose forgets the connection.
func (c *engineConn) onClose() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	wasPending := c.pending
	c.pending = false
	c.handshake.Stop()
	c.mu.Unlock()
	cs := c.s.conns
	if wasPending {
		cs.held.Add(-1)
	}
	c.out.closed()
	cs.mu.Lock()
	delete(cs.all, c.conn)
	cs.mu.Unlock()
}

// end ends the connection because of limit, at once: its session leaves
// its hub (no more live messages), and the connection closes discarding
// what is queued. It is not sent a DISCONNECT, which would wait behind the
// very bytes the client is not reading; the client sees its transport
// close and reconnects with `after` (CON-2), losing nothing.
func (c *engineConn) end(limit, what string, attrs ...any) {
	c.mu.Lock()
	if c.ended || c.closed {
		c.mu.Unlock()
		return
	}
	c.ended = true
	ss := c.session
	c.mu.Unlock()
	attrs = append(attrs, "remote", c.conn.RemoteAddress())
	if ss != nil {
		c.s.hubs.leave(ss)
		attrs = append(attrs, "session", ss.id, "chat", ss.chatID, "user", ss.userID)
	}
	c.s.limitHit(limit, what, attrs...)
	c.conn.Close(true)
}
