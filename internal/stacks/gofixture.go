package stacks

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"
	"github.com/zishang520/socket.io/v3/pkg/types"
)

// startGo runs the Go fixture in the test process, on a free port.
func startGo(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("go fixture: listen: %v", err)
	}
	// Untyped nil: a typed-nil *ServerOptions panics.
	io := sio.NewServer(nil, nil)
	io.Use(goAuth)
	io.On("connection", goConnection)
	opts := sio.DefaultServerOptions()
	opts.SetServeClient(false)
	// Explicit, because the default set also holds WebTransport.
	opts.SetTransports(types.NewSet(sio.Polling, sio.WebSocket))
	opts.SetAllowUpgrades(true)
	opts.SetPingInterval(500 * time.Millisecond)
	opts.SetPingTimeout(2500 * time.Millisecond)
	opts.SetMaxHttpBufferSize(4_000_000)

	mux := http.NewServeMux()
	mux.Handle("/socket.io/", io.ServeHandler(opts))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	t.Cleanup(func() {
		closed := make(chan struct{})
		io.Close(func(error) { close(closed) })
		<-closed
		// Shutdown does not wait for hijacked (websocket) connections;
		// io.Close has closed those already.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("go fixture: shutdown: %v", err)
			_ = srv.Close()
		}
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("go fixture: serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

// goAuth accepts a CONNECT whose auth has "token" == "good".
func goAuth(s *sio.Socket, next func(*sio.ExtendedError)) {
	if tok, _ := s.Handshake().Auth["token"].(string); tok == "good" {
		next(nil)
		return
	}
	// Non-nil data, or Go clients lose the message.
	next(sio.NewExtendedError("denied", map[string]any{"code": "denied"}))
}

// goConnection sets up one connected socket. Handlers run one at a time on
// the socket's queue goroutine, and none of them blocks.
func goConnection(args ...any) {
	s, ok := args[0].(*sio.Socket)
	if !ok {
		return
	}
	s.Emit("welcome", map[string]any{"sid": s.Id()})
	s.On("echo", func(a ...any) {
		if args, ack := splitAck(a); ack != nil {
			ack(args[:min(len(args), 1)], nil)
		}
	})
	s.On("burst", func(a ...any) {
		args, ack := splitAck(a)
		n := int(field[float64](args, "n"))
		for i := 1; i <= n; i++ {
			s.Emit("item", map[string]any{"i": i})
		}
		if ack != nil {
			ack([]any{map[string]any{"n": n}}, nil)
		}
	})
	s.On("bye", func(a ...any) {
		args, _ := splitAck(a)
		s.Emit("bye", map[string]any{"code": field[any](args, "code")})
		// Disconnect(true) may lose the DISCONNECT packet; false sends it
		// and leaves closing the transport to the client.
		s.Disconnect(false)
	})
	s.On("big", func(a ...any) {
		if args, ack := splitAck(a); ack != nil {
			size := int(field[float64](args, "size"))
			ack([]any{map[string]any{"data": strings.Repeat("x", max(size, 0))}}, nil)
		}
	})
}

// splitAck separates an event's arguments from its ack callback, if any.
func splitAck(a []any) ([]any, sio.Ack) {
	if n := len(a); n > 0 {
		if ack, ok := a[n-1].(sio.Ack); ok {
			return a[:n-1], ack
		}
	}
	return a, nil
}

// field returns key of the first argument when that is an object holding a
// T there, and T's zero value otherwise (JSON numbers arrive as float64).
func field[T any](args []any, key string) T {
	var v T
	if len(args) > 0 {
		if m, ok := args[0].(map[string]any); ok {
			v, _ = m[key].(T)
		}
	}
	return v
}
