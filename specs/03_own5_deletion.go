package specs

import (
	"context"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §3, OWN-5: once deleted, a workspace or chat is 404 for
// everyone.
var _ = Describe("Deletion (OWN-5)", func() {
	// expectGone makes every call of the table about the world's chat or
	// workspace (as about says) as the owner, a member and an outsider, and
	// requires 404 not_found for each.
	expectGone := func(ctx context.Context, w *harness.World, o *ownWorld, about string) {
		GinkgoHelper()
		for _, e := range endpoints() {
			if e.about != about {
				continue
			}
			for _, who := range []string{"owner", "member", "outsider"} {
				harness.ExpectHTTPError(e.request(ctx, w, o, as(w, who)), http.StatusNotFound, wcp.CodeNotFound, "%s by the %s", e.name, who)
			}
		}
	}

	It("OWN-5: a deleted chat answers 404 to everyone and leaves the list", Label("OWN-5"), func(ctx SpecContext) {
		w, o := newOwnWorld(ctx)
		other := w.NewChat(ctx, "kept")
		s := w.Connect(ctx, w.Owner, w.Chat.ID, -1)
		w.Send(ctx, s, "soon gone")
		Expect(w.Owner.API.DeleteChat(ctx, w.Chat.ID)).To(Succeed())
		expectGone(ctx, w, o, "chat")
		Expect(w.ChatIDs(ctx)).To(Equal([]string{other.ID}))
	}, SpecTimeout(harness.SpecBound))

	It("OWN-5: a deleted workspace and its chats answer 404 to everyone", Label("OWN-5"), func(ctx SpecContext) {
		w, o := newOwnWorld(ctx)
		Expect(w.Owner.API.DeleteWorkspace(ctx, w.WS.ID)).To(Succeed())
		expectGone(ctx, w, o, "workspace")
		expectGone(ctx, w, o, "chat")
	}, SpecTimeout(harness.SpecBound))
})
