package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gorilla/websocket"

	"github.com/wcp-project/wcp"
)

// Socket.IO packet types (protocol v5).
const (
	PacketConnect      = '0'
	PacketDisconnect   = '1'
	PacketEvent        = '2'
	PacketAck          = '3'
	PacketConnectError = '4'
)

// RawPacket is one Socket.IO packet as it came over the wire.
type RawPacket struct {
	Type byte    // PacketConnect, PacketEvent, ...
	ID   *uint64 // ack id, when present
	Data json.RawMessage
}

// RawConn is a bare Engine.IO v4 websocket connection that sends exactly the
// frames it is told to. It exists so tests can hand a server what the
// Socket.IO client will not produce: an `auth` that is not an object, event
// payloads of the wrong shape, floods. It answers pings; it is not safe for
// concurrent use.
type RawConn struct {
	ws *websocket.Conn
}

// ErrRawClosed is returned (wrapped) by Read once the server has closed the
// connection, whether with a close frame, a FIN or a reset; test it with
// errors.Is.
var ErrRawClosed = errors.New("raw connection closed")

// SocketURL is the Engine.IO websocket endpoint of the server at baseURL:
// http becomes ws, https wss (ws and wss stay), with the default path
// /socket.io/ and the query EIO=4&transport=websocket.
func SocketURL(baseURL string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", baseURL, err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("target %q: scheme must be http or https", baseURL)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/socket.io/"
	u.RawQuery = "EIO=4&transport=websocket"
	return u.String(), nil
}

// ParseConnectError reads a CONNECT_ERROR payload: a *wcp.Error when it is
// the contract's {"message", "data": {"code"}}, a plain error otherwise.
func ParseConnectError(data []byte) error {
	var p struct {
		Message string `json:"message"`
		Data    struct {
			Code string `json:"code"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &p); err != nil || p.Data.Code == "" {
		return fmt.Errorf("connect refused without a code: %q", clip(data))
	}
	return &wcp.Error{Code: wcp.Code(p.Data.Code), Message: p.Message}
}

// DialRaw opens the websocket transport at baseURL's /socket.io/ and reads
// the Engine.IO open packet.
func DialRaw(ctx context.Context, baseURL string) (*RawConn, error) {
	u, err := SocketURL(baseURL)
	if err != nil {
		return nil, fmt.Errorf("dial raw: %w", err)
	}
	d := websocket.Dialer{HandshakeTimeout: 5 * time.Second}
	ws, _, err := d.DialContext(ctx, u, nil)
	if err != nil {
		return nil, fmt.Errorf("dial raw: %w", err)
	}
	c := &RawConn{ws: ws}
	frame, err := c.readFrame(ctx)
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("dial raw: open packet: %w", err)
	}
	if !strings.HasPrefix(frame, "0") {
		ws.Close()
		return nil, fmt.Errorf("dial raw: first frame is %q, not an Engine.IO open packet", clip([]byte(frame)))
	}
	return c, nil
}

// WriteFrame sends one raw Engine.IO frame (e.g. "40{...}" is a Socket.IO
// CONNECT with a payload).
func (c *RawConn) WriteFrame(frame string) error {
	return c.ws.WriteMessage(websocket.TextMessage, []byte(frame))
}

// Connect sends a Socket.IO CONNECT to the default namespace with rawAuth
// as its payload, verbatim ("" sends none), and returns the answer: a
// CONNECT or CONNECT_ERROR packet, or ErrRawClosed if the server hung up.
func (c *RawConn) Connect(ctx context.Context, rawAuth string) (RawPacket, error) {
	if err := c.WriteFrame("40" + rawAuth); err != nil {
		return RawPacket{}, err
	}
	for {
		p, err := c.Read(ctx)
		if err != nil {
			return p, err
		}
		if p.Type == PacketConnect || p.Type == PacketConnectError || p.Type == PacketDisconnect {
			return p, nil
		}
	}
}

// Emit sends an EVENT packet whose data is rawArray verbatim (normally a
// JSON array like ["message",{...}]); with ackID it asks for an ack.
func (c *RawConn) Emit(rawArray string, ackID *uint64) error {
	frame := "42"
	if ackID != nil {
		frame += strconv.FormatUint(*ackID, 10)
	}
	return c.WriteFrame(frame + rawArray)
}

// Read returns the next Socket.IO packet, answering Engine.IO pings on the
// way. It honours ctx's deadline.
func (c *RawConn) Read(ctx context.Context) (RawPacket, error) {
	for {
		frame, err := c.readFrame(ctx)
		if err != nil {
			return RawPacket{}, err
		}
		switch {
		case frame == "2":
			if err := c.WriteFrame("3"); err != nil {
				return RawPacket{}, err
			}
		case frame == "1":
			return RawPacket{}, ErrRawClosed
		case strings.HasPrefix(frame, "4") && len(frame) >= 2:
			return parseRawPacket(frame[1:])
		}
	}
}

// WaitAck reads until the ack with the given id arrives and returns its data.
func (c *RawConn) WaitAck(ctx context.Context, id uint64) (json.RawMessage, error) {
	for {
		p, err := c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if p.Type == PacketAck && p.ID != nil && *p.ID == id {
			return p.Data, nil
		}
		if p.Type == PacketDisconnect {
			return nil, ErrRawClosed
		}
	}
}

// Close closes the websocket.
func (c *RawConn) Close() error { return c.ws.Close() }

func (c *RawConn) readFrame(ctx context.Context) (string, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	if err := c.ws.SetReadDeadline(deadline); err != nil {
		return "", err
	}
	_, data, err := c.ws.ReadMessage()
	if err != nil {
		// A server may hang up with a close frame, a FIN or a reset; to a
		// caller asking "did it end the connection?" these are the same.
		var ce *websocket.CloseError
		if errors.As(err, &ce) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
			errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) {
			return "", fmt.Errorf("%w: %v", ErrRawClosed, err)
		}
		return "", err
	}
	return string(data), nil
}

// parseRawPacket parses "<type>[/nsp,][id]<json>" for the default namespace.
func parseRawPacket(s string) (RawPacket, error) {
	p := RawPacket{Type: s[0]}
	rest := s[1:]
	if strings.HasPrefix(rest, "/") {
		if i := strings.IndexByte(rest, ','); i >= 0 {
			rest = rest[i+1:]
		} else {
			rest = ""
		}
	}
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i > 0 {
		id, err := strconv.ParseUint(rest[:i], 10, 64)
		if err != nil {
			return p, fmt.Errorf("packet id: %w", err)
		}
		p.ID = &id
	}
	if rest = rest[i:]; rest != "" {
		p.Data = json.RawMessage(rest)
	}
	return p, nil
}
