package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §3, OWN-2: members read, get connection strings and send;
// they may not create or delete chats, delete the workspace or change
// members (403).
var _ = Describe("Members (OWN-2)", func() {
	It("OWN-2: a member reads, gets connection strings and sends", Label("OWN-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		_, err := w.Member.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.Member.API.ListChats(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.Member.API.GetChat(ctx, w.Chat.ID)
		Expect(err).NotTo(HaveOccurred())
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		ack := w.Send(ctx, s, "from a member")
		msgs, err := w.Member.API.AllMessages(ctx, w.Chat.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(HaveLen(1))
		Expect(msgs[0].ID).To(Equal(ack.ID))
		Expect(msgs[0].UserID).To(Equal(w.Member.User.ID))
	}, SpecTimeout(harness.SpecBound))

	It("OWN-2: a member's refused deletes and member changes change nothing", Label("OWN-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		other := w.NewUser(ctx, "other")
		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, other.User.ID)).To(Succeed())
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodDelete, wcp.ChatPath(w.Chat.ID), nil), http.StatusForbidden, wcp.CodeForbidden)
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodDelete, wcp.WorkspacePath(w.WS.ID), nil), http.StatusForbidden, wcp.CodeForbidden)
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodPost, wcp.MembersPath(w.WS.ID),
			[]byte(`{"user_id":"`+w.Outsider.User.ID+`"}`)), http.StatusForbidden, wcp.CodeForbidden)
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodDelete, wcp.MemberPath(w.WS.ID, other.User.ID), nil),
			http.StatusForbidden, wcp.CodeForbidden)

		_, err := w.Owner.API.GetChat(ctx, w.Chat.ID)
		Expect(err).NotTo(HaveOccurred(), "the chat survived the member's DELETE")
		got, err := w.Owner.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred(), "the workspace survived the member's DELETE")
		Expect(got.Members).To(ConsistOf(w.Member.User.ID, other.User.ID), "members unchanged")
		_, err = w.Outsider.API.GetWorkspace(ctx, w.WS.ID)
		Expect(harness.IsForbidden(err)).To(BeTrue(), "the outsider was not added: %v", err)
	}, SpecTimeout(harness.SpecBound))
})
