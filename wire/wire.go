// Package wire is the text framing of Engine.IO v4 and Socket.IO v5 as WCP/1
// uses it (section 1 of PROTOCOL.md): packet types, the open packet, the
// CONNECT, EVENT and ACK frames, the long-polling payload and the endpoint
// URLs. It does no I/O, so the client, the raw connections of the specs and
// the load generator share one spelling of every frame.
//
// Only text packets are covered: WCP/1 sends JSON and nothing else, so the
// binary packet types are recognised but never produced.
package wire

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Engine.IO v4 packet types: the first byte of every Engine.IO packet.
const (
	EngineOpen    = '0'
	EngineClose   = '1'
	EnginePing    = '2'
	EnginePong    = '3'
	EngineMessage = '4'
	EngineUpgrade = '5'
	EngineNoop    = '6'
)

// Socket.IO v5 packet types: the byte after EngineMessage.
const (
	Connect      = '0'
	Disconnect   = '1'
	Event        = '2'
	Ack          = '3'
	ConnectError = '4'
	BinaryEvent  = '5'
	BinaryAck    = '6'
)

// Transports of Engine.IO, as the `transport` query parameter names them.
const (
	WebSocket = "websocket"
	Polling   = "polling"
)

// Frames that carry no data.
const (
	PingFrame       = "2"
	PongFrame       = "3"
	CloseFrame      = "1"
	DisconnectFrame = "41" // Socket.IO DISCONNECT of the default namespace
)

// RecordSeparator joins Engine.IO packets in one long-polling body.
const RecordSeparator = '\x1e'

// ErrMalformed is wrapped by every parse error of this package.
var ErrMalformed = errors.New("malformed packet")

// Open is the Engine.IO open packet's data: the handshake.
type Open struct {
	SID          string   `json:"sid"`
	Upgrades     []string `json:"upgrades"`
	PingInterval int      `json:"pingInterval"` // milliseconds
	PingTimeout  int      `json:"pingTimeout"`  // milliseconds
	MaxPayload   int      `json:"maxPayload"`   // bytes; 0 when not announced
}

// ParseOpen reads an Engine.IO open packet ("0{...}").
func ParseOpen(frame string) (Open, error) {
	var o Open
	if len(frame) == 0 || frame[0] != EngineOpen {
		return o, fmt.Errorf("%w: %q is not an Engine.IO open packet", ErrMalformed, Clip(frame))
	}
	if err := json.Unmarshal([]byte(frame[1:]), &o); err != nil || o.SID == "" {
		return o, fmt.Errorf("%w: Engine.IO open packet %q", ErrMalformed, Clip(frame))
	}
	return o, nil
}

// Packet is one Socket.IO packet of the default namespace.
type Packet struct {
	Type byte    // Connect, Event, Ack, ...
	ID   *uint64 // ack id, when present
	Data json.RawMessage
}

// ParsePacket parses a Socket.IO packet, "<type>[/nsp,][id][json]", given
// without its Engine.IO message prefix. A namespace, when present, is
// skipped: WCP uses only the default one.
func ParsePacket(s string) (Packet, error) {
	if s == "" {
		return Packet{}, fmt.Errorf("%w: empty Socket.IO packet", ErrMalformed)
	}
	p := Packet{Type: s[0]}
	if p.Type < Connect || p.Type > BinaryAck {
		return p, fmt.Errorf("%w: Socket.IO packet type %q", ErrMalformed, p.Type)
	}
	rest := s[1:]
	if p.Type == BinaryEvent || p.Type == BinaryAck {
		// "<n>-" attachments precede the namespace; WCP never sends them.
		if i := strings.IndexByte(rest, '-'); i >= 0 {
			rest = rest[i+1:]
		}
	}
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
			return p, fmt.Errorf("%w: packet id: %v", ErrMalformed, err)
		}
		p.ID = &id
	}
	if rest = rest[i:]; rest != "" {
		p.Data = json.RawMessage(rest)
	}
	return p, nil
}

// ConnectFrame is the Engine.IO message carrying a Socket.IO CONNECT to the
// default namespace with rawAuth as its payload, verbatim ("" sends none).
func ConnectFrame(rawAuth string) string { return "40" + rawAuth }

// EventFrame is the Engine.IO message carrying a Socket.IO EVENT whose data
// is rawArray verbatim (normally ["name", args...]); a non-nil id asks for
// an acknowledgement.
func EventFrame(rawArray string, id *uint64) string {
	if id == nil {
		return "42" + rawArray
	}
	return "42" + strconv.FormatUint(*id, 10) + rawArray
}

// AckFrame is the Engine.IO message carrying a Socket.IO ACK for id.
func AckFrame(id uint64, rawArray string) string {
	return "43" + strconv.FormatUint(id, 10) + rawArray
}

// EncodeEvent marshals ["event", args...] for EventFrame.
func EncodeEvent(event string, args ...any) (string, error) {
	b, err := json.Marshal(append([]any{event}, args...))
	if err != nil {
		return "", fmt.Errorf("encode %q event: %w", event, err)
	}
	return string(b), nil
}

// DecodeEvent splits an EVENT's data into its name and its arguments, each
// left as raw JSON.
func DecodeEvent(data json.RawMessage) (string, []json.RawMessage, error) {
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil || len(parts) == 0 {
		return "", nil, fmt.Errorf("%w: event %q is not a non-empty array", ErrMalformed, Clip(string(data)))
	}
	var name string
	if err := json.Unmarshal(parts[0], &name); err != nil {
		return "", nil, fmt.Errorf("%w: event name %q is not a string", ErrMalformed, Clip(string(parts[0])))
	}
	return name, parts[1:], nil
}

// DecodeArgs splits an ACK's data (a JSON array) into its arguments.
func DecodeArgs(data json.RawMessage) ([]json.RawMessage, error) {
	if len(data) == 0 {
		return nil, nil
	}
	var parts []json.RawMessage
	if err := json.Unmarshal(data, &parts); err != nil {
		return nil, fmt.Errorf("%w: ack %q is not an array", ErrMalformed, Clip(string(data)))
	}
	return parts, nil
}

// SplitPayload splits a long-polling body into its Engine.IO packets.
func SplitPayload(body string) []string {
	if body == "" {
		return nil
	}
	return strings.Split(body, string(rune(RecordSeparator)))
}

// JoinPayload joins Engine.IO packets into one long-polling body.
func JoinPayload(frames []string) string {
	return strings.Join(frames, string(rune(RecordSeparator)))
}

// EndpointURL is the Engine.IO endpoint of the server at baseURL for a
// transport: the default path /socket.io/ with EIO=4 and the transport in
// the query. For WebSocket, http becomes ws and https wss (ws and wss stay);
// for Polling, ws becomes http and wss https.
func EndpointURL(baseURL, transport string) (string, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return "", fmt.Errorf("target %q: %w", baseURL, err)
	}
	secure := false
	switch u.Scheme {
	case "http", "ws":
	case "https", "wss":
		secure = true
	default:
		return "", fmt.Errorf("target %q: scheme must be http or https", baseURL)
	}
	switch transport {
	case WebSocket:
		u.Scheme = map[bool]string{false: "ws", true: "wss"}[secure]
	case Polling:
		u.Scheme = map[bool]string{false: "http", true: "https"}[secure]
	default:
		return "", fmt.Errorf("transport %q: want %q or %q", transport, WebSocket, Polling)
	}
	u.Path = strings.TrimRight(u.Path, "/") + "/socket.io/"
	u.RawQuery = "EIO=4&transport=" + transport
	return u.String(), nil
}

// Clip shortens s for an error message.
func Clip(s string) string {
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}
