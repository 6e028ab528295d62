// Package client is one user's view of a WCP/1 server: typed calls for every
// HTTP endpoint, a Session that signs and numbers messages, and a RawConn
// that sends Engine.IO frames verbatim so tests can send what no
// well-behaved client would (non-object handshakes, malformed payloads).
//
// Session sits on Socket, a Socket.IO v5 client over one Engine.IO v4
// transport, websocket or long-polling (no upgrade). It is written here
// rather than taken from a Socket.IO client library because a conformance
// suite must see the wire as it is: one goroutine reads each connection and
// hands events, acks and the end of the connection to the caller in the
// order the server sent them (the library handed a disconnect over before
// the event that preceded it on the wire, and lost that event); it offers
// no permessage-deflate, which aiohttp's answer breaks in gorilla's dialer;
// its polling POSTs carry a Content-Length, since python-engineio drops
// chunked bodies; and importing it installs no signal handler. Frames are
// spelled once, in package wire.
//
// Every refusal a server makes comes back as a *wcp.Error (with Status set
// for HTTP), so callers compare codes with errors.Is or wcp.ErrorCode. An
// answer that does not follow the contract at all (wrong content, wrong
// shape) comes back as a *ProtocolError. The package has no package state,
// logs nothing and starts no goroutine that outlives a Session or Socket.
package client
