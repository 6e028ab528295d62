package reference

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// How Limits.ReadTimeout and WriteTimeout apply to each kind of request.
//
// For the API they are http.Server's own ReadTimeout and WriteTimeout
// (server.go): a read deadline ReadTimeout after the request's first byte,
// for headers and body alike (net/http clears it once the handler has read
// the body to its end, so a handler may run longer), and a write deadline
// WriteTimeout after the headers were read, for the whole response.
// connLimiter counts what runs out.
//
// A long-poll GET on /socket.io/ would break under them: it waits up to
// the ping interval (25 s) for something to send before its response
// starts, so its write deadline starts at the response's first byte
// instead (pollWriter). It has no body, and net/http clears the read
// deadline of a request without one before the handler runs, so its reads
// need nothing. A websocket upgrade needs nothing either: Hijack clears the
// read deadline, and batchConn gives each of its writes its own deadline,
// replacing the one net/http set.

// isUpgrade reports whether r asks for a websocket.
func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// socketIODeadlines sets r's deadlines for Socket.IO and returns the
// ResponseWriter to hand to the engine.
func (s *Server) socketIODeadlines(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	if r.Method != http.MethodGet || isUpgrade(r) {
		return w
	}
	rc := http.NewResponseController(w)
	rc.SetWriteDeadline(time.Time{}) // fails only for a writer with no deadline to clear
	return &pollWriter{ResponseWriter: w, rc: rc, timeout: s.limits.WriteTimeout}
}

// pollWriter gives a long-poll response WriteTimeout from its first byte.
// The engine writes it from its own goroutine while the handler waits.
type pollWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	once    sync.Once
}

func (p *pollWriter) start() {
	p.once.Do(func() { p.rc.SetWriteDeadline(time.Now().Add(p.timeout)) })
}

func (p *pollWriter) WriteHeader(status int) {
	p.start()
	p.ResponseWriter.WriteHeader(status)
}

func (p *pollWriter) Write(b []byte) (int, error) {
	p.start()
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (p *pollWriter) Unwrap() http.ResponseWriter { return p.ResponseWriter }

// errReadTimeout is a request body that was still arriving when
// ReadTimeout ran out. It gets no answer: its connection is closed, as
// net/http closes one whose headers ran out of time (the client is too slow
// to be waiting for one, and the protocol has no code for it).
var errReadTimeout = errors.New("request body not read within the read timeout")

// isTimeout reports whether err is a deadline running out.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// abort closes r's connection without an answer, or with the answer cut
// short where part of it was sent: a client must not take a truncated
// response for a whole one. net/http cannot be told that from a handler
// but by a panic, so the handler takes the connection over and closes it.
func abort(w http.ResponseWriter) {
	if c, _, err := http.NewResponseController(w).Hijack(); err == nil {
		c.Close()
	}
}
