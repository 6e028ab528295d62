package harness

import (
	"context"
	"encoding/json"
	"maps"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Payload is a message as a map, to break one field at a time.
func Payload(m wcp.OutgoingMessage) map[string]any {
	return map[string]any{"chat_id": m.ChatID, "nonce": m.Nonce, "body": m.Body, "message_string": m.MessageString}
}

// Signed is a correctly signed message for s's chat with the given nonce.
func Signed(s *client.Session, nonce int64, body string) wcp.OutgoingMessage {
	chat := s.Info().ChatID
	return wcp.OutgoingMessage{ChatID: chat, Nonce: nonce, Body: body, MessageString: s.Sign(chat, nonce, body)}
}

// With returns a copy of p with p[k] = v.
func With(p map[string]any, k string, v any) map[string]any {
	out := maps.Clone(p)
	out[k] = v
	return out
}

// Without returns a copy of p without k.
func Without(p map[string]any, k string) map[string]any {
	out := maps.Clone(p)
	delete(out, k)
	return out
}

// Emit sends a `message` with any payload on s and returns its ack, which
// must be ok or carry an error code.
func Emit(ctx context.Context, s *client.Session, p any) wcp.Ack {
	GinkgoHelper()
	args, err := s.Emit(ctx, wcp.EventMessage, p)
	Expect(err).NotTo(HaveOccurred(), "an ack for %v", p)
	Expect(args).NotTo(BeEmpty(), "ack with a payload")
	raw, err := json.Marshal(args[0])
	Expect(err).NotTo(HaveOccurred())
	var a wcp.Ack
	Expect(json.Unmarshal(raw, &a)).To(Succeed(), "ack %s", raw)
	Expect(a.OK || (a.Error != nil && a.Error.Code != "")).To(BeTrue(), "an ack is ok or has an error code: %s", raw)
	return a
}

// ExpectMsgRefused emits p and requires the ack to refuse it with code.
func ExpectMsgRefused(ctx context.Context, s *client.Session, p any, code wcp.Code, why string) {
	GinkgoHelper()
	a := Emit(ctx, s, p)
	Expect(a.OK).To(BeFalse(), "%s: accepted as seq %d", why, a.Seq)
	Expect(a.Error.Code).To(Equal(code), "%s", why)
}

// ExpectMsgAccepted emits p and requires the ack to accept it.
func ExpectMsgAccepted(ctx context.Context, s *client.Session, p any, why string) wcp.Ack {
	GinkgoHelper()
	a := Emit(ctx, s, p)
	Expect(a.OK).To(BeTrue(), "%s: refused %+v", why, a.Error)
	return a
}

// SignedWith is a message for chatID signed with a message key and session
// ID given by hand (another session's, an old one's), as a payload.
func SignedWith(key, chatID, sessionID string, nonce int64, body string) map[string]any {
	GinkgoHelper()
	sig, err := wcp.Sign(key, chatID, sessionID, nonce, body)
	Expect(err).NotTo(HaveOccurred())
	return Payload(wcp.OutgoingMessage{ChatID: chatID, Nonce: nonce, Body: body, MessageString: sig})
}
