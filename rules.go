package wcp

// Rule is one numbered rule of WCP/1 as PROTOCOL.md states it: the
// conformance specs name rules by ID, and reports show them with their
// section and a one-line summary.
type Rule struct {
	ID      string // "OWN-1"
	Section int    // the PROTOCOL.md section that states it
	// Anchor is the section's heading anchor in PROTOCOL.md, as GitHub
	// renders it ("3-users-workspaces-chats-http").
	Anchor string
	// Level is the rule's RFC 2119 strength. Every WCP/1 rule is a MUST: a
	// server that breaks one does not speak WCP/1.
	Level   string
	Summary string
}

// Rules returns every rule of WCP/1 in the protocol document's order. The
// slice is new on every call.
func Rules() []Rule {
	const (
		errs = "2-errors"
		http = "3-users-workspaces-chats-http"
		exp  = "4-connection-strings"
		conn = "5-connecting"
		msgs = "6-messages"
		must = "MUST"
	)
	return []Rule{
		{"OWN-1", 3, http, must, "POST /chat checks token (401), body (400), workspace (404), owner (403) in that order; a refused call creates nothing"},
		{"OWN-2", 3, http, must, "a member may read, get connection strings and send, but not create or delete chats, delete the workspace or change members (403)"},
		{"OWN-3", 3, http, must, "a non-member gets 403 on every call about an existing workspace, its chats and messages, and 404 where it does not exist"},
		{"OWN-4", 3, http, must, "the owner cannot be removed from the members (400); removing a non-member is fine (204)"},
		{"OWN-5", 3, http, must, "a deleted workspace or chat answers 404 from then on, to everyone"},
		{"EXP-1", 4, exp, must, "a connection string is opaque printable ASCII of at most 512 bytes, issued for one (user, chat), and unforgeable"},
		{"EXP-2", 4, exp, must, "a connection string works for any number of connections until expires_at and is refused with connection_string_expired after"},
		{"EXP-3", 4, exp, must, "a ttl_seconds outside 1..3600, or not an integer, is a 400"},
		{"EXP-4", 4, exp, must, "expires_at is within 1 s of the issue time plus ttl_seconds"},
		{"CON-1", 5, conn, must, "a session starts with the session event, before any other, with a fresh 32-byte message key"},
		{"CON-2", 5, conn, must, "connecting with after replays every stored message with seq > after, in order, then live ones, no gap and no duplicate"},
		{"CON-3", 5, conn, must, "a socket is bound to one chat for life; a user may hold several sessions, each getting every message of its chat"},
		{"CON-4", 5, conn, must, "when access ends the server emits revoked to the affected sessions and disconnects them within 1 s"},
		{"CON-5", 5, conn, must, "connect checks auth shape, authenticity, chat binding, expiry, chat existence and access, in that order, with their codes"},
		{"MSG-1", 6, msgs, must, "a valid message is stored, then acknowledged and delivered to every session of the chat, numbered seq 1, 2, 3, ... without gaps"},
		{"MSG-2", 6, msgs, must, "a refused message is acknowledged with its code and never stored, delivered or counted; the session stays open"},
		{"MSG-3", 6, msgs, must, "an acknowledged message survives a restart of the server, even kill -9"},
		{"MSG-4", 6, msgs, must, "a message key works only in its own session"},
		{"MSG-5", 6, msgs, must, "message checks run in order: shape, size, chat, message string (constant time), nonce, each with its code"},
		{"ROB-1", 2, errs, must, "the server never crashes, hangs or leaks on bad input, and keeps serving everyone else"},
		{"ROB-2", 2, errs, must, "every HTTP error has the JSON error body and the status/code pairs; bodies over 64 KiB are refused with 413 before parsing"},
	}
}

// RuleByID returns the rule named id.
func RuleByID(id string) (Rule, bool) {
	for _, r := range Rules() {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}
