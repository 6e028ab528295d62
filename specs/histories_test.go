package specs

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// Histories: the other specs mostly check fresh objects. Real servers keep
// state and caches (memberships, sessions, per-chat counters, signing
// keys), and users hold several sessions at once and lose and regain
// access after they have used it. Each spec here first uses what it then
// takes away, so a server that answers from a stale cache, or keeps state
// per user where the contract keeps it per session or per chat, shows.
// Every spec asserts only what the contract fixes.

// memberCalls is every call of section 3 about the world's workspace and
// chat, with what a member and an outsider get; the same list as the
// ownership matrix.
func memberCalls() []endpoint {
	var out []endpoint
	for _, e := range endpoints() {
		if e.about != "" {
			out = append(out, e)
		}
	}
	return out
}

// expectAnswersAsMember makes every call a member may make about the
// world's workspace and chat, as a, and requires success (OWN-2).
func (w *world) expectAnswersAsMember(o *ownWorld, a actor, when string) {
	GinkgoHelper()
	for _, e := range memberCalls() {
		if e.member == http.StatusForbidden {
			continue // refused to members too: nothing to tell apart
		}
		expectStatus(e.request(w, o, a.API), e.member, "%s: %s as a member", when, e.name)
	}
}

// expectAnswersAsOutsider makes every call about the world's workspace and
// chat as a, and requires 403 forbidden for each (OWN-3).
func (w *world) expectAnswersAsOutsider(o *ownWorld, a actor, when string) {
	GinkgoHelper()
	for _, e := range memberCalls() {
		expectHTTPError(e.request(w, o, a.API), http.StatusForbidden, wcp.CodeForbidden, "%s: %s as an outsider", when, e.name)
	}
}

// expectNotRevoked requires s to get no `revoked` and to stay open for
// quietFor.
func expectNotRevoked(s *client.Session, why string) {
	GinkgoHelper()
	Consistently(func() bool { return len(s.RevokedEvents()) == 0 && !s.Closed() }).
		WithTimeout(quietFor).Should(BeTrue(), "%s: no revocation, still open", why)
}

var _ = Describe("Histories: losing and regaining access", func() {
	It("OWN-2/OWN-3: a member who used every call gets 403 on each once removed, and 200 again once re-added", Label("OWN-2", "OWN-3"), func() {
		w, o := newOwnWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		w.send(s, uniqueBody("before removal"))
		// Twice, so whatever a server caches about this member is warm.
		w.expectAnswersAsMember(o, w.member, "a member")
		w.expectAnswersAsMember(o, w.member, "a member, again")

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectAnswersAsOutsider(o, w.member, "removed")
		w.expectAnswersAsOutsider(o, w.member, "removed, asking again")

		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectAnswersAsMember(o, w.member, "re-added")

		// and once more: a second removal ends access as the first did
		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		w.expectAnswersAsOutsider(o, w.member, "removed a second time")

		// Nothing that was refused changed anything.
		got, err := w.owner.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred(), "the workspace survived the removed member's DELETE")
		Expect(got.Members).To(ConsistOf(o.other.User.ID), "members: only the other one is left")
		Expect(w.chatIDs()).To(Equal([]string{w.chat.ID}), "the chat survived, and no chat was added")
		Expect(w.stored(w.chat.ID)).To(HaveLen(1), "the history is intact")
	})

	It("OWN-3/CON-5: an outsider who is added, uses the chat and is removed is an outsider again, on HTTP and at connect", Label("OWN-3", "CON-5", "OWN-2"), func() {
		w, o := newOwnWorld()
		// Refused first: a server that caches the refusal must not keep it.
		w.expectAnswersAsOutsider(o, w.outsider, "an outsider")
		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.outsider.User.ID)).To(Succeed())
		w.expectAnswersAsMember(o, w.outsider, "added")
		cs := w.connString(w.outsider, w.chat.ID, 0)
		s, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, nil)
		Expect(err).NotTo(HaveOccurred(), "the new member connects")
		w.send(s, uniqueBody("newly added"))

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.outsider.User.ID)).To(Succeed())
		expectRevoked(s, wcp.CodeForbidden, time.Now())
		w.expectAnswersAsOutsider(o, w.outsider, "removed")
		w.expectRefused(authMap(w.chat.ID, cs.ConnectionString), wcp.CodeForbidden, "the string it used while a member")
	})

	It("CON-4/CON-5/MSG-4: a member removed and re-added keeps nothing of the old session, and its earlier strings follow its membership", Label("CON-4", "CON-5", "MSG-4", "CON-2"), func() {
		w := newWorld()
		owner := w.connect(w.owner, w.chat.ID, -1)
		cs := w.connString(w.member, w.chat.ID, 0) // issued before the removal
		s1, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, nil)
		Expect(err).NotTo(HaveOccurred())
		old := s1.Info()
		for range 3 {
			w.send(s1, uniqueBody("member, first membership"))
		}
		w.send(owner, uniqueBody("owner"))

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		expectRevoked(s1, wcp.CodeForbidden, time.Now())
		w.expectRefused(authMap(w.chat.ID, cs.ConnectionString), wcp.CodeForbidden, "a string issued before the removal, while removed")
		_, err = w.member.API.ConnectionString(w.ctx, w.chat.ID, 0)
		Expect(client403(err)).To(BeTrue(), "no new string while removed: %v", err)
		away := w.send(owner, uniqueBody("while the member is away"))

		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		// CON-5 checks a string at connect time, against the membership of
		// that moment, and EXP-2 lets it open any number of sessions until
		// it expires: the old string opens a session again.
		zero := int64(0)
		s2, err := w.dial(wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString, After: &zero}, nil)
		Expect(err).NotTo(HaveOccurred(), "the string issued before the removal, once re-added")
		now := s2.Info()
		Expect(now.SessionID).NotTo(Equal(old.SessionID), "a new session")
		Expect(now.MessageKey).NotTo(Equal(old.MessageKey), "a new key")
		// the whole history, including what was said while away (CON-2)
		Eventually(receivedSeqs(s2)).WithTimeout(deliverWithin).Should(Equal(seqRange(1, away.Seq)), "the re-added member replays everything from after=0")
		Expect(canon(s2.Received())).To(Equal(canon(w.stored(w.chat.ID))))

		// The old session's key and nonces mean nothing in the new one (MSG-4).
		sig, err := wcp.Sign(old.MessageKey, w.chat.ID, now.SessionID, 10, "old key")
		Expect(err).NotTo(HaveOccurred())
		w.expectRefusal(s2, map[string]any{"chat_id": w.chat.ID, "nonce": 10, "body": "old key", "message_string": sig},
			wcp.CodeInvalidMessageString, "the old session's key in the new session")
		a := w.expectAcceptedMsg(s2, payload(signed(s2, 1, "back again")), "nonce 1 in the new session")
		Expect(a.Seq).To(Equal(away.Seq+1), "seq goes on where the chat was")
		Eventually(receivedSeqs(owner)).WithTimeout(deliverWithin).Should(ContainElement(a.Seq), "the owner hears the returning member")

		// and a second removal revokes the new session as the first did
		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		expectRevoked(s2, wcp.CodeForbidden, time.Now())
		w.expectRefused(authMap(w.chat.ID, cs.ConnectionString), wcp.CodeForbidden, "the same string after the second removal")
		w.expectAlive(owner, w.connect(w.owner, w.chat.ID, -1))
	})

	It("CON-5/CON-4: strings a member created for several chats, and used, are all refused forbidden after the removal; others' are not", Label("CON-5", "CON-4"), func() {
		w := newWorld()
		chats := []wcp.Chat{w.chat, w.newChat("second"), w.newChat("third")}
		colleague := w.outsiderJoined()
		var mine, theirs, owners []string
		var sessions []*client.Session
		for _, c := range chats {
			cs := w.connString(w.member, c.ID, 3600).ConnectionString
			mine = append(mine, cs)
			theirs = append(theirs, w.connString(colleague, c.ID, 3600).ConnectionString)
			owners = append(owners, w.connString(w.owner, c.ID, 3600).ConnectionString)
			// used, and still open, before the removal
			s, err := w.dial(wcp.Auth{ChatID: c.ID, ConnectionString: cs}, nil)
			Expect(err).NotTo(HaveOccurred(), "the member connects to %s", c.Title)
			w.send(s, uniqueBody("member in "+c.Title))
			sessions = append(sessions, s)
			w.expectAccepted(authMap(c.ID, cs)) // and once more, raw
		}

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		since := time.Now()
		for _, s := range sessions {
			expectRevoked(s, wcp.CodeForbidden, since)
		}
		for i, c := range chats {
			w.expectRefused(authMap(c.ID, mine[i]), wcp.CodeForbidden, "the removed member's string for "+c.Title)
			w.expectAccepted(authMap(c.ID, theirs[i]))
			w.expectAccepted(authMap(c.ID, owners[i]))
			// and the member's messages stay in the history
			Expect(w.stored(c.ID)).To(HaveLen(1), "history of %s", c.Title)
		}
	})
})

var _ = Describe("Histories: several sessions of one user", func() {
	It("CON-3/MSG-1: a user with two sessions in one chat and one in another, all sending, gets each chat's messages exactly once per session", Label("CON-3", "MSG-1"), func() {
		w := newWorld()
		// The member's second chat is in a workspace of someone else.
		theirs, err := w.outsider.API.CreateWorkspace(w.ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.outsider.API.AddMember(w.ctx, theirs.ID, w.member.User.ID)).To(Succeed())
		elsewhere, err := w.outsider.API.CreateChat(w.ctx, theirs.ID, "elsewhere")
		Expect(err).NotTo(HaveOccurred())

		a1 := w.connect(w.member, w.chat.ID, -1)
		a2 := w.connect(w.member, w.chat.ID, -1)
		b := w.connect(w.member, elsewhere.ID, -1)
		ownerA := w.connect(w.owner, w.chat.ID, -1)
		ownerB := w.connect(w.outsider, elsewhere.ID, -1)

		// Everyone sends at once, the member from all three sessions.
		const each = 10
		senders := []*sender{
			startSender(w, a1, each), startSender(w, a2, each), startSender(w, b, each),
			startSender(w, ownerA, each), startSender(w, ownerB, each),
		}
		for _, sd := range senders {
			Expect(sd.Wait()).To(HaveLen(each))
		}
		inA := w.stored(w.chat.ID)
		inB, err := w.outsider.API.AllMessages(w.ctx, elsewhere.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(seqs(inA)).To(Equal(seqRange(1, 3*each)), "the first chat counts its own messages")
		Expect(seqs(inB)).To(Equal(seqRange(1, 2*each)), "the second chat counts its own messages")
		for _, s := range []*client.Session{a1, a2, ownerA} {
			Eventually(received(s)).WithTimeout(deliverWithin).Should(Equal(canon(inA)), "a session of the first chat gets its messages, once each, in order")
		}
		for _, s := range []*client.Session{b, ownerB} {
			Eventually(received(s)).WithTimeout(deliverWithin).Should(Equal(canon(inB)), "a session of the second chat gets its messages, once each, in order")
		}
		for _, s := range []*client.Session{a1, a2, b} {
			Expect(s.Info().UserID).To(Equal(w.member.User.ID))
			Expect(s.Closed()).To(BeFalse(), "the member's sessions are all still open")
		}
	})

	It("MSG-5/MSG-4: nonces belong to the session: a user's two sessions in one chat count their nonces apart", Label("MSG-5", "MSG-4"), func() {
		w := newWorld()
		s1 := w.connect(w.member, w.chat.ID, -1)
		s2 := w.connect(w.member, w.chat.ID, -1)
		w.expectAcceptedMsg(s1, payload(signed(s1, 100, "s1 at 100")), "s1 nonce 100")
		// s1's 100 does not make s2's 1 a replay...
		w.expectAcceptedMsg(s2, payload(signed(s2, 1, "s2 at 1")), "s2 nonce 1 after s1's 100")
		w.expectAcceptedMsg(s2, payload(signed(s2, 50, "s2 at 50")), "s2 nonce 50")
		// ...and s2's 50 does not make s1's 101 one either
		w.expectAcceptedMsg(s1, payload(signed(s1, 101, "s1 at 101")), "s1 nonce 101 after s2's 50")
		// while each session still refuses its own replays
		w.expectRefusal(s1, payload(signed(s1, 100, "s1 again")), wcp.CodeReplayedMessage, "s1 replays 100")
		w.expectRefusal(s2, payload(signed(s2, 50, "s2 again")), wcp.CodeReplayedMessage, "s2 replays 50")
		// A third session of the same user starts afresh too.
		s3 := w.connect(w.member, w.chat.ID, -1)
		a := w.expectAcceptedMsg(s3, payload(signed(s3, 1, "s3 at 1")), "s3 nonce 1")
		Expect(a.Seq).To(Equal(int64(5)))
		Expect(seqs(w.stored(w.chat.ID))).To(Equal(seqRange(1, 5)))
	})

	It("CON-4: losing one workspace revokes only that workspace's sessions of the user; the other workspace's go on", Label("CON-4", "CON-3", "OWN-2"), func() {
		w := newWorld()
		second := w.newChat("second")
		theirs, err := w.outsider.API.CreateWorkspace(w.ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.outsider.API.AddMember(w.ctx, theirs.ID, w.member.User.ID)).To(Succeed())
		elsewhere, err := w.outsider.API.CreateChat(w.ctx, theirs.ID, "elsewhere")
		Expect(err).NotTo(HaveOccurred())

		here := []*client.Session{w.connect(w.member, w.chat.ID, -1), w.connect(w.member, w.chat.ID, -1), w.connect(w.member, second.ID, -1)}
		there := []*client.Session{w.connect(w.member, elsewhere.ID, -1), w.connect(w.member, elsewhere.ID, -1)}
		theirOwner := w.connect(w.outsider, elsewhere.ID, -1)
		for _, s := range append(append([]*client.Session{}, here...), there...) {
			w.send(s, uniqueBody("used"))
		}
		csThere := w.connString(w.member, elsewhere.ID, 0)

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		since := time.Now()
		for _, s := range here {
			expectRevoked(s, wcp.CodeForbidden, since)
		}
		for _, s := range there {
			Expect(s.RevokedEvents()).To(BeEmpty(), "no revocation in the other workspace")
			w.expectAlive(s, theirOwner)
		}
		w.expectAlive(theirOwner, there[0])
		// still a member there, on HTTP and at connect
		_, err = w.member.API.GetChat(w.ctx, elsewhere.ID)
		Expect(err).NotTo(HaveOccurred(), "the member still reads the other workspace's chat")
		w.expectAccepted(authMap(elsewhere.ID, csThere.ConnectionString))
		for _, s := range there {
			expectNotRevoked(s, "a session in the other workspace")
		}
	})

	It("CON-4: a chat deleted under a user revokes that chat's session with chat_not_found; a removal later revokes the other with forbidden", Label("CON-4", "OWN-5"), func() {
		w := newWorld()
		second := w.newChat("second")
		sA := w.connect(w.member, w.chat.ID, -1)
		sB := w.connect(w.member, second.ID, -1)
		ownerB := w.connect(w.owner, second.ID, -1)
		w.send(sA, uniqueBody("in the doomed chat"))
		w.send(sB, uniqueBody("in the second chat"))

		Expect(w.owner.API.DeleteChat(w.ctx, w.chat.ID)).To(Succeed())
		expectRevoked(sA, wcp.CodeChatNotFound, time.Now())
		w.expectAlive(sB, ownerB)
		Expect(sB.RevokedEvents()).To(BeEmpty(), "the second chat's session is untouched by the deletion")

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		expectRevoked(sB, wcp.CodeForbidden, time.Now())
		w.expectAlive(ownerB, w.connect(w.owner, second.ID, -1))
	})
})

var _ = Describe("Histories: deleting and creating again", func() {
	It("OWN-5/CON-4/CON-5/MSG-1: after the owner deletes a used chat and creates a new one, the old one is gone everywhere and the new one starts at seq 1", Label("OWN-5", "CON-4", "CON-5", "MSG-1"), func() {
		w := newWorld()
		kept := w.newChat("kept")
		keptSession := w.connect(w.member, kept.ID, -1)
		w.send(keptSession, uniqueBody("kept 1"))
		w.send(keptSession, uniqueBody("kept 2"))

		old := w.chat
		m := w.connect(w.member, old.ID, -1)
		o := w.connect(w.owner, old.ID, -1)
		for range 3 {
			w.send(m, uniqueBody("old chat"))
		}
		oldString := w.connString(w.member, old.ID, 3600).ConnectionString
		Expect(w.stored(old.ID)).To(HaveLen(3)) // read once, so a cache may hold it

		Expect(w.owner.API.DeleteChat(w.ctx, old.ID)).To(Succeed())
		since := time.Now()
		expectRevoked(m, wcp.CodeChatNotFound, since)
		expectRevoked(o, wcp.CodeChatNotFound, since)

		fresh := w.newChat(old.Title) // the same title, a new chat
		Expect(fresh.ID).NotTo(Equal(old.ID), "a new chat has a new ID")
		Expect(w.chatIDs()).To(Equal([]string{kept.ID, fresh.ID}), "listed oldest first, without the deleted one")

		// The old chat is gone for every caller and at connect...
		for _, a := range []actor{w.owner, w.member} {
			_, err := a.API.GetChat(w.ctx, old.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted chat: %v", err)
			_, err = a.API.Messages(w.ctx, old.ID, 0, 0)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted chat's messages: %v", err)
		}
		w.expectRefused(authMap(old.ID, oldString), wcp.CodeChatNotFound, "a string for the deleted chat")
		// ...and its string does not open the new one
		w.expectRefused(authMap(fresh.ID, oldString), wcp.CodeChatMismatch, "a string for the deleted chat, for the new one")

		// The new chat starts empty, at seq 1, for owner and member alike.
		msgs, err := w.member.API.AllMessages(w.ctx, fresh.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(BeEmpty(), "a new chat has no history")
		zero := int64(0)
		replay, err := w.dial(wcp.Auth{ChatID: fresh.ID, ConnectionString: w.connString(w.member, fresh.ID, 0).ConnectionString, After: &zero}, nil)
		Expect(err).NotTo(HaveOccurred())
		s := w.connect(w.member, fresh.ID, -1)
		Expect(w.send(s, uniqueBody("fresh 1")).Seq).To(Equal(int64(1)), "a new chat's first message is seq 1")
		Expect(w.send(w.connect(w.owner, fresh.ID, -1), uniqueBody("fresh 2")).Seq).To(Equal(int64(2)))
		Eventually(receivedSeqs(replay)).WithTimeout(deliverWithin).Should(Equal([]int64{1, 2}), "a replay from 0 of the new chat has only its own messages")

		// The chat that was kept goes on where it was.
		Expect(w.send(keptSession, uniqueBody("kept 3")).Seq).To(Equal(int64(3)))
		Expect(keptSession.RevokedEvents()).To(BeEmpty())
	})

	It("OWN-5/CON-5/CON-4: after a used workspace is deleted, its chats and strings are gone, and the owner's new workspace starts afresh", Label("OWN-5", "CON-5", "CON-4", "MSG-1"), func() {
		w := newWorld()
		second := w.newChat("second")
		s := w.connect(w.member, w.chat.ID, -1)
		s2 := w.connect(w.member, second.ID, -1)
		w.send(s, uniqueBody("old workspace"))
		w.send(s2, uniqueBody("old workspace, second chat"))
		strs := map[string]string{w.chat.ID: w.connString(w.member, w.chat.ID, 3600).ConnectionString, second.ID: w.connString(w.owner, second.ID, 3600).ConnectionString}
		_, err := w.member.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())

		Expect(w.owner.API.DeleteWorkspace(w.ctx, w.ws.ID)).To(Succeed())
		since := time.Now()
		expectRevoked(s, wcp.CodeChatNotFound, since)
		expectRevoked(s2, wcp.CodeChatNotFound, since)
		for id, cs := range strs {
			w.expectRefused(authMap(id, cs), wcp.CodeChatNotFound, "a string for a chat of the deleted workspace")
		}
		for _, a := range []actor{w.owner, w.member} {
			_, err := a.API.GetWorkspace(w.ctx, w.ws.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted workspace: %v", err)
			_, err = a.API.GetChat(w.ctx, second.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET a chat of the deleted workspace: %v", err)
		}

		// The owner starts again; the former member is not a member of it.
		ws, err := w.owner.API.CreateWorkspace(w.ctx, w.ws.Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(ws.ID).NotTo(Equal(w.ws.ID))
		got, err := w.owner.API.GetWorkspace(w.ctx, ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(BeEmpty(), "a new workspace has no members")
		_, err = w.member.API.GetWorkspace(w.ctx, ws.ID)
		Expect(client403(err)).To(BeTrue(), "the old workspace's member is an outsider to the new one: %v", err)
		c, err := w.owner.API.CreateChat(w.ctx, ws.ID, w.chat.Title)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.member.API.ConnectionString(w.ctx, c.ID, 0)
		Expect(client403(err)).To(BeTrue(), "no string for an outsider: %v", err)
		Expect(w.owner.API.AddMember(w.ctx, ws.ID, w.member.User.ID)).To(Succeed())
		m := w.connect(w.member, c.ID, 0)
		Expect(w.send(m, uniqueBody("new workspace")).Seq).To(Equal(int64(1)), "the new chat starts at seq 1")
		Eventually(receivedSeqs(m)).WithTimeout(deliverWithin).Should(Equal([]int64{1}), "and replays nothing of the old one")
	})
})
