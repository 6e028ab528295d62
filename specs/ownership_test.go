package specs

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// endpoint is one authenticated call of section 3, with what each role
// may do about an existing workspace and chat.
type endpoint struct {
	name   string // as in the protocol's table
	method string
	path   func(w *world, o *ownWorld) string
	body   func(w *world, o *ownWorld) any // nil: no body
	// Success status for the owner, and what a member and an outsider get.
	owner, member, outsider int
	about                   string // "workspace", "chat" or "" (no resource)
}

// ownWorld adds to a world the users that the members calls name: other is
// already a member (DELETE removes them), newcomer is not (POST adds them).
type ownWorld struct {
	other, newcomer actor
}

func esc(s string) string { return url.PathEscape(s) }

// endpoints lists every call that needs a token.
func endpoints() []endpoint {
	wsPath := func(suffix string) func(*world, *ownWorld) string {
		return func(w *world, _ *ownWorld) string { return "/workspaces/" + esc(w.ws.ID) + suffix }
	}
	chatPath := func(suffix string) func(*world, *ownWorld) string {
		return func(w *world, _ *ownWorld) string { return "/chat/" + esc(w.chat.ID) + suffix }
	}
	const ok, created, noContent, forbidden = http.StatusOK, http.StatusCreated, http.StatusNoContent, http.StatusForbidden
	return []endpoint{
		{name: "POST /workspaces", method: http.MethodPost,
			path:  func(*world, *ownWorld) string { return "/workspaces" },
			body:  func(*world, *ownWorld) any { return map[string]any{"name": "another"} },
			owner: created, member: created, outsider: created},
		{name: "GET /workspaces/{id}", method: http.MethodGet, path: wsPath(""),
			owner: ok, member: ok, outsider: forbidden, about: "workspace"},
		{name: "DELETE /workspaces/{id}", method: http.MethodDelete, path: wsPath(""),
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "POST /workspaces/{id}/members", method: http.MethodPost, path: wsPath("/members"),
			body:  func(_ *world, o *ownWorld) any { return map[string]any{"user_id": o.newcomer.User.ID} },
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "DELETE /workspaces/{id}/members/{user_id}", method: http.MethodDelete,
			path: func(w *world, o *ownWorld) string {
				return "/workspaces/" + esc(w.ws.ID) + "/members/" + esc(o.other.User.ID)
			},
			owner: noContent, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "GET /workspaces/{id}/chats", method: http.MethodGet, path: wsPath("/chats"),
			owner: ok, member: ok, outsider: forbidden, about: "workspace"},
		{name: "POST /chat", method: http.MethodPost,
			path:  func(*world, *ownWorld) string { return "/chat" },
			body:  func(w *world, _ *ownWorld) any { return map[string]any{"workspace_id": w.ws.ID, "title": "new"} },
			owner: created, member: forbidden, outsider: forbidden, about: "workspace"},
		{name: "GET /chat/{id}", method: http.MethodGet, path: chatPath(""),
			owner: ok, member: ok, outsider: forbidden, about: "chat"},
		{name: "DELETE /chat/{id}", method: http.MethodDelete, path: chatPath(""),
			owner: noContent, member: forbidden, outsider: forbidden, about: "chat"},
		{name: "POST /chat/{id}/connection-string", method: http.MethodPost, path: chatPath("/connection-string"),
			body:  func(*world, *ownWorld) any { return map[string]any{"ttl_seconds": 60} },
			owner: created, member: created, outsider: forbidden, about: "chat"},
		{name: "GET /chat/{id}/messages", method: http.MethodGet, path: chatPath("/messages"),
			owner: ok, member: ok, outsider: forbidden, about: "chat"},
	}
}

// roles are the callers of the matrix.
var roles = []string{"owner", "member", "outsider", "no token", "bad token"}

func newOwnWorld() (*world, *ownWorld) {
	GinkgoHelper()
	w := newWorld()
	o := &ownWorld{other: w.newUser("other"), newcomer: w.newUser("newcomer")}
	Expect(w.owner.API.AddMember(w.ctx, w.ws.ID, o.other.User.ID)).To(Succeed())
	return w, o
}

func (w *world) as(role string) *client.Client {
	switch role {
	case "owner":
		return w.owner.API
	case "member":
		return w.member.API
	case "outsider":
		return w.outsider.API
	case "bad token":
		return w.badToken()
	}
	return w.anon
}

func (e endpoint) request(w *world, o *ownWorld, c *client.Client) *client.Response {
	GinkgoHelper()
	var body []byte
	if e.body != nil {
		var err error
		body, err = json.Marshal(e.body(w, o))
		Expect(err).NotTo(HaveOccurred())
	}
	return w.call(c, e.method, e.path(w, o), body)
}

// matrixEntries generates one entry per endpoint and caller, labelled with
// the rule that decides the answer.
func matrixEntries() []TableEntry {
	var entries []TableEntry
	for _, e := range endpoints() {
		for _, role := range roles {
			var want int
			var code wcp.Code
			var rules []string
			switch role {
			case "owner":
				want, rules = e.owner, []string{"OWN-2"}
			case "member":
				want, rules = e.member, []string{"OWN-2"}
			case "outsider":
				want, rules = e.outsider, []string{"OWN-3"}
			default:
				want, code, rules = http.StatusUnauthorized, wcp.CodeUnauthenticated, []string{"ROB-2"}
			}
			if want == http.StatusForbidden {
				code = wcp.CodeForbidden
			}
			if e.name == "POST /chat" {
				rules = append([]string{"OWN-1"}, rules...)
			}
			verdict := fmt.Sprintf("%d", want)
			if code != "" {
				verdict += " " + string(code)
			}
			title := fmt.Sprintf("%s: %s → %s for %s", joinRules(rules), e.name, verdict, who(role))
			entries = append(entries, Entry(title, Label(rules...), e, role, want, code))
		}
	}
	return entries
}

// who names a role in a spec title.
func who(role string) string {
	switch role {
	case "no token":
		return "a caller without a token"
	case "bad token":
		return "a caller with an unknown token"
	case "outsider":
		return "an outsider"
	}
	return "the " + role
}

func joinRules(rules []string) string {
	s := rules[0]
	for _, r := range rules[1:] {
		s += "/" + r
	}
	return s
}

var _ = Describe("Ownership matrix: every call × owner, member, outsider, no token, bad token", func() {
	DescribeTable("answers each caller as section 3 says",
		func(e endpoint, role string, want int, code wcp.Code) {
			w, o := newOwnWorld()
			resp := e.request(w, o, w.as(role))
			if code != "" {
				expectHTTPError(resp, want, code)
			} else {
				expectStatus(resp, want)
			}
		},
		matrixEntries(),
	)
})

// missingEntries: every call about a workspace or chat that does not exist
// answers 404, to a user with rights elsewhere and to one without any.
func missingEntries() []TableEntry {
	var entries []TableEntry
	for _, e := range endpoints() {
		if e.about == "" {
			continue
		}
		for _, role := range []string{"owner", "outsider"} {
			title := fmt.Sprintf("OWN-3: %s about a missing %s → 404 not_found for %s", e.name, e.about, who(role))
			entries = append(entries, Entry(title, Label("OWN-3"), e, role))
		}
	}
	return entries
}

var _ = Describe("Missing resources", func() {
	DescribeTable("answer 404",
		func(e endpoint, role string) {
			w, o := newOwnWorld()
			// IDs that are well-formed but were never issued.
			w.ws.ID = "nows" + uniqueID()
			w.chat.ID = "nochat" + uniqueID()
			expectHTTPError(e.request(w, o, w.as(role)), http.StatusNotFound, wcp.CodeNotFound)
		},
		missingEntries(),
	)
})
