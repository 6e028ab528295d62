package stacks

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// TestStacks checks the fixture protocol on every stack over a raw Engine.IO
// websocket, so that a fixture bug cannot hide behind a client's.
func TestStacks(t *testing.T) {
	for _, s := range All() {
		t.Run(s.Name, func(t *testing.T) {
			t.Parallel()
			base := s.Start(t)

			t.Run("healthz", func(t *testing.T) {
				if status, body := get(t, base+"/healthz"); status != http.StatusOK || body != `{"status":"ok"}` {
					t.Errorf("GET /healthz = %d %q, want 200 {\"status\":\"ok\"}", status, body)
				}
			})

			t.Run("polling open", func(t *testing.T) {
				_, body := get(t, base+"/socket.io/?EIO=4&transport=polling")
				open := checkOpen(t, body)
				if !reflect.DeepEqual(open.Upgrades, []string{"websocket"}) {
					t.Errorf("polling open upgrades = %q, want [websocket]", open.Upgrades)
				}
			})

			t.Run("session", func(t *testing.T) {
				c := dial(t, base)
				c.send(`40{"token":"good"}`)
				var ok struct{ SID string }
				c.expect(`40`, &ok)
				if ok.SID == "" {
					t.Fatal("CONNECT without sid")
				}
				c.expectJSON(`42`, `["welcome",{"sid":"`+ok.SID+`"}]`)

				c.send(`421["echo",{"a":[1,"é",null,{"b":true}]}]`)
				c.expectJSON(`431`, `[{"a":[1,"é",null,{"b":true}]}]`)

				c.send(`422["burst",{"n":3}]`)
				for _, i := range []string{"1", "2", "3"} {
					c.expectJSON(`42`, `["item",{"i":`+i+`}]`)
				}
				c.expectJSON(`432`, `[{"n":3}]`)

				c.send(`423["big",{"size":100000}]`)
				c.expectJSON(`433`, `[{"data":"`+strings.Repeat("x", 100000)+`"}]`)

				c.send(`42["bye",{"code":"x"}]`)
				c.expectJSON(`42`, `["bye",{"code":"x"}]`)
				c.expectJSON(`41`, ``)
				// Every stack leaves closing the transport to the client: it
				// stays open, still pinging.
				if got := c.next(); got != "2" {
					t.Errorf("after DISCONNECT got %q, want a ping", got)
				}
			})

			for _, auth := range []string{`{"token":"bad"}`, `{"token":1}`, `{}`, ``} {
				t.Run("refused "+auth, func(t *testing.T) {
					c := dial(t, base)
					c.send(`40` + auth)
					c.expectJSON(`44`, `{"message":"denied","data":{"code":"denied"}}`)
				})
			}

			t.Run("ping timeout", func(t *testing.T) {
				c := dial(t, base)
				c.send(`40{"token":"good"}`)
				c.expect(`40`, new(any))
				// Without pongs the server must close the transport about
				// 3 s (interval + timeout) after the open packet.
				start := time.Now()
				_ = c.c.SetReadDeadline(start.Add(8 * time.Second))
				var err error
				for err == nil {
					_, _, err = c.c.ReadMessage()
				}
				if d := time.Since(start); d < 2*time.Second || d > 6*time.Second {
					t.Errorf("closed after %v (%v), want about 3 s", d, err)
				}
			})

			// Each stack's native answer to an undecodable packet, pinned so
			// that an upgrade that changes it is noticed: the Go and Node
			// servers close the transport, python-socketio logs the error
			// and drops the packet.
			closes := s.Name != "python"
			for _, tc := range []struct{ bad, probe, answer string }{
				// After CONNECT, an undecodable event; the probe is an echo.
				{`42["echo",`, `421["echo",1]`, `431[1]`},
				// Before CONNECT, an undecodable one; the probe is a refused one.
				{`40{"token":`, `40{"token":"bad"}`, `44{"message":"denied","data":{"code":"denied"}}`},
			} {
				t.Run("undecodable "+tc.bad, func(t *testing.T) {
					c := dial(t, base)
					if strings.HasPrefix(tc.probe, "42") {
						c.send(`40{"token":"good"}`)
						c.expect(`40`, new(any))
						c.expect(`42`, new(any))
					}
					c.send(tc.bad)
					// The probe's answer shows whether the connection survived.
					c.send(tc.probe)
					_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
					for {
						_, msg, err := c.c.ReadMessage()
						var ne net.Error
						switch {
						case errors.As(err, &ne) && ne.Timeout():
							t.Fatalf("no answer to %q and no close: %v", tc.probe, err)
						case err != nil && closes:
							return
						case err != nil:
							t.Fatalf("read: %v, want the connection kept", err)
						case string(msg) == "2":
							continue
						case closes:
							t.Fatalf("got %q, want the connection closed", msg)
						case string(msg) != tc.answer:
							t.Fatalf("got %q, want %q", msg, tc.answer)
						}
						return
					}
				})
			}
		})
	}
}

// openPacket is the part of Engine.IO's open packet the fixtures fix.
type openPacket struct {
	SID          string
	Upgrades     []string
	PingInterval int
	PingTimeout  int
}

func checkOpen(t *testing.T, packet string) openPacket {
	t.Helper()
	var open openPacket
	rest, ok := strings.CutPrefix(packet, "0")
	if !ok || json.Unmarshal([]byte(rest), &open) != nil {
		t.Fatalf("open packet %q, want 0{...}", packet)
	}
	if open.SID == "" || open.PingInterval != 500 || open.PingTimeout != 2500 {
		t.Errorf("open packet %q, want a sid, pingInterval 500, pingTimeout 2500", packet)
	}
	return open
}

// wsConn is a raw Engine.IO v4 websocket session.
type wsConn struct {
	t *testing.T
	c *websocket.Conn
}

// dial opens a websocket Engine.IO session and reads its open packet.
func dial(t *testing.T, base string) *wsConn {
	t.Helper()
	url := "ws" + strings.TrimPrefix(base, "http") + "/socket.io/?EIO=4&transport=websocket"
	c, res, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	res.Body.Close()
	t.Cleanup(func() { c.Close() })
	w := &wsConn{t: t, c: c}
	open := checkOpen(t, w.read())
	if len(open.Upgrades) != 0 {
		t.Errorf("websocket open upgrades = %q, want none", open.Upgrades)
	}
	return w
}

// send sends one Engine.IO packet, such as `42["echo",1]`.
func (w *wsConn) send(packet string) {
	w.t.Helper()
	if err := w.c.WriteMessage(websocket.TextMessage, []byte(packet)); err != nil {
		w.t.Fatalf("send %q: %v", packet, err)
	}
}

// read returns the next Engine.IO packet that is not a ping, within 5 s; it
// answers pings (every 500 ms), as a client must to stay connected.
func (w *wsConn) read() string {
	w.t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		msg := w.next()
		if msg != "2" {
			return msg
		}
		if err := w.c.WriteMessage(websocket.TextMessage, []byte("3")); err != nil {
			w.t.Fatalf("pong: %v", err)
		}
	}
}

// next returns the next Engine.IO packet, pings included, within the
// current read deadline.
func (w *wsConn) next() string {
	w.t.Helper()
	_, msg, err := w.c.ReadMessage()
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	return string(msg)
}

// expect reads an Engine.IO packet that starts with prefix (such as `40`)
// and decodes the rest into v.
func (w *wsConn) expect(prefix string, v any) {
	w.t.Helper()
	packet := w.read()
	rest, ok := strings.CutPrefix(packet, prefix)
	if !ok || json.Unmarshal([]byte(rest), v) != nil {
		w.t.Fatalf("got %q, want %s{...}", packet, prefix)
	}
}

// expectJSON reads an Engine.IO packet: prefix followed by JSON equal to
// want, or by nothing when want is empty.
func (w *wsConn) expectJSON(prefix, want string) {
	w.t.Helper()
	packet := w.read()
	rest, ok := strings.CutPrefix(packet, prefix)
	if ok && want == "" && rest == "" {
		return
	}
	var got, wantV any
	if err := json.Unmarshal([]byte(want), &wantV); want != "" && err != nil {
		w.t.Fatalf("bad test JSON %q: %v", want, err)
	}
	if !ok || json.Unmarshal([]byte(rest), &got) != nil || !reflect.DeepEqual(got, wantV) {
		w.t.Fatalf("got %.200q, want %.200q", packet, prefix+want)
	}
}

// get makes one GET and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}
