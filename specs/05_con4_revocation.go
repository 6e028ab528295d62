package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §5, CON-4: when access ends, each affected session gets
// `revoked` and is disconnected by the server within 1 s.
var _ = Describe("Revocation (CON-4)", func() {
	It("CON-4: a removed member's sessions get revoked forbidden and are disconnected within 1 s", Label("CON-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		m1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		m2 := w.Connect(ctx, w.Member, second.ID, -1)
		owner := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		other := w.Connect(ctx, w.OutsiderJoined(ctx), w.Chat.ID, -1)
		// The member also belongs to a workspace of someone else: that
		// access does not end, so neither does that session.
		theirs, err := w.Outsider.API.CreateWorkspace(ctx, "theirs")
		Expect(err).NotTo(HaveOccurred())
		Expect(w.Outsider.API.AddMember(ctx, theirs.ID, w.Member.User.ID)).To(Succeed())
		theirChat, err := w.Outsider.API.CreateChat(ctx, theirs.ID, "theirs")
		Expect(err).NotTo(HaveOccurred())
		mTheirs := w.Connect(ctx, w.Member, theirChat.ID, -1)
		oTheirs := w.Connect(ctx, w.Outsider, theirChat.ID, -1)

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		since := time.Now()
		harness.ExpectRevoked(m1, wcp.CodeForbidden, since)
		harness.ExpectRevoked(m2, wcp.CodeForbidden, since)
		Expect(owner.RevokedEvents()).To(BeEmpty())
		w.ExpectAlive(ctx, other, owner)
		w.ExpectAlive(ctx, owner, other)
		w.ExpectAlive(ctx, mTheirs, oTheirs)
		Expect(mTheirs.RevokedEvents()).To(BeEmpty())
	}, SpecTimeout(harness.SpecBound))

	It("CON-4: deleting a chat revokes its sessions with chat_not_found, and only those", Label("CON-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		m1 := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		o1 := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		m2 := w.Connect(ctx, w.Member, second.ID, -1)
		o2 := w.Connect(ctx, w.Owner, second.ID, -1)

		Expect(w.Owner.API.DeleteChat(ctx, w.Chat.ID)).To(Succeed())
		since := time.Now()
		harness.ExpectRevoked(m1, wcp.CodeChatNotFound, since)
		harness.ExpectRevoked(o1, wcp.CodeChatNotFound, since)
		w.ExpectAlive(ctx, m2, o2)
	}, SpecTimeout(harness.SpecBound))

	It("CON-4: deleting a workspace revokes the sessions of all its chats with chat_not_found", Label("CON-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		elsewhere, err := w.Owner.API.CreateWorkspace(ctx, "elsewhere")
		Expect(err).NotTo(HaveOccurred())
		outside, err := w.Owner.API.CreateChat(ctx, elsewhere.ID, "outside")
		Expect(err).NotTo(HaveOccurred())
		sessions := []*client.Session{
			w.Connect(ctx, w.Member, w.Chat.ID, -1), w.Connect(ctx, w.Owner, w.Chat.ID, -1),
			w.Connect(ctx, w.Member, second.ID, -1), w.Connect(ctx, w.Owner, second.ID, -1),
		}
		o3 := w.Connect(ctx, w.Owner, outside.ID, -1)
		o3b := w.Connect(ctx, w.Owner, outside.ID, -1)

		Expect(w.Owner.API.DeleteWorkspace(ctx, w.WS.ID)).To(Succeed())
		since := time.Now()
		for _, s := range sessions {
			harness.ExpectRevoked(s, wcp.CodeChatNotFound, since)
		}
		w.ExpectAlive(ctx, o3, o3b)
	}, SpecTimeout(harness.SpecBound))
})
