package specs

import (
	"bytes"
	"net/http"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/specs/harness"
)

// postBodies are the POST calls with a JSON body: name -> path.
func postBodies(w *harness.World) map[string]string {
	return map[string]string{
		"/users":                       wcp.PathUsers,
		"/workspaces":                  wcp.PathWorkspaces,
		"/chat":                        wcp.PathChats,
		"/workspaces/{id}/members":     wcp.MembersPath(w.WS.ID),
		"/chat/{id}/connection-string": wcp.ConnectionStringPath(w.Chat.ID),
	}
}

// PROTOCOL.md §2 over HTTP. ROB-2: every HTTP error has the body and the
// status/code pair of the table, and a body over 64 KiB is a 413 before it
// is parsed; ROB-1: after refusing, the server keeps serving everyone.
var _ = Describe("Robustness over HTTP (ROB-1, ROB-2)", func() {
	It("ROB-2: malformed JSON and wrong types are 400 bad_request on every POST", Label("ROB-2", "ROB-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for name, path := range postBodies(w) {
			for _, body := range []string{`{`, `{"name":`, `[]`, `"x"`, `42`, `{"name":"a"}{"name":"b"}x`, "\x00\x01"} {
				harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, path, []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST %s %q", name, body)
			}
		}
		for _, body := range []string{`{}`, `{"name":7}`, `{"name":""}`, `{"name":null}`, `{"name":["a"]}`, `{"name":"` + strings.Repeat("n", wcp.MaxNameLen+1) + `"}`} {
			harness.ExpectHTTPError(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathUsers, []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST /users %q", body)
			harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, wcp.PathWorkspaces, []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST /workspaces %q", body)
		}
		for _, body := range []string{`{}`, `{"user_id":7}`, `{"user_id":null}`} {
			harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, wcp.MembersPath(w.WS.ID), []byte(body)), http.StatusBadRequest, wcp.CodeBadRequest, "POST members %q", body)
		}
		// names are counted in characters: 100 two-byte characters are fine
		harness.ExpectStatus(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathUsers, []byte(`{"name":"`+strings.Repeat("é", wcp.MaxNameLen)+`"}`)), http.StatusCreated)
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-2: a body over 64 KiB is 413 payload_too_large before it is parsed", Label("ROB-2", "ROB-1"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		over := wcp.MaxHTTPBody + 1
		malformed := bytes.Repeat([]byte("{"), over) // would be a 400 if it were parsed
		padded := []byte(`{"name":"big"` + strings.Repeat(" ", over-len(`{"name":"big"}`)) + `}`)
		Expect(padded).To(HaveLen(over))
		for name, path := range postBodies(w) {
			harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, path, malformed), http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge, "POST %s, malformed", name)
			harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, path, padded), http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge, "POST %s, valid JSON", name)
		}
		// without a Content-Length, too
		resp := harness.ChunkedPost(ctx, w.URL+wcp.PathUsers, malformed)
		harness.ExpectHTTPError(resp, http.StatusRequestEntityTooLarge, wcp.CodePayloadTooLarge)
		// exactly 64 KiB is not over the limit
		exact := []byte(`{"name":"big"` + strings.Repeat(" ", wcp.MaxHTTPBody-len(`{"name":"big"}`)) + `}`)
		harness.ExpectStatus(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathUsers, exact), http.StatusCreated)
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-1: deeply nested JSON is a 400, not a crash", Label("ROB-1", "ROB-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		const depth = 30000 // 60 KB: under the size limit, over any sane depth limit
		nested := `{"name":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		harness.ExpectHTTPError(w.Call(ctx, w.Anon, http.MethodPost, wcp.PathUsers, []byte(nested)), http.StatusBadRequest, wcp.CodeBadRequest)
		objects := strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)
		harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodPost, wcp.PathWorkspaces, []byte(objects)), http.StatusBadRequest, wcp.CodeBadRequest)
		harness.ExpectServesEndToEnd(ctx)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-2: a bad Authorization header is 401 unauthenticated", Label("ROB-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, h := range []string{"", "Bearer", "Bearer ", "Basic " + w.Owner.User.Token, w.Owner.User.Token, "Bearer " + w.Owner.User.Token + "x", "Bearer x" + w.Owner.User.Token} {
			resp, err := w.Anon.Do(ctx, http.MethodGet, wcp.WorkspacePath(w.WS.ID), nil, http.Header{"Authorization": {h}})
			Expect(err).NotTo(HaveOccurred())
			harness.ExpectHTTPError(resp, http.StatusUnauthorized, wcp.CodeUnauthenticated, "Authorization %q", h)
		}
	}, SpecTimeout(harness.SpecBound))

	It("ROB-2: a wrong method is 405 method_not_allowed and an unknown path 404 not_found", Label("ROB-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, c := range [][2]string{
			{http.MethodGet, wcp.PathUsers},
			{http.MethodPut, wcp.WorkspacePath(w.WS.ID)},
			{http.MethodPatch, wcp.ChatPath(w.Chat.ID)},
			{http.MethodPut, wcp.MessagesPath(w.Chat.ID)},
			{http.MethodGet, wcp.PathChats},
		} {
			harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, c[0], c[1], nil), http.StatusMethodNotAllowed, wcp.CodeMethodNotAllowed, "%s %s", c[0], c[1])
		}
		harness.ExpectHTTPError(w.Call(ctx, w.Owner.API, http.MethodGet, "/no/such/thing", nil), http.StatusNotFound, wcp.CodeNotFound)
	}, SpecTimeout(harness.SpecBound))

	It("ROB-2: out-of-range paging is 400 bad_request", Label("ROB-2"), func(ctx SpecContext) {
		w := harness.NewWorld(ctx)
		for _, q := range []string{"after=-1", "after=x", "after=1.5", "limit=0", "limit=1001", "limit=-5", "limit=x"} {
			harness.ExpectHTTPError(w.Call(ctx, w.Member.API, http.MethodGet, wcp.MessagesPath(w.Chat.ID)+"?"+q, nil), http.StatusBadRequest, wcp.CodeBadRequest, q)
		}
	}, SpecTimeout(harness.SpecBound))
})
