package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// revokeSlack is what the specs add to CON-4's 1 s for their own side: the
// DISCONNECT has to cross loopback and the client's goroutines to be seen.
const revokeSlack = 250 * time.Millisecond

// expectRevoked requires s to get `revoked` with code and to be
// disconnected by the server within 1 s of since, which callers take when
// the HTTP call that ended the access has answered: the server may act at
// any moment while it handles the call, at the latest just before it
// answers.
func expectRevoked(s *client.Session, code wcp.Code, since time.Time) {
	GinkgoHelper()
	Eventually(s.Done()).WithTimeout(time.Until(since.Add(wcp.RevokeWithin+revokeSlack))).WithPolling(10*time.Millisecond).
		Should(BeClosed(), "disconnected by the server within 1 s")
	Expect(s.RevokedEvents()).To(Equal([]wcp.Revoked{{Code: code}}), "one revoked event, before the disconnect")
}

// expectAlive requires s to be open and to still get the chat's messages:
// from sends a message and s must see it.
func (w *world) expectAlive(s, from *client.Session) {
	GinkgoHelper()
	Expect(s.Closed()).To(BeFalse(), "session still open")
	ack := w.send(from, uniqueBody("still there?"))
	Eventually(receivedSeqs(s)).WithTimeout(deliverWithin).Should(ContainElement(ack.Seq), "session still receives")
}

var _ = Describe("Replay and live delivery (CON-2)", func() {
	It("CON-2: a replay from `after` joins live delivery with no gap and no duplicate while others send", Label("CON-2", "MSG-1"), func() {
		w := newWorld()
		a := w.connect(w.owner, w.chat.ID, -1)
		b := w.connect(w.member, w.chat.ID, -1)
		const history, perSender = 10, 60
		for i := range history {
			w.send(a, uniqueBody("history "+string(rune('a'+i))))
		}
		sa, sb := startSender(w, a, perSender), startSender(w, b, perSender)

		// Observers join mid-stream, each replaying from a little behind
		// the live edge, so their seams fall while both senders are busy.
		type observer struct {
			s     *client.Session
			after int64
		}
		observers := []observer{{w.connect(w.member, w.chat.ID, 0), 0}}
		for i := range 4 {
			Eventually(func() int64 { return lastSeq(a.Received()) }).WithTimeout(deliverWithin).
				Should(BeNumerically(">=", int64(history+(i+1)*20)), "senders make progress")
			k := max(lastSeq(a.Received())-3, 0)
			observers = append(observers, observer{w.connect(w.outsiderJoined(), w.chat.ID, k), k})
			if i == 2 {
				// a long replay racing the live traffic
				observers = append(observers, observer{w.connect(w.owner, w.chat.ID, 0), 0})
			}
		}
		total := int64(history + len(sa.Wait()) + len(sb.Wait()))
		Expect(lastSeq(w.stored(w.chat.ID))).To(Equal(total))

		for _, o := range observers {
			Eventually(func() int64 { return lastSeq(o.s.Received()) }).WithTimeout(deliverWithin).Should(Equal(total), "observer after=%d catches up", o.after)
			Expect(seqs(o.s.Received())).To(Equal(seqRange(o.after+1, total)), "observer after=%d: exactly seq %d..%d, in order", o.after, o.after+1, total)
		}
	})

	It("CON-2: a replay delivers the stored messages themselves", Label("CON-2"), func() {
		w := newWorld()
		a := w.connect(w.owner, w.chat.ID, -1)
		for _, body := range []string{"one", "two", "three", "four"} {
			w.send(a, body)
		}
		s := w.connect(w.member, w.chat.ID, 1)
		Eventually(receivedSeqs(s)).WithTimeout(deliverWithin).Should(Equal([]int64{2, 3, 4}))
		Expect(canon(s.Received())).To(Equal(canon(w.stored(w.chat.ID)[1:])), "replayed messages equal the stored ones")

		// after = the last seq: nothing to replay, then live messages
		s2 := w.connect(w.member, w.chat.ID, 4)
		ack := w.send(a, "five")
		Eventually(receivedSeqs(s2)).WithTimeout(deliverWithin).Should(Equal([]int64{ack.Seq}))
		Expect(ack.Seq).To(Equal(int64(5)))
	})
})

// outsiderJoined makes the world's outsider a member (once) and returns it:
// some specs need a third participant.
func (w *world) outsiderJoined() actor {
	GinkgoHelper()
	Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.outsider.User.ID)).To(Succeed())
	return w.outsider
}

var _ = Describe("Sessions and chats (CON-3)", func() {
	It("CON-3: a user's several sessions each get every message of their own chat", Label("CON-3", "MSG-1"), func() {
		w := newWorld()
		second := w.newChat("second")
		m1 := w.connect(w.member, w.chat.ID, -1)
		m2 := w.connect(w.member, w.chat.ID, -1)
		mOther := w.connect(w.member, second.ID, -1)
		o1 := w.connect(w.owner, w.chat.ID, -1)
		oOther := w.connect(w.owner, second.ID, -1)

		for range 5 {
			w.send(o1, uniqueBody("to chat"))
		}
		w.send(oOther, uniqueBody("to second"))
		w.send(m1, uniqueBody("member to chat"))

		want := w.stored(w.chat.ID)
		Expect(want).To(HaveLen(6))
		for _, s := range []*client.Session{m1, m2, o1} {
			Eventually(received(s)).WithTimeout(deliverWithin).Should(Equal(canon(want)), "every session of the chat gets each message once")
			Expect(s.Closed()).To(BeFalse(), "older sessions stay open")
		}
		wantSecond := w.stored(second.ID)
		Expect(seqs(wantSecond)).To(Equal([]int64{1}), "seq counts per chat")
		for _, s := range []*client.Session{mOther, oOther} {
			Eventually(received(s)).WithTimeout(deliverWithin).Should(Equal(canon(wantSecond)), "a session gets only its own chat")
		}
	})

	It("CON-3: switching chats is disconnect, connect, new session; the socket stays bound to its chat", Label("CON-3", "MSG-5"), func() {
		w := newWorld()
		second := w.newChat("second")
		owner := w.connect(w.owner, w.chat.ID, -1)

		s := w.connect(w.member, w.chat.ID, -1)
		first := s.Info()
		s.Close()
		s = w.connect(w.member, second.ID, -1)
		Expect(s.Info().ChatID).To(Equal(second.ID))
		Expect(s.Info().SessionID).NotTo(Equal(first.SessionID))

		// The new socket cannot talk to the old chat, even when signed right.
		m := wcp.OutgoingMessage{ChatID: w.chat.ID, Nonce: 1, Body: "wrong room"}
		m.MessageString = s.Sign(w.chat.ID, 1, m.Body)
		_, err := s.SendMessage(w.ctx, m)
		Expect(refusalCode(err)).To(Equal(wcp.CodeWrongChat))

		w.send(owner, "in the first chat")
		ack := w.send(s, "in the second chat")
		Eventually(s.Received).WithTimeout(deliverWithin).Should(HaveLen(1))
		Expect(s.Received()[0].ID).To(Equal(ack.ID), "only the second chat's message")
		Expect(w.stored(w.chat.ID)).To(HaveLen(1))
	})
})

var _ = Describe("Revocation (CON-4)", func() {
	It("CON-4: a removed member's sessions get revoked forbidden and are disconnected within 1 s", Label("CON-4"), func() {
		w := newWorld()
		second := w.newChat("second")
		m1 := w.connect(w.member, w.chat.ID, -1)
		m2 := w.connect(w.member, second.ID, -1)
		owner := w.connect(w.owner, w.chat.ID, -1)
		other := w.connect(w.outsiderJoined(), w.chat.ID, -1)
		// The member also belongs to a workspace of someone else: that
		// access does not end, so neither does that session.
		theirs, err := w.outsider.API.CreateWorkspace(w.ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.outsider.API.AddMember(w.ctx, theirs.ID, w.member.User.ID)).To(Succeed())
		theirChat, err := w.outsider.API.CreateChat(w.ctx, theirs.ID, "theirs")
		Expect(err).NotTo(HaveOccurred())
		mTheirs := w.connect(w.member, theirChat.ID, -1)
		oTheirs := w.connect(w.outsider, theirChat.ID, -1)

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		since := time.Now()
		expectRevoked(m1, wcp.CodeForbidden, since)
		expectRevoked(m2, wcp.CodeForbidden, since)
		Expect(owner.RevokedEvents()).To(BeEmpty())
		w.expectAlive(other, owner)
		w.expectAlive(owner, other)
		w.expectAlive(mTheirs, oTheirs)
		Expect(mTheirs.RevokedEvents()).To(BeEmpty())
	})

	It("CON-4: deleting a chat revokes its sessions with chat_not_found, and only those", Label("CON-4"), func() {
		w := newWorld()
		second := w.newChat("second")
		m1 := w.connect(w.member, w.chat.ID, -1)
		o1 := w.connect(w.owner, w.chat.ID, -1)
		m2 := w.connect(w.member, second.ID, -1)
		o2 := w.connect(w.owner, second.ID, -1)

		Expect(w.owner.API.DeleteChat(w.ctx, w.chat.ID)).To(Succeed())
		since := time.Now()
		expectRevoked(m1, wcp.CodeChatNotFound, since)
		expectRevoked(o1, wcp.CodeChatNotFound, since)
		w.expectAlive(m2, o2)
	})

	It("CON-4: deleting a workspace revokes the sessions of all its chats with chat_not_found", Label("CON-4"), func() {
		w := newWorld()
		second := w.newChat("second")
		elsewhere, err := w.owner.API.CreateWorkspace(w.ctx, "elsewhere")
		Expect(err).NotTo(HaveOccurred())
		outside, err := w.owner.API.CreateChat(w.ctx, elsewhere.ID, "outside")
		Expect(err).NotTo(HaveOccurred())
		sessions := []*client.Session{
			w.connect(w.member, w.chat.ID, -1), w.connect(w.owner, w.chat.ID, -1),
			w.connect(w.member, second.ID, -1), w.connect(w.owner, second.ID, -1),
		}
		o3 := w.connect(w.owner, outside.ID, -1)
		o3b := w.connect(w.owner, outside.ID, -1)

		Expect(w.owner.API.DeleteWorkspace(w.ctx, w.ws.ID)).To(Succeed())
		since := time.Now()
		for _, s := range sessions {
			expectRevoked(s, wcp.CodeChatNotFound, since)
		}
		w.expectAlive(o3, o3b)
	})
})
