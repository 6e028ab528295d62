package transcript

import "time"

// Dir says which way a frame went.
type Dir string

const (
	Sent     Dir = "sent"     // from the specs (the client) to the server
	Received Dir = "received" // from the server to the specs
)

// Frame is one thing that crossed the wire while a spec ran: an HTTP
// request or response, a websocket frame, or the end of a connection. Its
// text is already redacted (see Redactor).
type Frame struct {
	Conn int           `json:"conn"` // the TCP connection, numbered from 1 within the spec
	At   time.Duration `json:"at"`   // since the spec began
	Dir  Dir           `json:"dir"`
	Kind string        `json:"kind"` // see the Kind constants
	Text string        `json:"text"`
}

// Kinds of Frame.
const (
	KindHTTPRequest  = "http-request"  // request line, headers, body
	KindHTTPResponse = "http-response" // status line, headers, body
	KindWebSocket    = "websocket"     // one text or binary frame's payload (an Engine.IO packet)
	KindClose        = "close"         // the connection ended, from Dir's side
	KindRaw          = "raw"           // bytes that parse as neither (a broken request, say)
	KindNote         = "note"          // the recorder's own remark: frames dropped, a stream truncated; Conn 0 and no Dir when it is about the whole transcript
)
