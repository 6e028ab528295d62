package specs

import (
	"context"
	"encoding/json"
	"fmt"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
	"github.com/wcp-project/wcp/wire"
)

// PROTOCOL.md §6, MSG-1: a valid message is stored, and only then
// acknowledged and delivered to every session of the chat, sender included;
// seq has no gaps, all sessions see one order, each message once.
var _ = Describe("Sending (MSG-1)", func() {
	It("MSG-1: a valid message is stored, then acknowledged, then delivered to every session, the sender's included", Label("MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		obs := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		body := "héllo, wörld\nsecond line \U0001F600"
		ack := w.Send(ctx, s, body)
		Expect(wcp.ValidID(ack.ID)).To(BeTrue(), "ack id %q is an ID", ack.ID)
		Expect(ack.Seq).To(Equal(int64(1)), "a new chat's first message is seq 1")

		// Stored before the ack: no waiting here.
		stored := w.Stored(ctx, w.Chat.ID)
		Expect(stored).To(HaveLen(1), "stored by the time it is acknowledged")
		m := stored[0]
		Expect(m.ID).To(Equal(ack.ID))
		Expect(m.Seq).To(Equal(ack.Seq))
		Expect(m.ChatID).To(Equal(w.Chat.ID))
		Expect(m.UserID).To(Equal(w.Member.User.ID))
		Expect(m.Body).To(Equal(body))
		harness.ParseWireTime(m.SentAt)

		for _, x := range []*client.Session{s, obs} {
			Eventually(harness.Received(x)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon([]wcp.Message{m})), "delivered as stored")
			harness.ParseWireTime(x.Received()[0].SentAt) // the delivered copy's own spelling is PROTOCOL.md §1's too
			Expect(x.Violations()).To(BeEmpty())
		}
	}, SpecTimeout(harness.SpecBound))

	// The contract's "stored, then acknowledged, then delivered" is about
	// durability: nothing is acked or delivered before it is stored. On the
	// sender's session "the ack and its own copy may arrive in either order;
	// both carry the same id and seq" (MSG-1). So the spec asks for both,
	// once, agreeing on id and seq, in either order. Events other than
	// `message` are not forbidden after `session`, so they are skipped.
	It("MSG-1: the sender gets its acknowledgement and exactly one copy of its own message, with the same id and seq", Label("MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		raw, info := w.RawSession(ctx, w.Member, w.Chat.ID)
		for nonce := int64(1); nonce <= 3; nonce++ {
			body := harness.UniqueBody("own copy")
			id := uint64(nonce)
			harness.EmitRaw(raw, &id, wcp.EventMessage, harness.SignedWith(info.MessageKey, w.Chat.ID, info.SessionID, nonce, body))
			var ack *wcp.Ack
			var own *wcp.Message
			actx, cancel := context.WithTimeout(ctx, harness.AnswerWithin)
			DeferCleanup(cancel)
			for ack == nil || own == nil {
				p, err := raw.Read(actx)
				Expect(err).NotTo(HaveOccurred(), "waiting for the ack and the sender's own copy of nonce %d (ack: %v, copy: %v)", nonce, ack != nil, own != nil)
				switch p.Type {
				case client.PacketAck:
					Expect(ack).To(BeNil(), "a second ack for nonce %d", nonce)
					Expect(p.ID).NotTo(BeNil())
					Expect(*p.ID).To(Equal(id))
					a := harness.AckOf(p)
					Expect(a.OK).To(BeTrue(), "ack %s", p.Data)
					ack = &a
				case client.PacketEvent:
					name, args, err := wire.DecodeEvent(p.Data)
					Expect(err).NotTo(HaveOccurred(), "event %s", p.Data)
					if name != wcp.EventMessage {
						continue // not forbidden, not ours to judge here
					}
					Expect(args).NotTo(BeEmpty(), "message event %s has a payload", p.Data)
					var m wcp.Message
					Expect(json.Unmarshal(args[0], &m)).To(Succeed(), "message %s", args[0])
					Expect(own).To(BeNil(), "a second copy of the sender's own message: %s", args[0])
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
		quiet, cancel := context.WithTimeout(ctx, harness.QuietFor)
		defer cancel()
		for {
			p, err := raw.Read(quiet)
			if err != nil {
				break // quiet for QuietFor, or the connection ended: either way no copy
			}
			if name, _, ok := harness.Event(p); ok && name == wcp.EventMessage {
				Fail(fmt.Sprintf("a message after the three, in a chat where only they were sent: %s", p.Data))
			}
		}
	}, SpecTimeout(harness.SpecBound))

	It("MSG-1: seq counts 1, 2, 3, ... with no gaps and every session sees one order", Label("MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		a := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		b := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		c := w.Connect(ctx, w.OutsiderJoined(ctx), w.Chat.ID, -1)
		const each = 20
		senders := []*harness.Sender{harness.StartSender(ctx, a, each), harness.StartSender(ctx, b, each), harness.StartSender(ctx, c, each)}
		bySeq := map[int64]string{}
		for _, sd := range senders {
			for _, ack := range sd.Wait() {
				Expect(bySeq).NotTo(HaveKey(ack.Seq), "two acks with seq %d", ack.Seq)
				bySeq[ack.Seq] = ack.ID
			}
		}
		stored := w.Stored(ctx, w.Chat.ID)
		Expect(harness.Seqs(stored)).To(Equal(harness.SeqRange(1, 3*each)), "stored seqs have no gaps")
		ids := map[string]bool{}
		for _, m := range stored {
			Expect(m.ID).To(Equal(bySeq[m.Seq]), "stored seq %d is the message acknowledged with it", m.Seq)
			ids[m.ID] = true
		}
		Expect(ids).To(HaveLen(3*each), "message IDs are unique")
		for _, x := range []*client.Session{a, b, c} {
			Eventually(func() int { return len(x.Received()) }).WithTimeout(harness.DeliverWithin).Should(BeNumerically(">=", 3*each))
			Expect(harness.Canon(x.Received())).To(Equal(harness.Canon(stored)), "each session sees every message once, in seq order")
		}
	}, SpecTimeout(harness.SpecBound))
})
