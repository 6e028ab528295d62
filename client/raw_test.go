package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wcp-project/wcp/client"
)

func TestRawConnRefusesNonObjectAuth(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialRaw(ctx, w.url)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Connect(ctx, `{"chat_id":5}`)
	if err != nil {
		t.Fatal(err)
	}
	if p.Type != client.PacketConnectError {
		t.Fatalf("packet type %c, want CONNECT_ERROR", p.Type)
	}
	var body struct {
		Data struct {
			Code string `json:"code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(p.Data, &body); err != nil || body.Data.Code != "bad_request" {
		t.Fatalf("connect error %s (%v), want code bad_request", p.Data, err)
	}
}

// TestRawConnHangUpIsErrRawClosed checks that a server dropping the TCP
// connection (no close frame) reads as ErrRawClosed, not a bare EOF.
func TestRawConnHangUpIsErrRawClosed(t *testing.T) {
	t.Parallel()
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		ws.WriteMessage(websocket.TextMessage, []byte(`0{"sid":"x","pingInterval":25000,"pingTimeout":20000}`))
		ws.UnderlyingConn().Close()
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.DialRaw(ctx, srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Read(ctx); !errors.Is(err, client.ErrRawClosed) {
		t.Fatalf("Read after a hang-up: %v, want ErrRawClosed", err)
	}
}
