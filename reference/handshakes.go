package reference

import (
	"net/http"
	"time"

	"github.com/wcp-project/wcp"
)

// Handshakes without a session.
//
// An Engine.IO handshake needs no credentials: anyone can open one with a
// single GET, and it costs the server an engine socket, a Socket.IO client,
// two goroutines (the engine's ping timer, Socket.IO's connect timer) and
// their buffers, about 13 KiB, until it closes. So it is bounded twice:
//
//   - at most Limits.MaxPendingHandshakes connections are open without a
//     session at once, handshakes under way included; a handshake past
//     that is refused before the engine sees it, with 503 and the JSON
//     error body of PROTOCOL.md section 2, code internal (for a polling
//     GET and a websocket upgrade alike: the upgrade is not performed);
//   - a connection without a session is closed once it has been so for
//     Limits.HandshakeTimeout: from its handshake, and again from the end
//     of a session that leaves it open (a client DISCONNECT, a revocation).
//
// Socket.IO has a connectTimeout of its own, but it is not enough: it
// closes gracefully, which for a polling connection waits up to 30 s for
// the next poll (with a goroutine of its own, which a later discarding
// close does not stop), and it is not re-armed when a session ends and the
// connection stays open. So it is set to twice HandshakeTimeout, a backstop
// (server.go), and the close here discards.

// guardHandshakes refuses new Engine.IO connections while MaxPendingHandshakes
// are open without a session. A request naming a connection (sid) is that
// connection's own (a poll, a post, an upgrade) and always passes.
func (s *Server) guardHandshakes(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("sid") != "" {
			next.ServeHTTP(w, r)
			return
		}
		cs := s.conns
		if !cs.reserve() {
			cs.refused.hit("remote", r.RemoteAddr, "max_pending", s.limits.MaxPendingHandshakes)
			w.Header().Set("Connection", "close") // free the descriptor too
			writeJSON(w, http.StatusServiceUnavailable, wcp.ErrorBody{Error: wcp.NewError(wcp.CodeInternal,
				"too many connections without a session; try again later")})
			return
		}
		// The handshake's connection, if it makes one, is counted by
		// startPending before this reservation goes.
		defer cs.held.Add(-1)
		next.ServeHTTP(w, r)
	})
}

// reserve takes a place for a handshake under way, if there is one.
func (cs *engineConns) reserve() bool {
	if cs.held.Add(1) > int64(cs.s.limits.MaxPendingHandshakes) {
		cs.held.Add(-1)
		return false
	}
	return true
}

// startPending counts a new connection as pending and starts its clock;
// c is not shared yet.
func (c *engineConn) startPending() {
	c.pending = true
	c.s.conns.held.Add(1)
	c.handshake = time.AfterFunc(c.s.limits.HandshakeTimeout, c.handshakeExpired)
}

// accept records ss as the connection's session: it is no longer pending.
func (c *engineConn) accept(ss *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.session = ss
	if c.pending {
		c.pending = false
		c.handshake.Stop()
		c.s.conns.held.Add(-1)
	}
}

// release is the end of ss: a connection that stays open is pending again.
func (c *engineConn) release(ss *session) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != ss {
		return
	}
	c.session = nil
	if c.closed || c.ended || c.pending || c.conn.ReadyState() != "open" {
		return
	}
	c.pending = true
	c.s.conns.held.Add(1)
	c.handshake.Reset(c.s.limits.HandshakeTimeout)
}

// handshakeExpired closes a connection still without a session.
func (c *engineConn) handshakeExpired() {
	c.mu.Lock()
	expired := c.pending && !c.closed && !c.ended
	if expired {
		c.ended = true
	}
	c.mu.Unlock()
	if !expired {
		return
	}
	c.s.conns.timedOut.hit("remote", c.conn.RemoteAddress(), "timeout", c.s.limits.HandshakeTimeout)
	c.conn.Close(true)
}
