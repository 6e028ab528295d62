package reference

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// newID returns prefix + 128 random bits in base64url: unguessable, within
// the protocol's [A-Za-z0-9_-]{1,64}.
func newID(prefix string) string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand aborts the program instead)
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// newToken returns a bearer token with 256 random bits.
func newToken() string {
	var b [32]byte
	rand.Read(b[:])
	return "t_" + base64.RawURLEncoding.EncodeToString(b[:])
}

// hashToken is what the database keeps instead of the token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
