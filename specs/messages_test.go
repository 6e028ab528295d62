package specs

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// payload is a message as a map, to break one field at a time.
func payload(m wcp.OutgoingMessage) map[string]any {
	return map[string]any{"chat_id": m.ChatID, "nonce": m.Nonce, "body": m.Body, "message_string": m.MessageString}
}

// signed is a correctly signed message for s with the given nonce.
func signed(s *client.Session, nonce int64, body string) wcp.OutgoingMessage {
	chat := s.Info().ChatID
	return wcp.OutgoingMessage{ChatID: chat, Nonce: nonce, Body: body, MessageString: s.Sign(chat, nonce, body)}
}

// emit sends a `message` with any payload and returns its ack.
func (w *world) emit(s *client.Session, p any) wcp.Ack {
	GinkgoHelper()
	args, err := s.Emit(w.ctx, wcp.EventMessage, p)
	Expect(err).NotTo(HaveOccurred(), "an ack for %v", p)
	Expect(args).NotTo(BeEmpty(), "ack with a payload")
	raw, err := json.Marshal(args[0])
	Expect(err).NotTo(HaveOccurred())
	var a wcp.Ack
	Expect(json.Unmarshal(raw, &a)).To(Succeed(), "ack %s", raw)
	Expect(a.OK || (a.Error != nil && a.Error.Code != "")).To(BeTrue(), "an ack is ok or has an error code: %s", raw)
	return a
}

// expectRefusal emits p and requires the ack to refuse it with code.
func (w *world) expectRefusal(s *client.Session, p any, code wcp.Code, why string) {
	GinkgoHelper()
	a := w.emit(s, p)
	Expect(a.OK).To(BeFalse(), "%s: accepted as seq %d", why, a.Seq)
	Expect(a.Error.Code).To(Equal(code), "%s", why)
}

// expectAccepted emits p and requires the ack to accept it.
func (w *world) expectAcceptedMsg(s *client.Session, p any, why string) wcp.Ack {
	GinkgoHelper()
	a := w.emit(s, p)
	Expect(a.OK).To(BeTrue(), "%s: refused %+v", why, a.Error)
	return a
}

// with returns a copy of p with p[k] = v.
func with(p map[string]any, k string, v any) map[string]any {
	out := maps.Clone(p)
	out[k] = v
	return out
}

// without returns a copy of p without k.
func without(p map[string]any, k string) map[string]any {
	out := maps.Clone(p)
	delete(out, k)
	return out
}

var _ = Describe("Sending (MSG-1)", func() {
	It("MSG-1: a valid message is stored, then acknowledged, then delivered to every session, the sender's included", Label("MSG-1"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		obs := w.connect(w.owner, w.chat.ID, -1)
		body := "héllo, wörld\nsecond line \U0001F600"
		ack := w.send(s, body)
		Expect(wcp.ValidID(ack.ID)).To(BeTrue(), "ack id %q is an ID", ack.ID)
		Expect(ack.Seq).To(Equal(int64(1)), "a new chat's first message is seq 1")

		// Stored before the ack: no waiting here.
		stored := w.stored(w.chat.ID)
		Expect(stored).To(HaveLen(1), "stored by the time it is acknowledged")
		m := stored[0]
		Expect(m.ID).To(Equal(ack.ID))
		Expect(m.Seq).To(Equal(ack.Seq))
		Expect(m.ChatID).To(Equal(w.chat.ID))
		Expect(m.UserID).To(Equal(w.member.User.ID))
		Expect(m.Body).To(Equal(body))
		parseWireTime(m.SentAt)

		for _, x := range []*client.Session{s, obs} {
			Eventually(received(x)).WithTimeout(deliverWithin).Should(Equal(canon([]wcp.Message{m})), "delivered as stored")
			parseWireTime(x.Received()[0].SentAt) // the delivered copy's own spelling is section 1's too
			Expect(x.Violations()).To(BeEmpty())
		}
	})

	// The contract's "stored, then acknowledged, then delivered" is about
	// durability: nothing is acked or delivered before it is stored. On the
	// sender's session "the ack and its own copy may arrive in either order;
	// both carry the same id and seq" (MSG-1). So the spec asks for both,
	// once, agreeing on id and seq, in either order. Events other than
	// `message` are not forbidden after `session`, so they are skipped.
	It("MSG-1: the sender gets its acknowledgement and exactly one copy of its own message, with the same id and seq", Label("MSG-1"), func() {
		w := newWorld()
		raw, info := w.rawSession(w.member, w.chat.ID)
		for nonce := int64(1); nonce <= 3; nonce++ {
			body := uniqueBody("own copy")
			sig, err := wcp.Sign(info.MessageKey, w.chat.ID, info.SessionID, nonce, body)
			Expect(err).NotTo(HaveOccurred())
			id := uint64(nonce)
			Expect(raw.Emit(fmt.Sprintf(`["message",{"chat_id":%q,"nonce":%d,"body":%q,"message_string":%q}]`, w.chat.ID, nonce, body, sig), &id)).To(Succeed())
			var ack *wcp.Ack
			var own *wcp.Message
			ctx, cancel := context.WithTimeout(w.ctx, answerWithin)
			DeferCleanup(cancel)
			for ack == nil || own == nil {
				p, err := raw.Read(ctx)
				Expect(err).NotTo(HaveOccurred(), "waiting for the ack and the sender's own copy of nonce %d (ack: %v, copy: %v)", nonce, ack != nil, own != nil)
				switch p.Type {
				case client.PacketAck:
					Expect(ack).To(BeNil(), "a second ack for nonce %d", nonce)
					Expect(p.ID).NotTo(BeNil())
					Expect(*p.ID).To(Equal(id))
					var acks []wcp.Ack
					Expect(json.Unmarshal(p.Data, &acks)).To(Succeed(), "ack %s", p.Data)
					Expect(acks).NotTo(BeEmpty(), "ack %s has a payload", p.Data)
					Expect(acks[0].OK).To(BeTrue(), "ack %s", p.Data)
					ack = &acks[0]
				case client.PacketEvent:
					var ev []json.RawMessage
					Expect(json.Unmarshal(p.Data, &ev)).To(Succeed(), "event %s", p.Data)
					Expect(ev).NotTo(BeEmpty(), "event %s", p.Data)
					var name string
					if json.Unmarshal(ev[0], &name) != nil || name != wcp.EventMessage {
						continue // not forbidden, not ours to judge here
					}
					Expect(len(ev)).To(BeNumerically(">=", 2), "message event %s has a payload", p.Data)
					var m wcp.Message
					Expect(json.Unmarshal(ev[1], &m)).To(Succeed(), "message %s", ev[1])
					Expect(own).To(BeNil(), "a second copy of the sender's own message: %s", ev[1])
					Expect(m.Body).To(Equal(body), "the only message in this chat is the sender's")
					own = &m
				case client.PacketDisconnect, client.PacketConnectError:
					Fail(fmt.Sprintf("the server ended the session (packet %c %s) before the ack and the own copy of nonce %d", p.Type, p.Data, nonce))
				}
			}
			Expect(own.ID).To(Equal(ack.ID), "the delivered copy carries the acknowledged id")
			Expect(own.Seq).To(Equal(ack.Seq), "the delivered copy carries the acknowledged seq")
			Expect(own.Seq).To(Equal(nonce), "seq counts 1, 2, 3 in a chat with one sender")
		}
		// and no late second copy of any of them
		ctx, cancel := context.WithTimeout(w.ctx, quietFor)
		defer cancel()
		for {
			p, err := raw.Read(ctx)
			if err != nil {
				break // quiet for quietFor, or the connection ended: either way no copy
			}
			if p.Type == client.PacketEvent {
				var ev []json.RawMessage
				var name string
				if json.Unmarshal(p.Data, &ev) == nil && len(ev) > 0 && json.Unmarshal(ev[0], &name) == nil && name == wcp.EventMessage {
					Fail(fmt.Sprintf("a message after the three, in a chat where only they were sent: %s", p.Data))
				}
			}
		}
	})

	It("MSG-1: seq counts 1, 2, 3, ... with no gaps and every session sees one order", Label("MSG-1"), func() {
		w := newWorld()
		a := w.connect(w.owner, w.chat.ID, -1)
		b := w.connect(w.member, w.chat.ID, -1)
		c := w.connect(w.outsiderJoined(), w.chat.ID, -1)
		const each = 20
		senders := []*sender{startSender(w, a, each), startSender(w, b, each), startSender(w, c, each)}
		bySeq := map[int64]string{}
		for _, sd := range senders {
			for _, ack := range sd.Wait() {
				Expect(bySeq).NotTo(HaveKey(ack.Seq), "two acks with seq %d", ack.Seq)
				bySeq[ack.Seq] = ack.ID
			}
		}
		stored := w.stored(w.chat.ID)
		Expect(seqs(stored)).To(Equal(seqRange(1, 3*each)), "stored seqs have no gaps")
		ids := map[string]bool{}
		for _, m := range stored {
			Expect(m.ID).To(Equal(bySeq[m.Seq]), "stored seq %d is the message acknowledged with it", m.Seq)
			ids[m.ID] = true
		}
		Expect(ids).To(HaveLen(3*each), "message IDs are unique")
		for _, x := range []*client.Session{a, b, c} {
			Eventually(func() int { return len(x.Received()) }).WithTimeout(deliverWithin).Should(BeNumerically(">=", 3*each))
			Expect(canon(x.Received())).To(Equal(canon(stored)), "each session sees every message once, in seq order")
		}
	})
})

var _ = Describe("Refused messages (MSG-2)", func() {
	It("MSG-2: a refused message is never delivered, stored or counted, and the session goes on", Label("MSG-2"), func() {
		w := newWorld()
		other := w.newChat("other")
		s := w.connect(w.member, w.chat.ID, -1)
		obs := w.connect(w.owner, w.chat.ID, -1)
		obsOther := w.connect(w.owner, other.ID, -1)

		w.expectAcceptedMsg(s, payload(signed(s, 5, "valid one")), "first")
		bad := map[wcp.Code]any{
			wcp.CodeBadRequest:           with(payload(signed(s, 6, "x")), "nonce", 0),
			wcp.CodePayloadTooLarge:      payload(signed(s, 6, strings.Repeat("x", wcp.MaxBodyBytes+1))),
			wcp.CodeWrongChat:            payload(wcp.OutgoingMessage{ChatID: other.ID, Nonce: 6, Body: "x", MessageString: s.Sign(other.ID, 6, "x")}),
			wcp.CodeInvalidMessageString: with(payload(signed(s, 6, "x")), "body", "y"),
			wcp.CodeReplayedMessage:      payload(signed(s, 5, "again")),
		}
		for code, p := range bad {
			w.expectRefusal(s, p, code, string(code))
		}
		// Without an ack asked for, the refusal is silent but as final.
		Expect(s.EmitNoAck(wcp.EventMessage, with(payload(signed(s, 6, "x")), "body", "unsigned"))).To(Succeed())

		a := w.expectAcceptedMsg(s, payload(signed(s, 6, "valid two")), "after the refusals")
		Expect(a.Seq).To(Equal(int64(2)), "refusals are not counted in seq")
		Expect(s.Closed()).To(BeFalse())

		stored := w.stored(w.chat.ID)
		Expect(stored).To(HaveLen(2))
		Expect([]string{stored[0].Body, stored[1].Body}).To(Equal([]string{"valid one", "valid two"}))
		Expect(w.stored(other.ID)).To(BeEmpty(), "the wrong_chat message did not land in the other chat")
		for _, x := range []*client.Session{s, obs} {
			Eventually(received(x)).WithTimeout(deliverWithin).Should(Equal(canon(stored)), "only the accepted messages are delivered")
		}
		Consistently(func() int { return len(obs.Received()) + len(obsOther.Received()) }).
			WithTimeout(quietFor).Should(Equal(2), "nothing else arrives")
	})
})

var _ = Describe("Message keys (MSG-4)", func() {
	It("MSG-4: after a reconnect the old key and its nonces mean nothing", Label("MSG-4"), func() {
		w := newWorld()
		s1 := w.connect(w.member, w.chat.ID, -1)
		old := s1.Info()
		for range 3 {
			w.send(s1, uniqueBody("old session"))
		}
		s1.Close()
		s2 := w.connect(w.member, w.chat.ID, -1)
		now := s2.Info()
		Expect(now.MessageKey).NotTo(Equal(old.MessageKey))

		oldSigned := func(sessionID string, nonce int64, body string) map[string]any {
			sig, err := wcp.Sign(old.MessageKey, w.chat.ID, sessionID, nonce, body)
			Expect(err).NotTo(HaveOccurred())
			return map[string]any{"chat_id": w.chat.ID, "nonce": nonce, "body": body, "message_string": sig}
		}
		w.expectRefusal(s2, oldSigned(old.SessionID, 10, "old key, old session"), wcp.CodeInvalidMessageString, "old key and old session id")
		w.expectRefusal(s2, oldSigned(now.SessionID, 10, "old key, new session"), wcp.CodeInvalidMessageString, "old key and new session id")
		// The old session's nonces do not carry over: 1 is fresh here.
		a := w.expectAcceptedMsg(s2, payload(signed(s2, 1, "new key")), "nonce 1 in the new session")
		Expect(a.Seq).To(Equal(int64(4)))
	})

	It("MSG-4: a key works only in its own session, even while both are open", Label("MSG-4"), func() {
		w := newWorld()
		s1 := w.connect(w.member, w.chat.ID, -1)
		s2 := w.connect(w.member, w.chat.ID, -1)
		w.expectRefusal(s2, payload(signed(s1, 1, "s1's signature")), wcp.CodeInvalidMessageString, "s1's key and id on s2")
		sig, err := wcp.Sign(s1.Info().MessageKey, w.chat.ID, s2.Info().SessionID, 1, "s1's key")
		Expect(err).NotTo(HaveOccurred())
		w.expectRefusal(s2, map[string]any{"chat_id": w.chat.ID, "nonce": 1, "body": "s1's key", "message_string": sig},
			wcp.CodeInvalidMessageString, "s1's key with s2's id")
		w.expectAcceptedMsg(s1, payload(signed(s1, 1, "s1 on s1")), "s1's own")
		w.expectAcceptedMsg(s2, payload(signed(s2, 1, "s2 on s2")), "s2's own")
	})
})
