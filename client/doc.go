// Package client is one user's view of a WCP/1 server: typed calls for every
// HTTP endpoint, a Socket.IO Session that signs and numbers messages, and a
// RawConn that speaks Engine.IO frames directly so tests can send what no
// well-behaved client would (non-object handshakes, malformed payloads).
//
// Every refusal a server makes comes back as a *wcp.Error (with Status set
// for HTTP), so callers compare codes with errors.Is or wcp.ErrorCode. An
// answer that does not follow the contract at all (wrong content, wrong
// shape) comes back as a *ProtocolError. The package has no package state,
// logs nothing and starts no goroutine that outlives a Session.
package client
