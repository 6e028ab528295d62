package reference

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"time"

	"github.com/wcp-project/wcp"
)

// A connection string is base64url (no padding, strict) of
//
//	version(1) | issued unix ms (8) | expires unix ms (8) |
//	len(user)(1) | user | len(chat)(1) | chat | HMAC-SHA256(secret, all before)(32)
//
// At most 1+8+8+1+64+1+64+32 = 179 bytes, 240 characters: within EXP-1's 512.
// Strict decoding refuses non-zero padding bits, so no two strings decode to
// the same bytes, and any changed character either fails to decode or
// changes the signed bytes.
const connVersion = 1

var connEncoding = base64.RawURLEncoding.Strict()

// connClaims is what a connection string says.
type connClaims struct {
	UserID, ChatID  string
	Issued, Expires time.Time // millisecond precision
}

// expired reports whether the string is expired at now: at or after expires_at.
func (c connClaims) expired(now time.Time) bool {
	return now.UnixMilli() >= c.Expires.UnixMilli()
}

// connKey issues and checks connection strings with the server secret.
type connKey struct{ secret []byte }

var errConnFormat = errors.New("malformed connection string")

func (k connKey) mac(payload []byte) []byte {
	m := hmac.New(sha256.New, k.secret)
	m.Write(payload)
	return m.Sum(nil)
}

// issue returns the connection string for c. IDs longer than 255 bytes
// cannot occur (the server mints them, at most 64 bytes).
func (k connKey) issue(c connClaims) string {
	b := make([]byte, 0, 18+len(c.UserID)+1+len(c.ChatID)+sha256.Size)
	b = append(b, connVersion)
	b = binary.BigEndian.AppendUint64(b, uint64(c.Issued.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Expires.UnixMilli()))
	b = append(b, byte(len(c.UserID)))
	b = append(b, c.UserID...)
	b = append(b, byte(len(c.ChatID)))
	b = append(b, c.ChatID...)
	b = append(b, k.mac(b)...)
	return connEncoding.EncodeToString(b)
}

// parse decodes s and reports whether its signature is authentic. It checks
// the format only as far as needed to read the claims; err means the string
// is not even well-formed (and so not authentic either).
func (k connKey) parse(s string) (c connClaims, authentic bool, err error) {
	if len(s) == 0 || len(s) > wcp.MaxConnStringLen {
		return c, false, errConnFormat
	}
	b, err := connEncoding.DecodeString(s)
	if err != nil || len(b) < 1+8+8+1+1+sha256.Size || b[0] != connVersion {
		return c, false, errConnFormat
	}
	payload, sig := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	rest := payload[17:]
	user, rest, ok := cutLen(rest)
	if !ok {
		return c, false, errConnFormat
	}
	chat, rest, ok := cutLen(rest)
	if !ok || len(rest) != 0 || !wcp.ValidID(string(user)) || !wcp.ValidID(string(chat)) {
		return c, false, errConnFormat
	}
	c = connClaims{
		UserID:  string(user),
		ChatID:  string(chat),
		Issued:  time.UnixMilli(int64(binary.BigEndian.Uint64(payload[1:9]))),
		Expires: time.UnixMilli(int64(binary.BigEndian.Uint64(payload[9:17]))),
	}
	return c, hmac.Equal(sig, k.mac(payload)), nil
}

// cutLen splits a one-byte-length-prefixed field off b.
func cutLen(b []byte) (field, rest []byte, ok bool) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return nil, nil, false
	}
	n := int(b[0])
	return b[1 : 1+n], b[1+n:], true
}
