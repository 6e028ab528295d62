package wcp

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
)

// KeySize is the length in bytes of a session's message key.
const KeySize = 32

// SignedText is the exact byte string a message_string authenticates:
// "wcp1\n" + chat_id + "\n" + session_id + "\n" + decimal(nonce) + "\n" + body.
func SignedText(chatID, sessionID string, nonce int64, body string) []byte {
	b := make([]byte, 0, 5+len(chatID)+1+len(sessionID)+1+20+1+len(body))
	return appendSignedText(b, chatID, sessionID, nonce, body)
}

func appendSignedText(b []byte, chatID, sessionID string, nonce int64, body string) []byte {
	b = append(b, "wcp1\n"...)
	b = append(b, chatID...)
	b = append(b, '\n')
	b = append(b, sessionID...)
	b = append(b, '\n')
	b = strconv.AppendInt(b, nonce, 10)
	b = append(b, '\n')
	return append(b, body...)
}

// Signer computes and checks message strings for one session's key. It is
// not safe for concurrent use (it reuses its HMAC state); make one per
// goroutine, they are cheap.
type Signer struct {
	mac hashState
	buf []byte
	sum [sha256.Size]byte
}

type hashState interface {
	Write([]byte) (int, error)
	Sum([]byte) []byte
	Reset()
}

// NewSigner returns a Signer for a raw 32-byte key.
func NewSigner(key []byte) (*Signer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("message key: want %d bytes, got %d", KeySize, len(key))
	}
	return &Signer{mac: hmac.New(sha256.New, key)}, nil
}

// NewSignerFromKey decodes a session's message_key (base64url, no padding)
// and returns its Signer.
func NewSignerFromKey(messageKey string) (*Signer, error) {
	key, err := DecodeKey(messageKey)
	if err != nil {
		return nil, err
	}
	return NewSigner(key)
}

func (s *Signer) digest(chatID, sessionID string, nonce int64, body string) []byte {
	s.buf = appendSignedText(s.buf[:0], chatID, sessionID, nonce, body)
	s.mac.Reset()
	s.mac.Write(s.buf)
	return s.mac.Sum(s.sum[:0])
}

// Sign returns the lowercase hex message_string for the message.
func (s *Signer) Sign(chatID, sessionID string, nonce int64, body string) string {
	return hex.EncodeToString(s.digest(chatID, sessionID, nonce, body))
}

// Verify reports whether messageString is the lowercase hex HMAC of the
// message. The comparison is constant-time; anything other than exactly 64
// lowercase hex digits is a mismatch.
func (s *Signer) Verify(chatID, sessionID string, nonce int64, body, messageString string) bool {
	var got [sha256.Size]byte
	if !decodeLowerHex(got[:], messageString) {
		return false
	}
	return hmac.Equal(got[:], s.digest(chatID, sessionID, nonce, body))
}

// decodeLowerHex decodes exactly len(dst)*2 lowercase hex digits. Upper-case
// digits are refused: the wire form is lowercase, and accepting two spellings
// of one MAC would let a client send "different" strings for one message.
func decodeLowerHex(dst []byte, s string) bool {
	if len(s) != 2*len(dst) {
		return false
	}
	for i := range dst {
		hi, ok1 := lowerHexVal(s[2*i])
		lo, ok2 := lowerHexVal(s[2*i+1])
		if !ok1 || !ok2 {
			return false
		}
		dst[i] = hi<<4 | lo
	}
	return true
}

func lowerHexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// Sign is a one-shot form of Signer.Sign for a base64url message_key.
func Sign(messageKey, chatID, sessionID string, nonce int64, body string) (string, error) {
	s, err := NewSignerFromKey(messageKey)
	if err != nil {
		return "", err
	}
	return s.Sign(chatID, sessionID, nonce, body), nil
}

// EncodeKey renders a raw key as a message_key: base64url without padding.
func EncodeKey(key []byte) string { return base64.RawURLEncoding.EncodeToString(key) }

// DecodeKey parses a message_key into its 32 raw bytes.
func DecodeKey(messageKey string) ([]byte, error) {
	key, err := base64.RawURLEncoding.DecodeString(messageKey)
	if err != nil {
		return nil, fmt.Errorf("message key: %w", err)
	}
	if len(key) != KeySize {
		return nil, fmt.Errorf("message key: want %d bytes, got %d", KeySize, len(key))
	}
	return key, nil
}
