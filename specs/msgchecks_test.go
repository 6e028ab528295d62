package specs

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

// The MSG-5 checks and their order. Every refused message below breaks a
// later check too, so a server that checks in another order answers with
// another code.
var _ = Describe("Message checks and their order (MSG-5)", func() {
	It("MSG-5: a payload of the wrong shape is bad_request, whatever else is wrong", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		other := w.newChat("other")
		good := payload(signed(s, 1, "fine"))
		huge := strings.Repeat("x", wcp.MaxBodyBytes+1)
		for why, p := range map[string]any{
			"nonce 0":                    with(payload(signed(s, 0, "fine")), "nonce", 0),
			"nonce 2^53":                 with(good, "nonce", int64(1)<<53),
			"nonce -1":                   with(payload(signed(s, -1, "fine")), "nonce", -1),
			"nonce 1.5":                  with(good, "nonce", 1.5),
			`nonce "1"`:                  with(good, "nonce", "1"),
			"nonce null":                 with(good, "nonce", nil),
			"no nonce":                   without(good, "nonce"),
			`body ""`:                    with(payload(signed(s, 1, "")), "body", ""),
			"body a number":              with(good, "body", 7),
			"no body":                    without(good, "body"),
			"chat_id a number":           with(good, "chat_id", 7),
			"no chat_id":                 without(good, "chat_id"),
			"message_string a number":    with(good, "message_string", 7),
			"no message_string":          without(good, "message_string"),
			"a string":                   "fine",
			"an array":                   []any{good},
			"nonce 0 and body too large": with(payload(signed(s, 0, huge)), "nonce", 0),
			`nonce "1" and wrong chat`:   with(with(good, "nonce", "1"), "chat_id", other.ID),
		} {
			w.expectRefusal(s, p, wcp.CodeBadRequest, why)
		}
		w.expectAcceptedMsg(s, good, "the well-formed one")
	})

	It("MSG-5: a body over 16384 bytes is payload_too_large, before the chat and the signature", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		other := w.newChat("other")
		ascii := strings.Repeat("x", wcp.MaxBodyBytes+1)
		wide := strings.Repeat("é", wcp.MaxBodyBytes/2) + "x" // 8193 characters, 16385 bytes
		w.expectRefusal(s, payload(signed(s, 1, ascii)), wcp.CodePayloadTooLarge, "16385 bytes, signed")
		w.expectRefusal(s, payload(signed(s, 1, wide)), wcp.CodePayloadTooLarge, "16385 bytes of UTF-8 in 8193 characters")
		w.expectRefusal(s, with(payload(signed(s, 1, ascii)), "chat_id", other.ID), wcp.CodePayloadTooLarge, "too large and wrong chat")
		w.expectRefusal(s, with(payload(signed(s, 1, ascii)), "message_string", strings.Repeat("0", 64)), wcp.CodePayloadTooLarge, "too large and badly signed")
		// the limit itself is fine, counted in bytes
		w.expectAcceptedMsg(s, payload(signed(s, 1, strings.Repeat("x", wcp.MaxBodyBytes))), "16384 bytes")
		w.expectAcceptedMsg(s, payload(signed(s, 2, strings.Repeat("é", wcp.MaxBodyBytes/2))), "16384 bytes of UTF-8")
	})

	It("MSG-5: a message for another chat is wrong_chat, before the signature", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		other := w.newChat("other")
		forOther := wcp.OutgoingMessage{ChatID: other.ID, Nonce: 1, Body: "hi", MessageString: s.Sign(other.ID, 1, "hi")}
		w.expectRefusal(s, payload(forOther), wcp.CodeWrongChat, "signed for the other chat")
		w.expectRefusal(s, with(payload(forOther), "message_string", strings.Repeat("0", 64)), wcp.CodeWrongChat, "wrong chat and badly signed")
		w.expectRefusal(s, with(payload(signed(s, 1, "hi")), "chat_id", "nochat"+uniqueID()), wcp.CodeWrongChat, "a chat that does not exist")
		w.expectAcceptedMsg(s, payload(signed(s, 1, "hi")), "the right chat")
		w.expectRefusal(s, with(payload(forOther), "nonce", 1), wcp.CodeWrongChat, "wrong chat and a replayed nonce")
	})

	It("MSG-5: the message string is the lowercase hex HMAC of exactly this message", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		other := w.connect(w.member, w.chat.ID, -1)
		m := signed(s, 1, "exact")
		sig := m.MessageString
		for why, p := range map[string]any{
			"another body":           with(payload(m), "body", "exacT"),
			"another nonce":          with(payload(m), "nonce", 2),
			"another session's key":  payload(signed(other, 1, "exact")),
			"signed for another id":  with(payload(m), "message_string", s.Sign(s.Info().ChatID+"x", 1, "exact")),
			"upper-case hex":         with(payload(m), "message_string", strings.ToUpper(sig)),
			"63 digits":              with(payload(m), "message_string", sig[:63]),
			"65 digits":              with(payload(m), "message_string", sig+"0"),
			"not hex":                with(payload(m), "message_string", "g"+sig[1:]),
			"empty":                  with(payload(m), "message_string", ""),
			"base64 of the same MAC": with(payload(m), "message_string", hexToBase64(sig)),
		} {
			w.expectRefusal(s, p, wcp.CodeInvalidMessageString, why)
		}
		w.expectAcceptedMsg(s, payload(m), "the genuine one")
	})

	It("MSG-5: the signature is checked before the nonce", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		w.expectAcceptedMsg(s, payload(signed(s, 5, "five")), "nonce 5")
		w.expectRefusal(s, with(payload(signed(s, 5, "five")), "body", "forged"), wcp.CodeInvalidMessageString, "replayed nonce and bad signature")
		w.expectRefusal(s, with(payload(signed(s, 3, "three")), "body", "forged"), wcp.CodeInvalidMessageString, "older nonce and bad signature")
		w.expectRefusal(s, payload(signed(s, 5, "five again")), wcp.CodeReplayedMessage, "the same nonce, signed")
		w.expectRefusal(s, payload(signed(s, 4, "four")), wcp.CodeReplayedMessage, "a lower nonce, signed")
	})

	It("MSG-5: nonces must grow, gaps are fine, and refused nonces do not count", Label("MSG-5"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		w.expectAcceptedMsg(s, payload(signed(s, 1, "a")), "nonce 1")
		w.expectAcceptedMsg(s, payload(signed(s, 10, "b")), "a gap to 10")
		w.expectRefusal(s, payload(signed(s, 10, "c")), wcp.CodeReplayedMessage, "10 again")
		w.expectRefusal(s, payload(signed(s, 7, "d")), wcp.CodeReplayedMessage, "7 after 10")
		w.expectRefusal(s, with(payload(signed(s, 11, "e")), "body", "E"), wcp.CodeInvalidMessageString, "11, badly signed")
		w.expectAcceptedMsg(s, payload(signed(s, 11, "e")), "11, signed: the refused 11 did not count")
		w.expectAcceptedMsg(s, payload(signed(s, wcp.MaxNonce, "f")), "the largest nonce")
		w.expectRefusal(s, payload(signed(s, wcp.MaxNonce, "g")), wcp.CodeReplayedMessage, "the largest nonce again")
	})
})

// hexToBase64 re-encodes a hex MAC: the same bytes, the wrong spelling.
func hexToBase64(h string) string {
	b, err := hex.DecodeString(h)
	Expect(err).NotTo(HaveOccurred())
	return base64.RawURLEncoding.EncodeToString(b)
}
