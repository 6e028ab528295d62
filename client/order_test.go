package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// revokingServer answers CONNECT with `session`, then `revoked`, DISCONNECT
// and a hang-up, all in one burst: what a Node socket.io server does for
// CON-4. The Socket.IO client library this package used before handed its
// caller the disconnect first and lost the event in 10 of 12 runs.
func revokingServer(t *testing.T) string {
	t.Helper()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		send := func(s string) { _ = ws.WriteMessage(websocket.TextMessage, []byte(s)) }
		send(`0{"sid":"e1","upgrades":[],"pingInterval":25000,"pingTimeout":20000}`)
		if _, _, err := ws.ReadMessage(); err != nil { // CONNECT
			return
		}
		send(`40{"sid":"s1"}`)
		send(`42["session",{"session_id":"s1","chat_id":"c1","user_id":"u1","message_key":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}]`)
		send(`42["message",{"id":"m1","chat_id":"c1","seq":1,"user_id":"u1","body":"last","sent_at":"2026-01-01T00:00:00.000Z"}]`)
		send(`42["revoked",{"code":"forbidden"}]`)
		send(`41`)
		ws.UnderlyingConn().Close()
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestEventsBeforeTheEndAreSeenFirst checks the wire-order promise: an
// event the server sent before it disconnected is visible once Done is
// closed.
func TestEventsBeforeTheEndAreSeenFirst(t *testing.T) {
	t.Parallel()
	url := revokingServer(t)
	for i := 0; i < 50; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s, err := client.Connect(ctx, url, wcp.Auth{ChatID: "c1", ConnectionString: "x"}, nil)
		if err != nil {
			cancel()
			t.Fatalf("run %d: %v", i, err)
		}
		select {
		case <-s.Done():
		case <-ctx.Done():
			t.Fatalf("run %d: the session did not end", i)
		}
		cancel()
		if r := s.RevokedEvents(); len(r) != 1 || r[0].Code != wcp.CodeForbidden {
			t.Fatalf("run %d: revoked events %v at Done, want one forbidden", i, r)
		}
		if m := s.Received(); len(m) != 1 || m[0].Body != "last" {
			t.Fatalf("run %d: messages %v at Done, want the last one", i, m)
		}
		if got := s.DisconnectReason(); got != client.ReasonServerDisconnect {
			t.Fatalf("run %d: reason %q, want %q", i, got, client.ReasonServerDisconnect)
		}
		s.Close()
	}
}
