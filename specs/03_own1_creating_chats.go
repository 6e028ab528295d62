package specs

import (
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// PROTOCOL.md §3, OWN-1: POST /chat checks the token (401), then the body
// (400), then that the workspace exists (404), then that the caller owns it
// (403); a refused call creates nothing.
var _ = Describe("Creating chats (OWN-1)", func() {
	It("OWN-1: the token is checked before the body", Label("OWN-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		harness.ExpectHTTPError(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathChats, []byte(`{"title":`)), http.StatusUnauthorized, wcp.CodeUnauthenticated)
		harness.ExpectHTTPError(w.Call(ctx, w.BadToken(), http.MethodPost, wcp.PathChats, []byte(`{}`)), http.StatusUnauthorized, wcp.CodeUnauthenticated)
	}, SpecTimeout(harness.SpecBound))

	It("OWN-1: the body is checked before the workspace exists", Label("OWN-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		missing := "nows" + harness.UniqueID()
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
			harness.ExpectHTTPError(w.Call(ctx, w.Outsider.API, http.MethodPost, wcp.PathChats, []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, body)
		}
	}, SpecTimeout(harness.SpecBound))

	It("OWN-1: the workspace's existence is checked before ownership", Label("OWN-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		body := []byte(`{"workspace_id":"nows` + harness.UniqueID() + `","title":"t"}`)
		harness.ExpectHTTPError(w.Call(ctx, w.Outsider.API, http.MethodPost, wcp.PathChats, body), http.StatusNotFound, wcp.CodeNotFound)
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodPost, wcp.PathChats, body), http.StatusNotFound, wcp.CodeNotFound)
	}, SpecTimeout(harness.SpecBound))

	It("OWN-1: only the owner creates, and a refused create leaves no chat", Label("OWN-1", "OWN-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		before := w.ChatIDs(ctx)
		body := []byte(`{"workspace_id":"` + w.WS.ID + `","title":"refused"}`)
		harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodPost, wcp.PathChats, body), http.StatusForbidden, wcp.CodeForbidden)
		harness.ExpectHTTPError(w.Call(ctx, w.Outsider.API, http.MethodPost, wcp.PathChats, body), http.StatusForbidden, wcp.CodeForbidden)
		harness.ExpectHTTPError(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathChats, body), http.StatusUnauthorized, wcp.CodeUnauthenticated)
		Expect(w.ChatIDs(ctx)).To(ConsistOf(before), "refused creates left a chat behind")

		// The owner's create, for contrast, adds exactly one.
		c := w.NewChat(ctx, "accepted")
		Expect(w.ChatIDs(ctx)).To(ConsistOf(append(before, c.ID)))
	}, SpecTimeout(harness.SpecBound))

	It("OWN-1: title lengths 1 and 200 are accepted", Label("OWN-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, title := range []string{"t", strings.Repeat("t", 200)} {
			c, err := w.Owner.API.CreateChat(ctx, w.WS.ID, title)
			Expect(err).NotTo(HaveOccurred())
			Expect(c.Title).To(Equal(title))
		}
	}, SpecTimeout(harness.SpecBound))
})
