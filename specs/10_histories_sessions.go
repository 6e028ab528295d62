package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// Histories (see 10_histories.go): one user, several sessions at once.
var _ = Describe("Histories: several sessions of one user", func() {
	It("CON-3/MSG-1: a user with two sessions in one chat and one in another, all sending, gets each chat's messages exactly once per session", Label("CON-3", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		// The member's second chat is in a workspace of someone else.
		theirs, err := w.Outsider.API.CreateWorkspace(ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Outsider.API.AddMember(ctx, theirs.ID, w.Member.User.ID)).To(Succeed())
		elsewhere, err := w.Outsider.API.CreateChat(ctx, theirs.ID, "elsewhere")
		Expect(err).NotTo(HaveOccurred())

		a1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		a2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		b := w.Connect(ctx, w.Member, elsewhere.ID, -1)
		ownerA := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		ownerB := w.Connect(ctx, w.Outsider, elsewhere.ID, -1)

		// Everyone sends at once, the member from all three sessions.
		const each = 10
		senders := []*harness.Sender{
			harness.StartSender(ctx, a1, each), harness.StartSender(ctx, a2, each), harness.StartSender(ctx, b, each),
			harness.StartSender(ctx, ownerA, each), harness.StartSender(ctx, ownerB, each),
		}
		for _, sd := range senders {
			Expect(sd.Wait()).To(HaveLen(each))
		}
		inA := w.Stored(ctx, w.Chat.ID)
		inB, err := w.Outsider.API.AllMessages(ctx, elsewhere.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(harness.Seqs(inA)).To(Equal(harness.SeqRange(1, 3*each)), "the first chat counts its own messages")
		Expect(harness.Seqs(inB)).To(Equal(harness.SeqRange(1, 2*each)), "the second chat counts its own messages")
		for _, s := range []*client.Session{a1, a2, ownerA} {
			Eventually(harness.Received(s)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(inA)), "a session of the first chat gets its messages, once each, in order")
		}
		for _, s := range []*client.Session{b, ownerB} {
			Eventually(harness.Received(s)).WithTimeout(harness.DeliverWithin).Should(Equal(harness.Canon(inB)), "a session of the second chat gets its messages, once each, in order")
		}
		for _, s := range []*client.Session{a1, a2, b} {
			Expect(s.Info().UserID).To(Equal(w.Member.User.ID))
			Expect(s.Closed()).To(BeFalse(), "the member's sessions are all still open")
		}
	}, SpecTimeout(harness.SpecBound))

	It("MSG-5/MSG-4: nonces belong to the session: a user's two sessions in one chat count their nonces apart", Label("MSG-5", "MSG-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		s2 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		harness.ExpectMsgAccepted(ctx, s1, harness.Payload(harness.Signed(s1, 100, "s1 at 100")), "s1 nonce 100")
		// s1's 100 does not make s2's 1 a replay...
		harness.ExpectMsgAccepted(ctx, s2, harness.Payload(harness.Signed(s2, 1, "s2 at 1")), "s2 nonce 1 after s1's 100")
		harness.ExpectMsgAccepted(ctx, s2, harness.Payload(harness.Signed(s2, 50, "s2 at 50")), "s2 nonce 50")
		// ...and s2's 50 does not make s1's 101 one either
		harness.ExpectMsgAccepted(ctx, s1, harness.Payload(harness.Signed(s1, 101, "s1 at 101")), "s1 nonce 101 after s2's 50")
		// while each session still refuses its own replays
		harness.ExpectMsgRefused(ctx, s1, harness.Payload(harness.Signed(s1, 100, "s1 again")), wcp.CodeReplayedMessage, "s1 replays 100")
		harness.ExpectMsgRefused(ctx, s2, harness.Payload(harness.Signed(s2, 50, "s2 again")), wcp.CodeReplayedMessage, "s2 replays 50")
		// A third session of the same user starts afresh too.
		s3 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		a := harness.ExpectMsgAccepted(ctx, s3, harness.Payload(harness.Signed(s3, 1, "s3 at 1")), "s3 nonce 1")
		Expect(a.Seq).To(Equal(int64(5)))
		Expect(harness.Seqs(w.Stored(ctx, w.Chat.ID))).To(Equal(harness.SeqRange(1, 5)))
	}, SpecTimeout(harness.SpecBound))

	It("CON-4: losing one workspace revokes only that workspace's sessions of the user; the other workspace's go on", Label("CON-4", "CON-3", "OWN-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		theirs, err := w.Outsider.API.CreateWorkspace(ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Outsider.API.AddMember(ctx, theirs.ID, w.Member.User.ID)).To(Succeed())
		elsewhere, err := w.Outsider.API.CreateChat(ctx, theirs.ID, "elsewhere")
		Expect(err).NotTo(HaveOccurred())

		here := []*client.Session{w.Connect(ctx, w.Member, w.Chat.ID, -1), w.Connect(ctx, w.Member, w.Chat.ID, -1), w.Connect(ctx, w.Member, second.ID, -1)}
		there := []*client.Session{w.Connect(ctx, w.Member, elsewhere.ID, -1), w.Connect(ctx, w.Member, elsewhere.ID, -1)}
		theirOwner := w.Connect(ctx, w.Outsider, elsewhere.ID, -1)
		for _, s := range append(append([]*client.Session{}, here...), there...) {
			w.Send(ctx, s, harness.UniqueBody("used"))
		}
		csThere := w.ConnString(ctx, w.Member, elsewhere.ID, 0)

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		since := time.Now()
		for _, s := range here {
			harness.ExpectRevoked(s, wcp.CodeForbidden, since)
		}
		for _, s := range there {
			Expect(s.RevokedEvents()).To(BeEmpty(), "no revocation in the other workspace")
			w.ExpectAlive(ctx, s, theirOwner)
		}
		w.ExpectAlive(ctx, theirOwner, there[0])
		// still a member there, on HTTP and at connect
		_, err = w.Member.API.GetChat(ctx, elsewhere.ID)
		Expect(err).NotTo(HaveOccurred(), "the member still reads the other workspace's chat")
		w.ExpectAccepted(ctx, harness.AuthMap(elsewhere.ID, csThere.ConnectionString))
		for _, s := range there {
			harness.ExpectNotRevoked(s, "a session in the other workspace")
		}
	}, SpecTimeout(harness.SpecBound))

	It("CON-4: a chat deleted under a user revokes that chat's session with chat_not_found; a removal later revokes the other with forbidden", Label("CON-4", "OWN-5"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		sA := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		sB := w.Connect(ctx, w.Member, second.ID, -1)
		ownerB := w.Connect(ctx, w.Owner, second.ID, -1)
		w.Send(ctx, sA, harness.UniqueBody("in the doomed chat"))
		w.Send(ctx, sB, harness.UniqueBody("in the second chat"))

		Expect(w.Owner.API.DeleteChat(ctx, w.Chat.ID)).To(Succeed())
		harness.ExpectRevoked(sA, wcp.CodeChatNotFound, time.Now())
		w.ExpectAlive(ctx, sB, ownerB)
		Expect(sB.RevokedEvents()).To(BeEmpty(), "the second chat's session is untouched by the deletion")

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		harness.ExpectRevoked(sB, wcp.CodeForbidden, time.Now())
		w.ExpectAlive(ctx, ownerB, w.Connect(ctx, w.Owner, second.ID, -1))
	}, SpecTimeout(harness.SpecBound))
})
