package specs

import (
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// Histories (see 10_histories.go): what was used, deleted, and made anew.
var _ = Describe("Histories: deleting and creating again", func() {
	It("OWN-5/CON-4/CON-5/MSG-1: after the owner deletes a used chat and creates a new one, the old one is gone everywhere and the new one starts at seq 1", Label("OWN-5", "CON-4", "CON-5", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		kept := w.NewChat(ctx, "kept")
		keptSession := w.Connect(ctx, w.Member, kept.ID, -1)
		w.Send(ctx, keptSession, harness.UniqueBody("kept 1"))
		w.Send(ctx, keptSession, harness.UniqueBody("kept 2"))

		old := w.Chat
		m := w.Connect(ctx, w.Member, old.ID, -1)
		o := w.Connect(ctx, w.Owner, old.ID, -1)
		for range 3 {
			w.Send(ctx, m, harness.UniqueBody("old chat"))
		}
		oldString := w.ConnString(ctx, w.Member, old.ID, 3600).ConnectionString
		Expect(w.Stored(ctx, old.ID)).To(HaveLen(3)) // read once, so a cache may hold it

		Expect(w.Owner.API.DeleteChat(ctx, old.ID)).To(Succeed())
		since := time.Now()
		harness.ExpectRevoked(m, wcp.CodeChatNotFound, since)
		harness.ExpectRevoked(o, wcp.CodeChatNotFound, since)

		fresh := w.NewChat(ctx, old.Title) // the same title, a new chat
		Expect(fresh.ID).NotTo(Equal(old.ID), "a new chat has a new ID")
		Expect(w.ChatIDs(ctx)).To(Equal([]string{kept.ID, fresh.ID}), "listed oldest first, without the deleted one")

		// The old chat is gone for every caller and at connect...
		for _, a := range []harness.Actor{w.Owner, w.Member} {
			_, err := a.API.GetChat(ctx, old.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted chat: %v", err)
			_, err = a.API.Messages(ctx, old.ID, 0, 0)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted chat's messages: %v", err)
		}
		w.ExpectRefused(ctx, harness.AuthMap(old.ID, oldString), wcp.CodeChatNotFound, "a string for the deleted chat")
		// ...and its string does not open the new one
		w.ExpectRefused(ctx, harness.AuthMap(fresh.ID, oldString), wcp.CodeChatMismatch, "a string for the deleted chat, for the new one")

		// The new chat starts empty, at seq 1, for owner and member alike.
		msgs, err := w.Member.API.AllMessages(ctx, fresh.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(BeEmpty(), "a new chat has no history")
		zero := int64(0)
		replay, err := w.Dial(ctx, wcp.Auth{ChatID: fresh.ID, ConnectionString: w.ConnString(ctx, w.Member, fresh.ID, 0).ConnectionString, After: &zero}, nil)
		Expect(err).NotTo(HaveOccurred())
		s := w.Connect(ctx, w.Member, fresh.ID, -1)
		Expect(w.Send(ctx, s, harness.UniqueBody("fresh 1")).Seq).To(Equal(int64(1)), "a new chat's first message is seq 1")
		Expect(w.Send(ctx, w.Connect(ctx, w.Owner, fresh.ID, -1), harness.UniqueBody("fresh 2")).Seq).To(Equal(int64(2)))
		Eventually(harness.ReceivedSeqs(replay)).WithTimeout(harness.DeliverWithin).Should(Equal([]int64{1, 2}), "a replay from 0 of the new chat has only its own messages")

		// The chat that was kept goes on where it was.
		Expect(w.Send(ctx, keptSession, harness.UniqueBody("kept 3")).Seq).To(Equal(int64(3)))
		Expect(keptSession.RevokedEvents()).To(BeEmpty())
	}, SpecTimeout(harness.SpecBound))

	It("OWN-5/CON-5/CON-4: after a used workspace is deleted, its chats and strings are gone, and the owner's new workspace starts afresh", Label("OWN-5", "CON-5", "CON-4", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		second := w.NewChat(ctx, "second")
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		s2 := w.Connect(ctx, w.Member, second.ID, -1)
		w.Send(ctx, s, harness.UniqueBody("old workspace"))
		w.Send(ctx, s2, harness.UniqueBody("old workspace, second chat"))
		strs := map[string]string{w.Chat.ID: w.ConnString(ctx, w.Member, w.Chat.ID, 3600).ConnectionString, second.ID: w.ConnString(ctx, w.Owner, second.ID, 3600).ConnectionString}
		_, err := w.Member.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())

		Expect(w.Owner.API.DeleteWorkspace(ctx, w.WS.ID)).To(Succeed())
		since := time.Now()
		harness.ExpectRevoked(s, wcp.CodeChatNotFound, since)
		harness.ExpectRevoked(s2, wcp.CodeChatNotFound, since)
		for id, cs := range strs {
			w.ExpectRefused(ctx, harness.AuthMap(id, cs), wcp.CodeChatNotFound, "a string for a chat of the deleted workspace")
		}
		for _, a := range []harness.Actor{w.Owner, w.Member} {
			_, err := a.API.GetWorkspace(ctx, w.WS.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET the deleted workspace: %v", err)
			_, err = a.API.GetChat(ctx, second.ID)
			Expect(wcp.ErrorCode(err)).To(Equal(wcp.CodeNotFound), "GET a chat of the deleted workspace: %v", err)
		}

		// The owner starts again; the former member is not a member of it.
		ws, err := w.Owner.API.CreateWorkspace(ctx, w.WS.Name)
		Expect(err).NotTo(HaveOccurred())
		Expect(ws.ID).NotTo(Equal(w.WS.ID))
		got, err := w.Owner.API.GetWorkspace(ctx, ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(BeEmpty(), "a new workspace has no members")
		_, err = w.Member.API.GetWorkspace(ctx, ws.ID)
		Expect(harness.IsForbidden(err)).To(BeTrue(), "the old workspace's member is an outsider to the new one: %v", err)
		c, err := w.Owner.API.CreateChat(ctx, ws.ID, w.Chat.Title)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.Member.API.ConnectionString(ctx, c.ID, 0)
		Expect(harness.IsForbidden(err)).To(BeTrue(), "no string for an outsider: %v", err)
		Expect(w.Owner.API.AddMember(ctx, ws.ID, w.Member.User.ID)).To(Succeed())
		m := w.Connect(ctx, w.Member, c.ID, 0)
		Expect(w.Send(ctx, m, harness.UniqueBody("new workspace")).Seq).To(Equal(int64(1)), "the new chat starts at seq 1")
		Eventually(harness.ReceivedSeqs(m)).WithTimeout(harness.DeliverWithin).Should(Equal([]int64{1}), "and replays nothing of the old one")
	}, SpecTimeout(harness.SpecBound))
})
