package transcript

import (
	"encoding/json"
	"strings"

	"github.com/wcp-project/wcp/wire"
)

// scrub learns the secrets in a payload that crossed the wire (an HTTP
// body or a websocket message) and returns it with them replaced by their
// labels. A payload is JSON (the HTTP API), an Engine.IO packet (a
// websocket message), or Engine.IO packets joined by the record separator
// (a long-polling body); anything else is returned as it is, for Redact to
// hide by value and pattern.
func (r *Redactor) scrub(payload string) string {
	if json.Valid([]byte(payload)) {
		return string(r.learnJSON([]byte(payload)))
	}
	if !strings.ContainsRune(payload, wire.RecordSeparator) {
		return r.scrubPacket(payload)
	}
	packets := wire.SplitPayload(payload)
	for i, p := range packets {
		packets[i] = r.scrubPacket(p)
	}
	return wire.JoinPayload(packets)
}

// scrubPacket does scrub's work on one Engine.IO packet: "0{open}", or
// "4" and a Socket.IO packet "<type>[/nsp,][id][json]" (section 1 of
// PROTOCOL.md), whose JSON carries the auth of a CONNECT
// (connection_string), the session event (message_key) and messages
// (message_string).
func (r *Redactor) scrubPacket(p string) string {
	if p == "" {
		return p
	}
	switch p[0] {
	case wire.EngineOpen:
		return p[:1] + string(r.learnJSON([]byte(p[1:])))
	case wire.EngineMessage:
		sp, err := wire.ParsePacket(p[1:])
		if err != nil || len(sp.Data) == 0 {
			return p
		}
		head := p[:len(p)-len(sp.Data)]
		return head + string(r.learnJSON(sp.Data))
	}
	return p
}
