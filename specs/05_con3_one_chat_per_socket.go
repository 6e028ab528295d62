package specs

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §5, CON-3: a socket belongs to one chat for life; a user may
// hold many sessions at once, and each gets every message of its chat.
var _ = Describe("Sessions and chats (CON-3)", func() {
	It("CON-3: a user's several sessions each get every message of their own chat", Label("CON-3", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		m1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		m2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		mOther := w.Connect(ctx, w.Member, second.ID, -1)
		o1 := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		oOther := w.Connect(ctx, w.Owner, second.ID, -1)

		for range 5 {
			w.Send(ctx, o1, harness.UniqueBody("to chat"))
		}
		w.Send(ctx, oOther, harness.UniqueBody("to second"))
		w.Send(ctx, m1, harness.UniqueBody("member to chat"))

		want := w.Stored(ctx, w.Chat.ID)
		Expect(want).To(HaveLen(6))
		for _, s := range []*client.Session{m1, m2, o1} {
			Eventually(harness.Received(s)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(want)), "every session of the chat gets each message once")
			Expect(s.Closed()).To(BeFalse(), "older sessions stay open")
		}
		wantSecond := w.Stored(ctx, second.ID)
		Expect(harness.Seqs(wantSecond)).To(Equal([]int64{1}), "seq counts per chat")
		for _, s := range []*client.Session{mOther, oOther} {
			Eventually(harness.Received(s)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(wantSecond)), "a session gets only its own chat")
		}
	}, SpecTimeout(harness.SpecBound))

	It("CON-3: switching chats is disconnect, connect, new session; the socket stays bound to its chat", Label("CON-3", "MSG-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		owner := w.Connect(ctx, w.Owner, w.Chat.ID, -1)

		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		first := s.Info()
		s.Close()
		s = w.Connect(ctx, w.Member, second.ID, -1)
		Expect(s.Info().ChatID).To(Equal(second.ID))
		Expect(s.Info().SessionID).NotTo(Equal(first.SessionID))

		// The new socket cannot talk to the old chat, even when signed right.
		m := wcp.OutgoingMessage{ChatID: w.Chat.ID, Nonce: 1, Body: "wrong room"}
		m.MessageString = s.Sign(w.Chat.ID, 1, m.Body)
		_, err := s.SendMessage(ctx, m)
		Expect(harness.RefusalCode(err)).To(Equal(wcp.CodeWrongChat))

		w.Send(ctx, owner, "in the first chat")
		ack := w.Send(ctx, s, "in the second chat")
		Eventually(s.Received).WithTimeout(harness.DeliverWithin).Should(HaveLen(1))
		Expect(s.Received()[0].ID).To(Equal(ack.ID), "only the second chat's message")
		Expect(w.Stored(ctx, w.Chat.ID)).To(HaveLen(1))
	}, SpecTimeout(harness.SpecBound))
})
