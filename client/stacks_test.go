package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/internal/stacks"
)

// TestStackMatrix runs the transport behaviours the specs rely on against
// a fixture server on every Socket.IO stack (internal/stacks), over
// websocket and over long-polling: the client's Socket and the raw
// connections must read each stack alike.
func TestStackMatrix(t *testing.T) {
	t.Parallel()
	for _, stack := range stacks.All() {
		t.Run(stack.Name, func(t *testing.T) {
			t.Parallel()
			url := stack.Start(t)
			for _, transport := range []string{client.TransportWebSocket, client.TransportPolling} {
				t.Run(transport, func(t *testing.T) {
					t.Parallel()
					m := matrix{stack: stack.Name, url: url, transport: transport}
					t.Run("refused connect is a typed error", m.refused)
					t.Run("first event, acks", m.acks)
					t.Run("back-to-back events come before their ack", m.burst)
					t.Run("an event before a server disconnect is seen before Done", m.bye)
					t.Run("large frames both ways", m.large)
					t.Run("pings are answered", m.pings)
					t.Run("raw CONNECT, EVENT and ACK", m.raw)
					t.Run("an undecodable packet is dropped or ends the connection", m.undecodable)
				})
			}
		})
	}
}

type matrix struct {
	stack, url, transport string
}

// events collects what a Socket's reader hands over, in order.
type events struct {
	mu      sync.Mutex
	list    []string // name + " " + first argument
	welcome chan struct{}
}

func newEvents() *events { return &events{welcome: make(chan struct{})} }

func (e *events) on(name string, args []json.RawMessage, _ time.Time) {
	s := name
	if len(args) > 0 {
		s += " " + string(args[0])
	}
	e.mu.Lock()
	e.list = append(e.list, s)
	if len(e.list) == 1 && name == "welcome" {
		close(e.welcome)
	}
	e.mu.Unlock()
}

func (e *events) get() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.list...)
}

// dial connects and waits for the `welcome` event before it returns, as a
// WCP client waits for `session`: the zishang520 server (v3.0.6) sometimes
// drops a connection whose first EVENT arrives before its own "connection"
// handler has run (seen under -race, about 1 in 100 connects).
func (m matrix) dial(t *testing.T, ev *events) *client.Socket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if ev == nil {
		ev = newEvents()
	}
	o := &client.SocketOptions{Transport: m.transport, ConnectTimeout: 10 * time.Second, OnEvent: ev.on}
	o.OnViolation = func(err error) { t.Errorf("violation: %v", err) }
	s, err := client.DialSocket(ctx, m.url, map[string]any{"token": "good"}, o)
	if err != nil {
		t.Fatalf("connect over %s: %v", m.transport, err)
	}
	t.Cleanup(s.Close)
	select {
	case <-ev.welcome:
	case <-s.Done():
		t.Fatalf("the socket ended before welcome (%s: %v)", s.DisconnectReason(), s.Err())
	case <-ctx.Done():
		t.Fatalf("no welcome as the first event: %q", ev.get())
	}
	return s
}

// call emits event with arg and waits for its ack's first argument.
func call(t *testing.T, s *client.Socket, event string, arg any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal([]any{event, arg})
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		args []json.RawMessage
		err  error
	}
	ch := make(chan result, 1)
	s.EmitRawWithAck(string(b), 10*time.Second, func(a []json.RawMessage, err error) { ch <- result{a, err} })
	r := <-ch
	if r.err != nil {
		t.Fatalf("%s: %v (%v)", event, r.err, s.Err())
	}
	if len(r.args) == 0 {
		t.Fatalf("%s: an ack without arguments", event)
	}
	return r.args[0]
}

func (m matrix) refused(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := client.DialSocket(ctx, m.url, map[string]any{"token": "bad"}, &client.SocketOptions{Transport: m.transport})
	if err == nil {
		s.Close()
		t.Fatal("a bad token connected")
	}
	var e *wcp.Error
	if !errors.As(err, &e) || e.Code != "denied" || e.Message != "denied" {
		t.Fatalf("refusal %v, want *wcp.Error denied/denied", err)
	}
}

func (m matrix) acks(t *testing.T) {
	t.Parallel()
	ev := newEvents()
	s := m.dial(t, ev)
	got := call(t, s, "echo", map[string]any{"x": "y", "n": 9007199254740991})
	if string(got) != `{"n":9007199254740991,"x":"y"}` && string(got) != `{"x":"y","n":9007199254740991}` {
		t.Errorf("echo ack %s", got)
	}
}

func (m matrix) burst(t *testing.T) {
	t.Parallel()
	ev := newEvents()
	s := m.dial(t, ev)
	const n = 300
	if got := call(t, s, "burst", map[string]int{"n": n}); string(got) != `{"n":300}` {
		t.Fatalf("burst ack %s", got)
	}
	// The ack came after the items on the wire, so all of them are here.
	var items []string
	for _, e := range ev.get() {
		if strings.HasPrefix(e, "item ") {
			items = append(items, e)
		}
	}
	if len(items) != n {
		t.Fatalf("%d items before the ack, want %d", len(items), n)
	}
	for i, it := range items {
		var v struct{ I int }
		if err := json.Unmarshal([]byte(strings.TrimPrefix(it, "item ")), &v); err != nil || v.I != i+1 {
			t.Fatalf("item %d is %q: out of order", i+1, it)
		}
	}
}

func (m matrix) bye(t *testing.T) {
	t.Parallel()
	for i := 0; i < 10; i++ {
		ev := newEvents()
		s := m.dial(t, ev)
		// Over polling the server may end the transport while the POST
		// that carried `bye` waits for its answer: that is no error here.
		if err := s.Emit("bye", map[string]string{"code": "gone"}); err != nil && !errors.Is(err, client.ErrRawClosed) {
			t.Fatal(err)
		}
		select {
		case <-s.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("the server's disconnect never ended the socket")
		}
		l := ev.get()
		if len(l) == 0 || l[len(l)-1] != `bye {"code":"gone"}` {
			t.Fatalf("run %d: events at Done %q, want the bye event last (%s: %v)", i, l, s.DisconnectReason(), s.Err())
		}
		if r := s.DisconnectReason(); r != client.ReasonServerDisconnect && r != client.ReasonTransportClose {
			t.Fatalf("run %d: reason %q", i, r)
		}
	}
}

func (m matrix) large(t *testing.T) {
	t.Parallel()
	s := m.dial(t, nil)
	body := strings.Repeat("é", 400_000) // 800 KB of UTF-8 up
	if m.stack == "python" && m.transport == client.TransportPolling {
		// python-engineio 4.3 reads a polling POST with one
		// StreamReader.read(length), which returns only what has arrived:
		// an upload over a few KB is cut short whatever the client does.
		// (WCP/1 requires websocket; polling is optional.)
		t.Log("python-engineio 4.3 cuts long-polling uploads at the first chunk: uploading 2 KB only")
		body = strings.Repeat("é", 1000)
	}
	got := call(t, s, "echo", body)
	var back string
	if err := json.Unmarshal(got, &back); err != nil || back != body {
		t.Fatalf("echo of %d bytes came back as %d bytes (%v)", len(body), len(back), err)
	}
	got = call(t, s, "big", map[string]int{"size": 3_000_000}) // 3 MB down
	var big struct{ Data string }
	if err := json.Unmarshal(got, &big); err != nil || len(big.Data) != 3_000_000 {
		t.Fatalf("big ack of %d bytes (%v)", len(big.Data), err)
	}
}

func (m matrix) pings(t *testing.T) {
	t.Parallel()
	s := m.dial(t, nil)
	h := s.Handshake()
	idle := time.Duration(h.PingInterval+h.PingTimeout)*time.Millisecond + 500*time.Millisecond
	if idle > 5*time.Second {
		t.Fatalf("the fixture announces ping %d+%d ms, too slow to test", h.PingInterval, h.PingTimeout)
	}
	// A client that did not answer pings is dropped within interval+timeout.
	select {
	case <-s.Done():
		t.Fatalf("the server dropped an idle socket (%s)", s.DisconnectReason())
	case <-time.After(idle):
	}
	if got := call(t, s, "echo", "still here"); string(got) != `"still here"` {
		t.Fatalf("echo after idling: %s", got)
	}
}

func (m matrix) raw(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialRawTransport(ctx, m.url, m.transport)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	p, err := c.Connect(ctx, `{"token":"bad"}`)
	if err != nil || p.Type != client.PacketConnectError || wcp.ErrorCode(client.ParseConnectError(p.Data)) != "denied" {
		t.Fatalf("bad CONNECT: %c %s %v", p.Type, p.Data, err)
	}
	if p, err = c.Connect(ctx, `{"token":"good"}`); err != nil || p.Type != client.PacketConnect {
		t.Fatalf("good CONNECT: %c %s %v", p.Type, p.Data, err)
	}
	if p, err = c.Read(ctx); err != nil || p.Type != client.PacketEvent || !strings.HasPrefix(string(p.Data), `["welcome"`) {
		t.Fatalf("first event: %c %s %v", p.Type, p.Data, err)
	}
	id := uint64(7)
	if err := c.Emit(`["echo",{"raw":true}]`, &id); err != nil {
		t.Fatal(err)
	}
	data, err := c.WaitAck(ctx, id)
	if err != nil || string(data) != `[{"raw":true}]` {
		t.Fatalf("raw ack %s, %v", data, err)
	}
}

// undecodable sends packets no parser can read. Stacks differ (python-
// socketio drops them, Node's parser ends the connection); the specs
// accept both, so here both are fine, a hang-up or silence within 2 s,
// and the server must go on serving others.
func (m matrix) undecodable(t *testing.T) {
	t.Parallel()
	for _, frame := range []string{`40{"token":`, `42["echo",`} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := client.DialRawTransport(ctx, m.url, m.transport)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		if strings.HasPrefix(frame, "42") {
			if p, err := c.Connect(ctx, `{"token":"good"}`); err != nil || p.Type != client.PacketConnect {
				t.Fatalf("CONNECT: %v", err)
			}
			if p, err := c.Read(ctx); err != nil || p.Type != client.PacketEvent {
				t.Fatalf("welcome: %v", err)
			}
		}
		if err := c.WriteFrame(frame); err != nil && !errors.Is(err, client.ErrRawClosed) {
			t.Fatalf("write %q: %v", frame, err)
		}
		short, cancelShort := context.WithTimeout(ctx, 2*time.Second)
		p, err := c.Read(short)
		cancelShort()
		switch {
		case errors.Is(err, client.ErrRawClosed):
			t.Logf("%s %q: connection ended", m.transport, frame)
		case err != nil && short.Err() != nil:
			t.Logf("%s %q: dropped silently", m.transport, frame)
		case err == nil && p.Type == client.PacketDisconnect:
			t.Logf("%s %q: DISCONNECT", m.transport, frame)
		default:
			t.Fatalf("%q: answered %c %s (%v)", frame, p.Type, p.Data, err)
		}
		c.Close()
		cancel()
	}
	s := m.dial(t, nil)
	if got := call(t, s, "echo", 1); string(got) != "1" {
		t.Fatalf("echo after undecodable packets: %s", got)
	}
}
