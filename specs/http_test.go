package specs

import (
	"net/http"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

// The section 1 and 3 MUSTs that carry no rule ID: health, answer shapes,
// IDs, times, ordering and paging. They are labelled "API" (and ROB-1 for
// /healthz, which every robustness spec leans on).
var _ = Describe("The HTTP API (sections 1 and 3)", func() {
	It("API: GET /healthz answers 200 {\"status\":\"ok\"}", Label("API", "ROB-1"), func() {
		w := &world{ctx: specContext(), url: suiteTarget.URL()}
		Expect(healthz(w.ctx, &http.Client{Timeout: answerWithin}, w.url)).To(Succeed())
	})

	It("API: created users, workspaces and chats have the documented shape", Label("API"), func() {
		w := newWorld()
		for _, u := range []wcp.User{w.owner.User, w.member.User, w.outsider.User} {
			Expect(wcp.ValidID(u.ID)).To(BeTrue(), "user id %q", u.ID)
		}
		Expect(w.owner.User.Name).To(Equal("owner"))
		Expect(w.owner.User.Token).NotTo(Equal(w.member.User.Token), "each user has a token of its own")

		Expect(wcp.ValidID(w.ws.ID)).To(BeTrue(), "workspace id %q", w.ws.ID)
		Expect(w.ws.Name).To(Equal("specs"))
		Expect(w.ws.OwnerID).To(Equal(w.owner.User.ID))
		parseWireTime(w.ws.CreatedAt)

		Expect(wcp.ValidID(w.chat.ID)).To(BeTrue(), "chat id %q", w.chat.ID)
		Expect(w.chat.WorkspaceID).To(Equal(w.ws.ID))
		Expect(w.chat.Title).To(Equal("general"))
		parseWireTime(w.chat.CreatedAt)
		got, err := w.member.API.GetChat(w.ctx, w.chat.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(canonChats(got)).To(Equal(canonChats(w.chat)), "GET answers the chat POST created")
	})

	It("API: GET /workspaces/{id} lists the members, the owner not among them", Label("API", "OWN-2"), func() {
		w := newWorld()
		got, err := w.member.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.ID).To(Equal(w.ws.ID))
		Expect(got.OwnerID).To(Equal(w.owner.User.ID))
		Expect(got.Members).To(ConsistOf(w.member.User.ID))

		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.outsider.User.ID)).To(Succeed())
		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, w.outsider.User.ID)).To(Succeed(), "adding twice is fine")
		got, err = w.owner.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(ConsistOf(w.member.User.ID, w.outsider.User.ID), "each member once")

		Expect(w.owner.API.RemoveMember(w.ctx, w.ws.ID, w.member.User.ID)).To(Succeed())
		got, err = w.owner.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(got.Members).To(ConsistOf(w.outsider.User.ID))
	})

	It("API: chats are listed oldest first", Label("API"), func() {
		w := newWorld()
		want := []wcp.Chat{w.chat}
		for _, t := range []string{"b", "c", "d"} {
			// Not waiting for an event: a few milliseconds apart, the
			// chats get distinct created_at, so "oldest" means one order.
			time.Sleep(3 * time.Millisecond)
			want = append(want, w.newChat(t))
		}
		got, err := w.member.API.ListChats(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		Expect(canonChats(got...)).To(ConsistOf(canonChats(want...)))
		// oldest first; only chats created in the same millisecond may swap
		for i := 1; i < len(got); i++ {
			Expect(parseWireTime(got[i-1].CreatedAt)).To(BeTemporally("<=", parseWireTime(got[i].CreatedAt)), "oldest first")
		}
	})

	It("API: messages page by after and limit, in seq order, with next_after", Label("API", "MSG-1"), func() {
		w := newWorld()
		s := w.connect(w.member, w.chat.ID, -1)
		for i := range 5 {
			w.send(s, "m"+strconv.Itoa(i+1))
		}
		p, err := w.member.API.Messages(w.ctx, w.chat.ID, 1, 2)
		Expect(err).NotTo(HaveOccurred())
		Expect(seqs(p.Messages)).To(Equal([]int64{2, 3}))
		Expect(p.NextAfter).To(Equal(int64(3)))
		p, err = w.member.API.Messages(w.ctx, w.chat.ID, p.NextAfter, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(seqs(p.Messages)).To(Equal([]int64{4, 5}), "the default limit covers the rest")
		p, err = w.member.API.Messages(w.ctx, w.chat.ID, 5, 1000)
		Expect(err).NotTo(HaveOccurred())
		Expect(p.Messages).To(BeEmpty())
		resp := w.call(w.member.API, http.MethodGet, "/chat/"+esc(w.chat.ID)+"/messages", nil)
		expectStatus(resp, http.StatusOK, "no paging parameters at all")
	})
})
