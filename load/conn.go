package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/wire"
)

// conn is a lean Socket.IO v5 / Engine.IO v4 client over one websocket,
// purpose-built for load: it speaks only what a sender needs (CONNECT with
// auth, `session`, emitting `message` with an ack id, reading acks,
// deliveries and pings), and a delivery costs a scan of its bytes instead
// of a JSON round trip through maps. Plain ws:// targets go over rawWS (one
// read syscall per batch of frames, no buffer held while idle); wss:// over
// gorilla/websocket.
type conn struct {
	raw *rawWS
	ws  *websocket.Conn
	wmu sync.Mutex // gorilla writes
}

// The write buffer is pooled (an idle session holds none); the read buffer
// stays with the connection, so keep it small: frames larger than it are
// still read whole, in more calls.
var dialer = &websocket.Dialer{
	HandshakeTimeout: 10 * time.Second,
	ReadBufferSize:   1024,
	WriteBufferSize:  1024,
	WriteBufferPool:  &sync.Pool{},
}

// errServerClosed: the server ended the connection during the handshake.
var errServerClosed = errors.New("server closed the connection")

// dial opens a session: websocket, Engine.IO open, Socket.IO CONNECT
// with auth, then the `session` event. A CONNECT_ERROR with a code is a
// *wcp.Error.
func dial(ctx context.Context, wsURL string, auth wcp.Auth, timeout time.Duration) (*conn, wcp.Session, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	w := &conn{}
	if strings.HasPrefix(wsURL, "ws:") {
		raw, err := dialRawWS(ctx, wsURL)
		if err != nil {
			return nil, wcp.Session{}, fmt.Errorf("dial: %w", err)
		}
		w.raw = raw
	} else {
		ws, _, err := dialer.DialContext(ctx, wsURL, nil)
		if err != nil {
			return nil, wcp.Session{}, fmt.Errorf("dial: %w", err)
		}
		w.ws = ws
	}
	info, err := w.handshake(ctx, auth)
	if err != nil {
		w.close()
		return nil, wcp.Session{}, err
	}
	return w, info, nil
}

func (w *conn) handshake(ctx context.Context, auth wcp.Auth) (wcp.Session, error) {
	if w.ws != nil {
		dl, _ := ctx.Deadline()
		_ = w.ws.SetReadDeadline(dl)
		defer w.ws.SetReadDeadline(time.Time{})
		// Unblock the reads if ctx ends early.
		stop := context.AfterFunc(ctx, func() { _ = w.ws.SetReadDeadline(time.Now()) })
		defer stop()
	}
	f, err := w.readFrame(ctx)
	if err != nil {
		return wcp.Session{}, fmt.Errorf("engine.io open: %w", err)
	}
	if _, err := wire.ParseOpen(string(f)); err != nil {
		return wcp.Session{}, fmt.Errorf("engine.io open: %w", err)
	}
	a, err := json.Marshal(auth)
	if err != nil {
		return wcp.Session{}, err
	}
	if err := w.write([]byte(wire.ConnectFrame(string(a)))); err != nil {
		return wcp.Session{}, fmt.Errorf("connect: %w", err)
	}
	connected := false
	for {
		f, err := w.readFrame(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return wcp.Session{}, fmt.Errorf("connect: no session in time: %w", ctx.Err())
			}
			return wcp.Session{}, fmt.Errorf("connect: %w", err)
		}
		switch {
		case string(f) == wire.PingFrame:
			if err := w.write(pongFrame); err != nil {
				return wcp.Session{}, err
			}
			continue
		case len(f) > 0 && f[0] == wire.EngineClose:
			return wcp.Session{}, fmt.Errorf("connect: %w", errServerClosed)
		case len(f) == 0 || f[0] != wire.EngineMessage:
			continue
		}
		p, err := wire.ParsePacket(string(f[1:]))
		if err != nil {
			continue
		}
		switch p.Type {
		case wire.Connect:
			connected = true
		case wire.ConnectError:
			return wcp.Session{}, client.ParseConnectError(p.Data)
		case wire.Disconnect:
			return wcp.Session{}, fmt.Errorf("connect: %w", errServerClosed)
		case wire.Event:
			if info, ok, err := sessionEvent(p.Data); connected && (ok || err != nil) {
				return info, err
			}
		}
	}
}

// sessionEvent reads the `session` event's data; ok is false for any other
// event.
func sessionEvent(data json.RawMessage) (info wcp.Session, ok bool, err error) {
	name, args, err := wire.DecodeEvent(data)
	if err != nil || name != wcp.EventSession {
		return info, false, nil
	}
	if len(args) == 0 {
		return info, true, errors.New("session event without data")
	}
	if err := json.Unmarshal(args[0], &info); err != nil {
		return info, true, fmt.Errorf("session event: %w", err)
	}
	if info.SessionID == "" || info.MessageKey == "" {
		return info, true, errors.New("session event without session_id or message_key")
	}
	return info, true, nil
}

// readFrame reads one whole message (handshake only).
func (w *conn) readFrame(ctx context.Context) ([]byte, error) {
	if w.raw != nil {
		return w.raw.readMessage(ctx)
	}
	_, b, err := w.ws.ReadMessage()
	return b, err
}

// write sends one text message.
func (w *conn) write(b []byte) error {
	if w.raw != nil {
		return w.raw.write(b)
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	// Not the deadline the last message left (see controlWriteTimeout).
	_ = w.ws.SetWriteDeadline(time.Now().Add(controlWriteTimeout))
	return w.ws.WriteMessage(websocket.TextMessage, b)
}

// send writes one message that must leave within d (within d/2..d on
// ws://, see rawWS.writeWithin).
func (w *conn) send(b []byte, d time.Duration) error {
	if w.raw != nil {
		return w.raw.writeWithin(b, d)
	}
	w.wmu.Lock()
	defer w.wmu.Unlock()
	_ = w.ws.SetWriteDeadline(time.Now().Add(d))
	return w.ws.WriteMessage(websocket.TextMessage, b)
}

// serve reads until the connection ends, handing every message to onText
// (the bytes are valid only during the call).
func (w *conn) serve(onText func([]byte)) {
	if w.raw != nil {
		w.raw.serve(onText)
		return
	}
	for {
		_, rd, err := w.ws.NextReader()
		if err != nil {
			return
		}
		bp := bufPool.Get().(*[]byte)
		buf, err := readInto((*bp)[:0], rd)
		if err == nil {
			onText(buf)
		}
		*bp = buf[:0]
		bufPool.Put(bp)
		if err != nil {
			return
		}
	}
}

func (w *conn) close() {
	if w.raw != nil {
		w.raw.close()
		return
	}
	_ = w.ws.Close()
}

// closeSoon ends the connection from code that may run inside serve's
// callback (the reader, or an emit on the reader): on ws:// that callback
// runs inside RawConn.Read, and Close waits for that read to let go of the
// socket, so it must not wait on the reader's own goroutine.
func (w *conn) closeSoon() {
	if w.raw != nil {
		go w.raw.close()
		return
	}
	_ = w.ws.Close()
}

// The gorilla reader's message buffers: an idle session holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

func readInto(b []byte, rd io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := rd.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}
