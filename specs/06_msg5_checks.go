package specs

import (
	"encoding/base64"
	"encoding/hex"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §6, MSG-5: the checks of a message and their order. Every refused message below breaks a
// later check too, so a server that checks in another order answers with
// another code.
var _ = Describe("Message checks and their order (MSG-5)", func() {
	It("MSG-5: a payload of the wrong shape is bad_request, whatever else is wrong", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		other := w.NewChat(ctx, "other")
		good := harness.Payload(harness.Signed(s, 1, "fine"))
		huge := strings.Repeat("x", wcp.MaxBodyBytes+1)
		for why, p := range map[string]any{
			"nonce 0":                    harness.With(harness.Payload(harness.Signed(s, 0, "fine")), "nonce", 0),
			"nonce 2^53":                 harness.With(good, "nonce", int64(1)<<53),
			"nonce -1":                   harness.With(harness.Payload(harness.Signed(s, -1, "fine")), "nonce", -1),
			"nonce 1.5":                  harness.With(good, "nonce", 1.5),
			`nonce "1"`:                  harness.With(good, "nonce", "1"),
			"nonce null":                 harness.With(good, "nonce", nil),
			"no nonce":                   harness.Without(good, "nonce"),
			`body ""`:                    harness.With(harness.Payload(harness.Signed(s, 1, "")), "body", ""),
			"body a number":              harness.With(good, "body", 7),
			"no body":                    harness.Without(good, "body"),
			"chat_id a number":           harness.With(good, "chat_id", 7),
			"no chat_id":                 harness.Without(good, "chat_id"),
			"message_string a number":    harness.With(good, "message_string", 7),
			"no message_string":          harness.Without(good, "message_string"),
			"a string":                   "fine",
			"an array":                   []any{good},
			"nonce 0 and body too large": harness.With(harness.Payload(harness.Signed(s, 0, huge)), "nonce", 0),
			`nonce "1" and wrong chat`:   harness.With(harness.With(good, "nonce", "1"), "chat_id", other.ID),
		} {
			harness.ExpectMsgRefused(ctx, s, p, wcp.CodeBadRequest, why)
		}
		harness.ExpectMsgAccepted(ctx, s, good, "the well-formed one")
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5: a body over 16384 bytes is payload_too_large, before the chat and the signature", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		other := w.NewChat(ctx, "other")
		ascii := strings.Repeat("x", wcp.MaxBodyBytes+1)
		wide := strings.Repeat("é", wcp.MaxBodyBytes/2) + "x" // 8193 characters, 16385 bytes
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 1, ascii)), wcp.CodePayloadTooLarge, "16385 bytes, signed")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 1, wide)), wcp.CodePayloadTooLarge, "16385 bytes of UTF-8 in 8193 characters")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 1, ascii)), "chat_id", other.ID), wcp.CodePayloadTooLarge, "too large and wrong chat")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 1, ascii)), "message_string", strings.Repeat("0", 64)), wcp.CodePayloadTooLarge, "too large and badly signed")
		// the limit itself is fine, counted in bytes
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 1, strings.Repeat("x", wcp.MaxBodyBytes))), "16384 bytes")
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 2, strings.Repeat("é", wcp.MaxBodyBytes/2))), "16384 bytes of UTF-8")
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5: a message for another chat is wrong_chat, before the signature", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		other := w.NewChat(ctx, "other")
		forOther := wcp.OutgoingMessage{ChatID: other.ID, Nonce: 1, Body: "hi", MessageString: s.Sign(other.ID, 1, "hi")}
		harness.ExpectMsgRefused(ctx, s, harness.Payload(forOther), wcp.CodeWrongChat, "signed for the other chat")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(forOther), "message_string", strings.Repeat("0", 64)), wcp.CodeWrongChat, "wrong chat and badly signed")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 1, "hi")), "chat_id", "nochat"+harness.UniqueID()), wcp.CodeWrongChat, "a chat that does not exist")
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 1, "hi")), "the right chat")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(forOther), "nonce", 1), wcp.CodeWrongChat, "wrong chat and a replayed nonce")
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5: the message string is the lowercase hex HMAC of exactly this message", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		other := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		m := harness.Signed(s, 1, "exact")
		sig := m.MessageString
		for why, p := range map[string]any{
			"another body":           harness.With(harness.Payload(m), "body", "exacT"),
			"another nonce":          harness.With(harness.Payload(m), "nonce", 2),
			"another session's key":  harness.Payload(harness.Signed(other, 1, "exact")),
			"signed for another id":  harness.With(harness.Payload(m), "message_string", s.Sign(s.Info().ChatID+"x", 1, "exact")),
			"upper-case hex":         harness.With(harness.Payload(m), "message_string", strings.ToUpper(sig)),
			"63 digits":              harness.With(harness.Payload(m), "message_string", sig[:63]),
			"65 digits":              harness.With(harness.Payload(m), "message_string", sig+"0"),
			"not hex":                harness.With(harness.Payload(m), "message_string", "g"+sig[1:]),
			"empty":                  harness.With(harness.Payload(m), "message_string", ""),
			"base64 of the same MAC": harness.With(harness.Payload(m), "message_string", hexToBase64(sig)),
		} {
			harness.ExpectMsgRefused(ctx, s, p, wcp.CodeInvalidMessageString, why)
		}
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(m), "the genuine one")
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5: the signature is checked before the nonce", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 5, "five")), "nonce 5")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 5, "five")), "body", "forged"), wcp.CodeInvalidMessageString, "replayed nonce and bad signature")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 3, "three")), "body", "forged"), wcp.CodeInvalidMessageString, "older nonce and bad signature")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 5, "five again")), wcp.CodeReplayedMessage, "the same nonce, signed")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 4, "four")), wcp.CodeReplayedMessage, "a lower nonce, signed")
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5: nonces must grow, gaps are fine, and refused nonces do not count", Label("MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 1, "a")), "nonce 1")
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 10, "b")), "a gap to 10")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 10, "c")), wcp.CodeReplayedMessage, "10 again")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, 7, "d")), wcp.CodeReplayedMessage, "7 after 10")
		harness.ExpectMsgRefused(ctx, s, harness.With(harness.Payload(harness.Signed(s, 11, "e")), "body", "E"), wcp.CodeInvalidMessageString, "11, badly signed")
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, 11, "e")), "11, signed: the refused 11 did not count")
		harness.ExpectMsgAccepted(ctx, s, harness.Payload(harness.Signed(s, wcp.MaxNonce, "f")), "the largest nonce")
		harness.ExpectMsgRefused(ctx, s, harness.Payload(harness.Signed(s, wcp.MaxNonce, "g")), wcp.CodeReplayedMessage, "the largest nonce again")
	}, SpecTimeout(harness.SpecBound))
})

// hexToBase64 re-encodes a hex MAC: the same bytes, the wrong spelling.
func hexToBase64(h string) string {
	b, err := hex.DecodeString(h)
	Expect(err).NotTo(HaveOccurred())
	return base64.RawURLEncoding.EncodeToString(b)
}
