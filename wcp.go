// Package wcp holds the Workspace Chat Protocol (WCP/1) contract: the wire
// types, the error codes, the limits and the per-message signer. It does no
// I/O; the client, the reference server, the specs and the load generator all
// speak in these types rather than redefining them.
package wcp

import "time"

// Limits of WCP/1 (PROTOCOL.md sections 1 to 6).
const (
	MaxHTTPBody      = 64 << 10 // bytes; larger bodies get 413 before parsing
	MaxNameLen       = 100      // characters of a user or workspace name
	MaxTitleLen      = 200      // characters of a chat title
	MaxBodyBytes     = 16384    // bytes of UTF-8 in a message body
	MaxNonce         = 1<<53 - 1
	MaxIDLen         = 64
	MaxConnStringLen = 512
	MinTTLSeconds    = 1
	MaxTTLSeconds    = 3600
	DefaultTTL       = 300
	MaxPageLimit     = 1000
	DefaultPageLimit = 100
	// ClockTolerance is the slack EXP-2 allows around expires_at.
	ClockTolerance = time.Second
	// RevokeWithin is how soon CON-4 requires revoked sessions to end.
	RevokeWithin = time.Second
)

// TimeFormat is the wire form of every time: RFC 3339, UTC, milliseconds.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// FormatTime renders t as the protocol requires.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ValidID reports whether s is a well-formed protocol ID: 1..64 characters
// of [A-Za-z0-9_-].
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > MaxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}
