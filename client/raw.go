package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/wire"
)

// Socket.IO packet types (protocol v5), as RawPacket.Type holds them.
const (
	PacketConnect      = wire.Connect
	PacketDisconnect   = wire.Disconnect
	PacketEvent        = wire.Event
	PacketAck          = wire.Ack
	PacketConnectError = wire.ConnectError
)

// RawPacket is one Socket.IO packet as it came over the wire.
type RawPacket = wire.Packet

// RawConn is a bare Engine.IO v4 connection that sends exactly the frames
// it is told to. It exists so tests can hand a server what no Socket.IO
// client will produce: an `auth` that is not an object, event payloads of
// the wrong shape, floods. It answers pings while it reads; it is not safe
// for concurrent use.
type RawConn struct {
	t transport
}

// ErrRawClosed is returned (wrapped) once the server has closed the
// connection, whether with a close frame or packet, a FIN or a reset;
// test it with errors.Is.
var ErrRawClosed = errors.New("raw connection closed")

// SocketURL is the Engine.IO websocket endpoint of the server at baseURL:
// http becomes ws, https wss (ws and wss stay), with the default path
// /socket.io/ and the query EIO=4&transport=websocket.
func SocketURL(baseURL string) (string, error) {
	return wire.EndpointURL(baseURL, wire.WebSocket)
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
	return DialRawTransport(ctx, baseURL, TransportWebSocket)
}

// DialRawTransport is DialRaw over the named transport (TransportWebSocket
// or TransportPolling).
func DialRawTransport(ctx context.Context, baseURL, transport string) (*RawConn, error) {
	t, _, err := openTransport(ctx, baseURL, transport)
	if err != nil {
		return nil, fmt.Errorf("dial raw: %w", err)
	}
	return &RawConn{t: t}, nil
}

// WriteFrame sends one raw Engine.IO packet (e.g. "40{...}" is a Socket.IO
// CONNECT with a payload).
func (c *RawConn) WriteFrame(frame string) error {
	return c.t.send(frame)
}

// Connect sends a Socket.IO CONNECT to the default namespace with rawAuth
// as its payload, verbatim ("" sends none), and returns the answer: a
// CONNECT, CONNECT_ERROR or DISCONNECT packet, or ErrRawClosed if the
// server hung up.
func (c *RawConn) Connect(ctx context.Context, rawAuth string) (RawPacket, error) {
	if err := c.WriteFrame(wire.ConnectFrame(rawAuth)); err != nil {
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
	return c.WriteFrame(wire.EventFrame(rawArray, ackID))
}

// Read returns the next Socket.IO packet, answering Engine.IO pings on the
// way. It honours ctx's deadline (10 s when ctx has none).
func (c *RawConn) Read(ctx context.Context) (RawPacket, error) {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	for {
		frame, err := c.t.next(deadline)
		if err != nil {
			return RawPacket{}, err
		}
		switch {
		case frame == wire.PingFrame:
			if err := c.WriteFrame(wire.PongFrame); err != nil {
				return RawPacket{}, err
			}
		case frame == wire.CloseFrame:
			return RawPacket{}, fmt.Errorf("%w: Engine.IO close packet", ErrRawClosed)
		case len(frame) >= 2 && frame[0] == wire.EngineMessage:
			return wire.ParsePacket(frame[1:])
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
			return nil, fmt.Errorf("%w: DISCONNECT packet", ErrRawClosed)
		}
	}
}

// Close closes the connection.
func (c *RawConn) Close() error { return c.t.close() }
