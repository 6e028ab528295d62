package specs

import (
	"context"
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/specs/harness"
)

// The calls of PROTOCOL.md §3 as data: the table the ownership matrix
// (OWN-2, OWN-3) and the histories walk through.

// endpoint is one authenticated call of PROTOCOL.md §3, with what each role
// may do about an existing workspace and chat.
type endpoint struct {
	name   string // as in the protocol's table
	method string
	path   func(w *harness.World, o *ownWorld) string
	body   func(w *harness.World, o *ownWorld) any // nil: no body
	// Success status for the owner, and what a member and an outsider get.
	owner, member, outsider int
	about                   string // "workspace", "chat" or "" (no resource)
}

// ownWorld adds to a world the users that the members calls name: other is
// already a member (DELETE removes them), newcomer is not (POST adds them).
type ownWorld struct {
	other, newcomer harness.Actor
}

// endpoints lists every call that needs a token.
func endpoints() []endpoint {
	ws := func(path func(string) string) func(*harness.World, *ownWorld) string {
		return func(w *harness.World, _ *ownWorld) string { return path(w.WS.ID) }
	}
	chat := func(path func(string) string) func(*harness.World, *ownWorld) string {
		return func(w *harness.World, _ *ownWorld) string { return path(w.Chat.ID) }
	}
	const ok, created, noContent, forbidden = http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusForbidden
	return []endpoint{
		{name: "POST /workspaces", method: http.MethodPost,
			path:  func(*harness.World, *ownWorld) string { return wcp.PathWorkspaces },
			body:  func(*harness.World, *ownWorld) any { return map[string]any{"name": "another"} },
			owner: created, member: created, outsider: created},
		{name: "GET /workspaces/{id}", method: http.MethodGet, path: ws(wcp.WorkspacePath),
			owner: ok, member: ok, outsider: forbidden, about: "workspace"},
		{name: "DELETE /workspaces/{id}", method: http.MethodDelete, path: ws(wcp.WorkspacePath),
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "POST /workspaces/{id}/members", method: http.MethodPost, path: ws(wcp.MembersPath),
			body:  func(_ *harness.World, o *ownWorld) any { return map[string]any{"user_id": o.newcomer.User.ID} },
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "DELETE /workspaces/{id}/members/{user_id}", method: http.MethodDelete,
			path: func(w *harness.World, o *ownWorld) string {
				return wcp.MemberPath(w.WS.ID, o.other.User.ID)
			},
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "GET /workspaces/{id}/chats", method: http.MethodGet, path: ws(wcp.WorkspaceChatsPath),
			owner: ok, member: ok, outsider: forbidden, about: "workspace"},
		{name: "POST /chat", method: http.MethodPost,
			path: func(*harness.World, *ownWorld) string { return wcp.PathChats },
			body: func(w *harness.World, _ *ownWorld) any {
				return map[string]any{"workspace_id": w.WS.ID, "title": "new"}
			},
			owner: created, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "GET /chat/{id}", method: http.MethodGet, path: chat(wcp.ChatPath),
			owner: ok, member: ok, outsider: forbidden, about: "chat"},
		{name: "DELETE /chat/{id}", method: http.MethodDelete, path: chat(wcp.ChatPath),
			owner: noContent, member: forbidden, outsider: forbidden, about: "chat"},
		{name: "POST /chat/{id}/connection-string", method: http.MethodPost, path: chat(wcp.ConnectionStringPath),
			body:  func(*harness.World, *ownWorld) any { return map[string]any{"ttl_seconds": 60} },
			owner: created, member: created, outsider: forbidden, about: "chat"},
		{name: "GET /chat/{id}/messages", method: http.MethodGet, path: chat(wcp.MessagesPath),
			owner: ok, member: ok, outsider: forbidden, about: "chat"},
	}
}

// roles are the callers of the matrix.
var roles = []string{"owner", "member", "outsider", "no token", "bad token"}

// newOwnWorld builds a world with the two extra users of ownWorld.
func newOwnWorld(ctx context.Context) (*harness.World, *ownWorld) {
	GinkgoHelper()
	w := harness.NewWorld(ctx)
	o := &ownWorld{other: w.NewUser(ctx, "other"), newcomer: w.NewUser(ctx, "newcomer")}
	Expect(w.Owner.API.AddMember(ctx, w.WS.ID, o.other.User.ID)).To(Succeed())
	return w, o
}

// as is the client of a role of the matrix.
func as(w *harness.World, role string) *client.Client {
	switch role {
	case "owner":
		return w.Owner.API
	case "member":
		return w.Member.API
	case "outsider":
		return w.Outsider.API
	case "bad token":
		return w.BadToken()
	}
	return w.Anon
}

// request makes the call as c and returns the answer, whatever its status.
func (e endpoint) request(ctx context.Context, w *harness.World, o *ownWorld, c *client.Client) *client.Response {
	GinkgoHelper()
	var body []byte
	if e.body != nil {
		var err error
		body, err = json.Marshal(e.body(w, o))
		Expect(err).NotTo(HaveOccurred())
	}
	return w.Call(ctx, c, e.method, e.path(w, o), body)
}
