package specs

import (
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// The MUSTs of PROTOCOL.md §1 and §3 that carry no rule ID: health, answer shapes,
// IDs, times, ordering and paging. They are labelled "API" (and ROB-1 for
// /healthz, which every robustness spec leans on).
var _ = Describe("The HTTP API (sections 1 and 3)", func() {
	It("API: created users, workspaces and chats have the documented shape", Label("API"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, u := range []wcp.User{w.Owner.User, w.Member.User, w.Outsider.User} {
			Expect(wcp.ValidID(u.ID)).To(BeTrue(), "user id %q", u.ID)
		}
		Expect(w.Owner.User.Name).To(Equal("owner"))
		Expect(w.Owner.User.Token).NotTo(Equal(w.Member.User.Token), "each user has a token of its own")

		Expect(wcp.ValidID(w.WS.ID)).To(BeTrue(), "workspace id %q", w.WS.ID)
		Expect(w.WS.Name).To(Equal("specs"))
		Expect(w.WS.OwnerID).To(Equal(w.Owner.User.ID))
		harness.ParseWireTime(w.WS.CreatedAt)

		Expect(wcp.ValidID(w.Chat.ID)).To(BeTrue(), "chat id %q", w.Chat.ID)
		Expect(w.Chat.WorkspaceID).To(Equal(w.WS.ID))
		Expect(w.Chat.Title).To(Equal("general"))
		harness.ParseWireTime(w.Chat.CreatedAt)
		got, err := w.Member.API.GetChat(ctx, w.Chat.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(harness.CanonChats(got)).To(Equal(harness.CanonChats(w.Chat)), "GET answers the chat POST created")
	}, SpecTimeout(harness.SpecBound))

	It("API: GET /workspaces/{id} lists the members, the owner not among them", Label("API", "OWN-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		got, err := w.Member.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.ID).To(Equal(w.WS.ID))
		Expect(got.OwnerID).To(Equal(w.Owner.User.ID))
		Expect(got.Members).To(ConsistOf(w.Member.User.ID))

		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Outsider.User.ID)).To(Succeed())
		Expect(w.Owner.API.AddMember(ctx, w.WS.ID, w.Outsider.User.ID)).To(Succeed(), "adding twice is fine")
		got, err = w.Owner.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(ConsistOf(w.Member.User.ID, w.Outsider.User.ID), "each member once")

		Expect(w.Owner.API.RemoveMember(ctx, w.WS.ID, w.Member.User.ID)).To(Succeed())
		got, err = w.Owner.API.GetWorkspace(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(ConsistOf(w.Outsider.User.ID))
	}, SpecTimeout(harness.SpecBound))

	It("API: chats are listed oldest first", Label("API"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		want := []wcp.Chat{w.Chat}
		for _, t := range []string{"b", "c", "d"} {
			// Not waiting for an event: a few milliseconds apart, the
			// chats get distinct created_at, so "oldest" means one order.
			time.Sleep(3 * time.Millisecond)
			want = append(want, w.NewChat(ctx, t))
		}
		got, err := w.Member.API.ListChats(ctx, w.WS.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(harness.CanonChats(got...)).To(ConsistOf(harness.CanonChats(want...)))
		// oldest first; only chats created in the same millisecond may swap
		for i := 1; i < len(got); i++ {
			Expect(harness.ParseWireTime(got[i-1].CreatedAt)).To(BeTemporally("<=", harness.ParseWireTime(got[i].CreatedAt)), "oldest first")
		}
	}, SpecTimeout(harness.SpecBound))

	It("API: messages page by after and limit, in seq order, with next_after", Label("API", "MSG-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		s := w.Connect(ctx, w.Member, w.Chat.ID, -1)
		for i := range 5 {
			w.Send(ctx, s, "m"+strconv.Itoa(i+1))
		}
		p, err := w.Member.API.Messages(ctx, w.Chat.ID, 1, 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(harness.Seqs(p.Messages)).To(Equal([]int64{2, 3}))
		Expect(p.NextAfter).To(Equal(int64(3)))
		p, err = w.Member.API.Messages(ctx, w.Chat.ID, p.NextAfter, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(harness.Seqs(p.Messages)).To(Equal([]int64{4, 5}), "the default limit covers the rest")
		p, err = w.Member.API.Messages(ctx, w.Chat.ID, 5, 1000)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Messages).To(BeEmpty())
		resp := w.Call(ctx, w.Member.API, http.MethodGet, wcp.MessagesPath(w.Chat.ID), nil)
		harness.ExpectStatus(resp, http.StatusOK, "no paging parameters at all")
	}, SpecTimeout(harness.SpecBound))
})
