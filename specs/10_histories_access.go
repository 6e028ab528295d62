package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// Histories (see 10_histories.go): access used, lost and regained.
var _ = Describe("Histories: losing and regaining access", func() {
	It("OWN-2/OWN-3: a member who used every call gets 403 on each once removed, and 200 again once re-added", Label("OWN-2", "OWN-3"), func(ctx SpecContext) {
		w, o := newOwnWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		w.Send(ctx, s, harness.UniqueBody("before removal"))
		// Twice, so whatever a server caches about this member is warm.
		expectAnswersAsMember(ctx, w, o, w.Member, "a member")
		expectAnswersAsMember(ctx, w, o, w.Member, "a member, again")

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		expectAnswersAsOutsider(ctx, w, o, w.Member, "removed")
		expectAnswersAsOutsider(ctx, w, o, w.Member, "removed, asking again")

		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		expectAnswersAsMember(ctx, w, o, w.Member, "re-added")

		// and once more: a second removal ends access as the first did
		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		expectAnswersAsOutsider(ctx, w, o, w.Member, "removed a second time")

		// Nothing that was refused changed anything.
		got, err := w.Owner.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred(), "the workspace survived the removed member's DELETE")
		Expect(got.Members).To(ConsistOf(o.other.User.ID), "members: only the other one is left")
		Expect(w.ChatIDs(ctx)).To(Equal([]string{w.Chat.ID}), "the chat survived, and no chat was added")
		Expect(w.Stored(ctx, w.Chat.ID)).To(HaveLen(1), "the history is intact")
	}, SpecTimeout(harness.SpecBound))

	It("OWN-3/CON-5: an outsider who is added, uses the chat and is removed is an outsider again, on HTTP and at connect", Label("OWN-3", "CON-5", "OWN-2"), func(ctx SpecContext) {
		w, o := newOwnWorld(ctx)
		// Refused first: a server that caches the refusal must not keep it.
		expectAnswersAsOutsider(ctx, w, o, w.Outsider, "an outsider")
		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Outsider.User.ID)).To(Succeed())
		expectAnswersAsMember(ctx, w, o, w.Outsider, "added")
		cs := w.ConnString(ctx, w.Outsider, w.Chat.ID, 0)
		s, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}, nil)
		Expect(err).NotTo(HaveOccurred(), "the new member connects")
		w.Send(ctx, s, harness.UniqueBody("newly added"))

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Outsider.User.ID)).To(Succeed())
		harness.ExpectRevoked(s, wcp.CodeForbidden, time.Now())
		expectAnswersAsOutsider(ctx, w, o, w.Outsider, "removed")
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, cs.ConnectionString), wcp.CodeForbidden, "the string it used while a member")
	}, SpecTimeout(harness.SpecBound))

	It("CON-4/CON-5/MSG-4: a member removed and re-added keeps nothing of the old session, and its earlier strings follow its membership", Label("CON-4", "CON-5", "MSG-4", "CON-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		owner := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		cs := w.ConnString(ctx, w.Member, w.Chat.ID, 0) // issued before the removal
		s1, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString}, nil)
		Expect(err).NotTo(HaveOccurred())
		old := s1.Info()
		for range 3 {
			w.Send(ctx, s1, harness.UniqueBody("member, first membership"))
		}
		w.Send(ctx, owner, harness.UniqueBody("owner"))

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		harness.ExpectRevoked(s1, wcp.CodeForbidden, time.Now())
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, cs.ConnectionString), wcp.CodeForbidden, "a string issued before the removal, while removed")
		_, err = w.Member.API.ConnectionString(ctx, w.Chat.ID, 0)
		Expect(harness.IsForbidden(err)).To(BeTrue(), "no new string while removed: %v", err)
		away := w.Send(ctx, owner, harness.UniqueBody("while the member is away"))

		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		// CON-5 checks a string at connect time, against the membership of
		// that moment, and EXP-2 lets it open any number of sessions until
		// it expires: the old string opens a session again.
		zero := int64(0)
		s2, err := w.Dial(ctx, wcp.Auth{ChatID: w.Chat.ID, ConnectionString: cs.ConnectionString, After: &zero}, nil)
		Expect(err).NotTo(HaveOccurred(), "the string issued before the removal, once re-added")
		now := s2.Info()
		Expect(now.SessionID).NotTo(Equal(old.SessionID), "a new session")
		Expect(now.MessageKey).NotTo(Equal(old.MessageKey), "a new key")
		// the whole history, including what was said while away (CON-2)
		Eventually(harness.ReceivedSeqs(s2)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.SeqRange(1, away.Seq)), "the re-added member replays everything from after=0")
		Expect(harness.Canon(s2.Received())).To(Equal(harness.Canon(w.Stored(ctx, w.Chat.ID))))

		// The old session's key and nonces mean nothing in the new one (MSG-4).
		harness.ExpectMsgRefused(ctx, s2, harness.SignedWith(old.MessageKey, w.Chat.ID, now.SessionID, 10, "old key"),
			wcp.CodeInvalidMessageString, "the old session's key in the new session")
		a := harness.ExpectMsgAccepted(ctx, s2, harness.Payload(harness.Signed(s2, 1, "back again")), "nonce 1 in the new session")
		Expect(a.Seq).To(Equal(away.Seq+1), "seq goes on where the chat was")
		Eventually(harness.ReceivedSeqs(owner)).WithTimeout(harness.DeliverWithin).Should(ContainElement(a.Seq), "the owner hears the returning member")

		// and a second removal revokes the new session as the first did
		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		harness.ExpectRevoked(s2, wcp.CodeForbidden, time.Now())
		w.ExpectRefused(ctx, harness.AuthMap(w.Chat.ID, cs.ConnectionString), wcp.CodeForbidden, "the same string after the second removal")
		w.ExpectAlive(ctx, owner, w.Connect(ctx, w.Owner, w.Chat.ID, -1))
	}, SpecTimeout(harness.SpecBound))

	It("CON-5/CON-4: strings a member created for several chats, and used, are all refused forbidden after the removal; others' are not", Label("CON-5", "CON-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		chats := []wcp.Chat{w.Chat, w.NewChat(ctx, "second"), w.NewChat(ctx, "third")}
		colleague := w.OutsiderJoined(ctx)
		var mine, theirs, owners []string
		var sessions []*client.Session
		for _, c := range chats {
			cs := w.ConnString(ctx, w.Member, c.ID, 3600).ConnectionString
			mine = append(mine, cs)
			theirs = append(theirs, w.ConnString(ctx, colleague, c.ID, 3600).ConnectionString)
			owners = append(owners, w.ConnString(ctx, w.Owner, c.ID, 3600).ConnectionString)
			// used, and still open, before the removal
			s, err := w.Dial(ctx, wcp.Auth{ChatID: c.ID, ConnectionString: cs}, nil)
			Expect(err).NotTo(HaveOccurred(), "the member connects to %s", c.Title)
			w.Send(ctx, s, harness.UniqueBody("member in "+c.Title))
			sessions = append(sessions, s)
			w.ExpectAccepted(ctx, harness.AuthMap(c.ID, cs)) // and once more, raw
		}

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		since := time.Now()
		for _, s := range sessions {
			harness.ExpectRevoked(s, wcp.CodeForbidden, since)
		}
		for i, c := range chats {
			w.ExpectRefused(ctx, harness.AuthMap(c.ID, mine[i]), wcp.CodeForbidden, "the removed member's string for "+c.Title)
			w.ExpectAccepted(ctx, harness.AuthMap(c.ID, theirs[i]))
			w.ExpectAccepted(ctx, harness.AuthMap(c.ID, owners[i]))
			// and the member's messages stay in the history
			Expect(w.Stored(ctx, c.ID)).To(HaveLen(1), "history of %s", c.Title)
		}
	}, SpecTimeout(harness.SpecBound))
})
