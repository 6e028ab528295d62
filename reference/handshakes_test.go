package reference

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// handshake opens an anonymous polling Engine.IO connection and returns
// the answer's status and body.
func handshake(t testing.TB, hc *http.Client, s *Server) (int, []byte) {
	t.Helper()
	resp, err := hc.Get(s.URL() + "/socket.io/?EIO=4&transport=polling")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestPendingHandshakesRefused: past MaxPendingHandshakes connections
// without a session, polling and websocket handshakes are refused with 503
// and the JSON error body, code internal, and counted; once the pending
// ones time out (HandshakeTimeout), handshakes succeed again. Meanwhile a
// request of an open connection (with its sid) is never refused.
func TestPendingHandshakesRefused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const max = 20
	s := openLimited(t, Limits{MaxPendingHandshakes: max, HandshakeTimeout: time.Second})
	h := startHonest(t, ctx, s)
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	for i := range max {
		if st, body := handshake(t, hc, s); st != http.StatusOK {
			t.Fatalf("handshake %d: %d %s", i, st, body)
		}
	}
	st, body := handshake(t, hc, s)
	var e wcp.ErrorBody
	if st != http.StatusServiceUnavailable || json.Unmarshal(body, &e) != nil || e.Error == nil || e.Error.Code != wcp.CodeInternal {
		t.Fatalf("handshake past the limit: %d %s, want 503 with code internal", st, body)
	}
	if _, err := client.DialRaw(ctx, s.URL()); err == nil {
		t.Fatal("a websocket handshake past the limit was accepted")
	}
	if got := s.hits(limitHandshakes); got != 2 {
		t.Errorf("wcp_limit_refusals_total{limit=%q} = %v, want 2", limitHandshakes, got)
	}

	if !waitFor(5*time.Second, func() bool { return s.hits(limitHandshakeTime) >= max && s.conns.held.Load() <= 1 }) {
		t.Fatalf("after the handshake timeout: %v timed out, %d held", s.hits(limitHandshakeTime), s.conns.held.Load())
	}
	if st, body := handshake(t, hc, s); st != http.StatusOK {
		t.Fatalf("handshake once the pending ones timed out: %d %s", st, body)
	}
	h.check(t, 2*time.Second)
}

// TestHandshakeTimeout: a connection is closed when it has had no session
// for HandshakeTimeout, from its handshake and again from the end of a
// session it outlives (a client DISCONNECT); one with a session stays.
func TestHandshakeTimeout(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	const timeout = 300 * time.Millisecond
	s := openLimited(t, Limits{HandshakeTimeout: timeout})
	c := newChatFor(t, ctx, s)

	idle, err := client.DialRaw(ctx, s.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	start := time.Now()
	if _, err := idle.Read(ctx); !errors.Is(err, client.ErrRawClosed) {
		t.Fatalf("a connection without a session: %v, want it closed", err)
	}
	if d := time.Since(start); d < timeout/2 || d > 10*timeout {
		t.Errorf("closed after %v, want about %v", d, timeout)
	}

	busy := c.rawSession(t, ctx, nil)
	// Nothing signals that nothing happened: give the timeout three times
	// its length to wrongly close the connection with a session.
	time.Sleep(3 * timeout)
	if got := s.hits(limitHandshakeTime); got != 1 || s.metrics.sessionsOpenValue() != 1 {
		t.Fatalf("with a session: %v timed out, %v sessions open; want the session kept", got, s.metrics.sessionsOpenValue())
	}
	if err := busy.WriteFrame("41"); err != nil { // DISCONNECT; the connection stays
		t.Fatal(err)
	}
	start = time.Now()
	for {
		if _, err := busy.Read(ctx); err != nil {
			if !errors.Is(err, client.ErrRawClosed) {
				t.Fatalf("after its session ended: %v, want the connection closed", err)
			}
			break
		}
	}
	if d := time.Since(start); d < timeout/2 || d > 10*timeout {
		t.Errorf("closed %v after its DISCONNECT, want about %v", d, timeout)
	}
	if got := s.hits(limitHandshakeTime); got != 2 {
		t.Errorf("wcp_limit_refusals_total{limit=%q} = %v, want 2", limitHandshakeTime, got)
	}
	if !waitFor(time.Second, func() bool { return s.conns.held.Load() == 0 }) {
		t.Errorf("%d connections still counted as pending", s.conns.held.Load())
	}
}
