package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wcp-project/wcp/wire"
)

// transport is one Engine.IO connection, over websocket or long-polling. It
// carries whole Engine.IO packets as text, in the order they were sent, and
// knows nothing of Socket.IO. Upgrades are not attempted: a session that
// starts on polling stays on polling, so that polling is what gets tested.
type transport interface {
	// next returns the server's next packet. It waits until deadline (none
	// when zero) and returns an error wrapping ErrRawClosed once the server
	// has ended the connection. Only one goroutine may call it.
	next(deadline time.Time) (string, error)
	// send writes packets in order; it is safe for concurrent use.
	send(packets ...string) error
	// close ends the connection and unblocks next; it is idempotent.
	close() error
}

// Transport choices for DialRaw and Options.
const (
	TransportWebSocket = wire.WebSocket
	TransportPolling   = wire.Polling
)

// writeTimeout bounds one write: a server that stops reading must not
// block a sender forever.
const writeTimeout = 10 * time.Second

// openTransport dials the Engine.IO endpoint of baseURL with the named
// transport and reads the server's open packet.
func openTransport(ctx context.Context, baseURL, name string) (transport, wire.Open, error) {
	u, err := wire.EndpointURL(baseURL, name)
	if err != nil {
		return nil, wire.Open{}, err
	}
	switch name {
	case wire.Polling:
		return dialPolling(ctx, u)
	default:
		return dialWebSocket(ctx, u)
	}
}

// wsTransport is Engine.IO over one websocket: one packet per text frame.
type wsTransport struct {
	ws  *websocket.Conn
	wmu sync.Mutex // gorilla allows one writer at a time
}

func dialWebSocket(ctx context.Context, u string) (*wsTransport, wire.Open, error) {
	// No permessage-deflate offer: gorilla's dialer refuses aiohttp's
	// answer to it (python-socketio), and WCP frames are small JSON.
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	ws, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, wire.Open{}, err
	}
	t := &wsTransport{ws: ws}
	dl, _ := ctx.Deadline()
	frame, err := t.next(dl)
	if err != nil {
		ws.Close()
		return nil, wire.Open{}, fmt.Errorf("open packet: %w", err)
	}
	open, err := wire.ParseOpen(frame)
	if err != nil {
		ws.Close()
		return nil, wire.Open{}, err
	}
	return t, open, nil
}

func (t *wsTransport) next(deadline time.Time) (string, error) {
	if err := t.ws.SetReadDeadline(deadline); err != nil {
		return "", closedErr(err)
	}
	for {
		typ, data, err := t.ws.ReadMessage()
		if err != nil {
			return "", closedErr(err)
		}
		if typ == websocket.TextMessage {
			return string(data), nil
		}
		// Engine.IO binary frames carry binary attachments, which WCP
		// never sends: skip them rather than misread them as text.
	}
}

func (t *wsTransport) send(packets ...string) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	if err := t.ws.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return closedErr(err)
	}
	for _, p := range packets {
		if err := t.ws.WriteMessage(websocket.TextMessage, []byte(p)); err != nil {
			return closedErr(err)
		}
	}
	return nil
}

func (t *wsTransport) close() error { return t.ws.Close() }

// closedErr marks the errors that mean "the connection is over" with
// ErrRawClosed: a server may hang up with a close frame, a FIN or a reset,
// and to a caller asking whether it ended the connection these are the
// same. A timeout stays a timeout.
func closedErr(err error) error {
	var ce *websocket.CloseError
	if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, websocket.ErrCloseSent) {
		return fmt.Errorf("%w: %v", ErrRawClosed, err)
	}
	return err
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
