package specs

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
)

// chatIDs lists the chat IDs of the world's workspace, as the owner sees it.
func (w *world) chatIDs() []string {
	GinkgoHelper()
	chats, err := w.owner.API.ListChats(w.ctx, w.ws.ID)
	Expect(err).NotTo(HaveOccurred())
	ids := make([]string, len(chats))
	for i, c := range chats {
		ids[i] = c.ID
	}
	return ids
}

var _ = Describe("Creating chats (OWN-1)", func() {
	It("OWN-1: the token is checked before the body", Label("OWN-1"), func() {
		w := newWorld()
		expectHTTPError(w.call(w.anon, http.MethodPost, "/chat", []byte(`{"title":`)), http.StatusUnauthorized, wcp.CodeUnauthenticated)
		expectHTTPError(w.call(w.badToken(), http.MethodPost, "/chat", []byte(`{}`)), http.StatusUnauthorized, wcp.CodeUnauthenticated)
	})

	It("OWN-1: the body is checked before the workspace exists", Label("OWN-1"), func() {
		w := newWorld()
		missing := "nows" + uniqueID()
		for _, body := range []string{
			`{"workspace_id":"` + missing + `"}`,            // no title
			`{"workspace_id":"` + missing + `","title":""}`, // empty title
			`{"workspace_id":"` + missing + `","title":7}`,  // wrong type
			`{"title":"t"}`,                  // no workspace
			`{"workspace_id":7,"title":"t"}`, // wrong type
			`{"workspace_id":"` + missing + `","title":"` + strings.Repeat("t", 201) + `"}`, // too long
			`{"workspace_id":"` + missing + `",`,                                            // malformed
			`[]`,
		} {
			expectHTTPError(w.call(w.outsider.API, http.MethodPost, "/chat", []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, body)
		}
	})

	It("OWN-1: the workspace's existence is checked before ownership", Label("OWN-1"), func() {
		w := newWorld()
		body := []byte(`{"workspace_id":"nows` + uniqueID() + `","title":"t"}`)
		expectHTTPError(w.call(w.outsider.API, http.MethodPost, "/chat", body), http.StatusNotFound, wcp.CodeNotFound)
		expectHTTPError(w.call(w.member.API, http.MethodPost, "/chat", body), http.StatusNotFound, wcp.CodeNotFound)
	})

	It("OWN-1: only the owner creates, and a refused create leaves no chat", Label("OWN-1", "OWN-2"), func() {
		w := newWorld()
		before := w.chatIDs()
		body := []byte(`{"workspace_id":"` + w.ws.ID + `","title":"refused"}`)
		expectHTTPError(w.call(w.member.API, http.MethodPost, "/chat", body), http.StatusForbidden, wcp.CodeForbidden)
		expectHTTPError(w.call(w.outsider.API, http.MethodPost, "/chat", body), http.StatusForbidden, wcp.CodeForbidden)
		expectHTTPError(w.call(w.anon, http.MethodPost, "/chat", body), http.StatusUnauthorized, wcp.CodeUnauthenticated)
		Expect(w.chatIDs()).To(ConsistOf(before), "refused creates left a chat behind")

		// The owner's create, for contrast, adds exactly one.
		c := w.newChat("accepted")
		Expect(w.chatIDs()).To(ConsistOf(append(before, c.ID)))
	})

	It("OWN-1: title lengths 1 and 200 are accepted", Label("OWN-1"), func() {
		w := newWorld()
		for _, title := range []string{"t", strings.Repeat("t", 200)} {
			c, err := w.owner.API.CreateChat(w.ctx, w.ws.ID, title)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Title).To(Equal(title))
		}
	})
})

var _ = Describe("Members (OWN-2)", func() {
	It("OWN-2: a member reads, gets connection strings and sends", Label("OWN-2"), func() {
		w := newWorld()
		_, err := w.member.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.member.API.ListChats(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred())
		_, err = w.member.API.GetChat(w.ctx, w.chat.ID)
		Expect(err).NotTo(HaveOccurred())
		s := w.connect(w.member, w.chat.ID, -1)
		ack := w.send(s, "from a member")
		msgs, err := w.member.API.AllMessages(w.ctx, w.chat.ID, 0)
		Expect(err).NotTo(HaveOccurred())
		Expect(msgs).To(HaveLen(1))
		Expect(msgs[0].ID).To(Equal(ack.ID))
		Expect(msgs[0].UserID).To(Equal(w.member.User.ID))
	})

	It("OWN-2: a member's refused deletes and member changes change nothing", Label("OWN-2"), func() {
		w := newWorld()
		other := w.newUser("other")
		Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, other.User.ID)).To(Succeed())
		expectHTTPError(w.call(w.member.API, http.MethodDelete, "/chat/"+esc(w.chat.ID), nil), http.StatusForbidden, wcp.CodeForbidden)
		expectHTTPError(w.call(w.member.API, http.MethodDelete, "/workspaces/"+esc(w.ws.ID), nil), http.StatusForbidden, wcp.CodeForbidden)
		expectHTTPError(w.call(w.member.API, http.MethodPost, "/workspaces/"+esc(w.ws.ID)+"/members",
			[]byte(`{"user_id":"`+w.outsider.User.ID+`"}`)), http.StatusForbidden, wcp.CodeForbidden)
		expectHTTPError(w.call(w.member.API, http.MethodDelete, "/workspaces/"+esc(w.ws.ID)+"/members/"+esc(other.User.ID), nil),
			http.StatusForbidden, wcp.CodeForbidden)

		_, err := w.owner.API.GetChat(w.ctx, w.chat.ID)
		Expect(err).NotTo(HaveOccurred(), "the chat survived the member's DELETE")
		got, err := w.owner.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred(), "the workspace survived the member's DELETE")
		Expect(got.Members).To(ConsistOf(w.member.User.ID, other.User.ID), "members unchanged")
		_, err = w.outsider.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(client403(err)).To(BeTrue(), "the outsider was not added: %v", err)
	})
})

var _ = Describe("The owner (OWN-4)", func() {
	It("OWN-4: the owner cannot be removed from members", Label("OWN-4"), func() {
		w := newWorld()
		expectHTTPError(w.call(w.owner.API, http.MethodDelete, "/workspaces/"+esc(w.ws.ID)+"/members/"+esc(w.owner.User.ID), nil),
			http.StatusBadRequest, wcp.CodeBadRequest)
		got, err := w.owner.API.GetWorkspace(w.ctx, w.ws.ID)
		Expect(err).NotTo(HaveOccurred(), "the owner still reads the workspace")
		Expect(got.OwnerID).To(Equal(w.owner.User.ID))
		Expect(got.Members).NotTo(ContainElement(w.owner.User.ID))
		w.newChat("still the owner") // and still creates chats
	})

	It("OWN-4: removing a user who is not a member is fine", Label("OWN-4"), func() {
		w := newWorld()
		expectStatus(w.call(w.owner.API, http.MethodDelete, "/workspaces/"+esc(w.ws.ID)+"/members/"+esc(w.outsider.User.ID), nil),
			http.StatusNoContent)
		// Twice over for a real member: the second removal is of a non-member.
		for range 2 {
			expectStatus(w.call(w.owner.API, http.MethodDelete, "/workspaces/"+esc(w.ws.ID)+"/members/"+esc(w.member.User.ID), nil),
				http.StatusNoContent)
		}
		_, err := w.member.API.GetChat(w.ctx, w.chat.ID)
		Expect(client403(err)).To(BeTrue(), "a removed member is an outsider: %v", err)
	})
})

var _ = Describe("Deletion (OWN-5)", func() {
	// every call about the chat and its workspace, by every kind of user
	chatCalls := func(w *world) [][2]string {
		return [][2]string{
			{http.MethodGet, "/chat/" + esc(w.chat.ID)},
			{http.MethodDelete, "/chat/" + esc(w.chat.ID)},
			{http.MethodPost, "/chat/" + esc(w.chat.ID) + "/connection-string"},
			{http.MethodGet, "/chat/" + esc(w.chat.ID) + "/messages"},
		}
	}
	wsCalls := func(w *world) [][2]string {
		return [][2]string{
			{http.MethodGet, "/workspaces/" + esc(w.ws.ID)},
			{http.MethodDelete, "/workspaces/" + esc(w.ws.ID)},
			{http.MethodGet, "/workspaces/" + esc(w.ws.ID) + "/chats"},
			{http.MethodPost, "/workspaces/" + esc(w.ws.ID) + "/members"},
			{http.MethodDelete, "/workspaces/" + esc(w.ws.ID) + "/members/" + esc(w.member.User.ID)},
			{http.MethodPost, "/chat"},
		}
	}
	bodyFor := func(w *world, method, path string) []byte {
		switch {
		case method != http.MethodPost:
			return nil
		case path == "/chat":
			return []byte(`{"workspace_id":"` + w.ws.ID + `","title":"t"}`)
		case strings.HasSuffix(path, "/members"):
			return []byte(`{"user_id":"` + w.outsider.User.ID + `"}`)
		}
		return []byte(`{}`)
	}
	expectGone := func(w *world, calls [][2]string) {
		GinkgoHelper()
		for _, c := range calls {
			for _, who := range []string{"owner", "member", "outsider"} {
				expectHTTPError(w.call(w.as(who), c[0], c[1], bodyFor(w, c[0], c[1])), http.StatusNotFound, wcp.CodeNotFound, "%s %s by the %s", c[0], c[1], who)
			}
		}
	}

	It("OWN-5: a deleted chat answers 404 to everyone and leaves the list", Label("OWN-5"), func() {
		w := newWorld()
		other := w.newChat("kept")
		s := w.connect(w.owner, w.chat.ID, -1)
		w.send(s, "soon gone")
		Expect(w.owner.API.DeleteChat(w.ctx, w.chat.ID)).To(Succeed())
		expectGone(w, chatCalls(w))
		Expect(w.chatIDs()).To(Equal([]string{other.ID}))
	})

	It("OWN-5: a deleted workspace and its chats answer 404 to everyone", Label("OWN-5"), func() {
		w := newWorld()
		Expect(w.owner.API.DeleteWorkspace(w.ctx, w.ws.ID)).To(Succeed())
		expectGone(w, wsCalls(w))
		expectGone(w, chatCalls(w))
	})
})

func client403(err error) bool {
	return err != nil && wcp.ErrorCode(err) == wcp.CodeForbidden
}
