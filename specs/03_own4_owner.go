package specs

import (
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §3, OWN-4: removing the owner from members is a 400;
// removing a non-member is a harmless 204.
var _ = Describe("The owner (OWN-4)", func() {
	It("OWN-4: the owner cannot be removed from members", Label("OWN-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodDelete, wcp.MemberPath(w.WS.ID, w.Owner.User.ID), nil),
			http.StatusBadRequest, wcp.CodeBadRequest)
		got, err := w.Owner.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred(), "the owner still reads the workspace")
		Expect(got.OwnerID).To(Equal(w.Owner.User.ID))
		Expect(got.Members).NotTo(ContainElement(w.Owner.User.ID))
		w.NewChat(ctx, "still the owner") // and still creates chats
	}, SpecTimeout(harness.SpecBound))

	It("OWN-4: removing a user who is not a member is fine", Label("OWN-4"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		harness.ExpectStatus(w.Call(ctx, w.Owner.API, http.MethodDelete, wcp.MemberPath(w.WS.ID, w.Outsider.User.ID), nil),
			http.StatusNoContent)
		// Twice over for a real member: the second removal is of a non-member.
		for range 2 {
			harness.ExpectStatus(w.Call(ctx, w.Owner.API, http.MethodDelete, wcp.MemberPath(w.WS.ID, w.Member.User.ID), nil),
				http.StatusNoContent)
		}
		_, err := w.Member.API.GetChat(ctx, w.Chat.ID)
		Expect(harness.IsForbidden(err)).To(BeTrue(), "a removed member is an outsider: %v", err)
	}, SpecTimeout(harness.SpecBound))
})
