package reference_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// do sends a raw request and returns status and body.
func do(t *testing.T, c *client.Client, method, path, body string) (int, []byte) {
	t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	resp, err := c.Do(ctxT(t), method, path, b, nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.Status, resp.Body
}

// wantError checks status and the JSON error body's code.
func wantError(t *testing.T, status int, body []byte, wantStatus int, code wcp.Code) {
	t.Helper()
	if status != wantStatus {
		t.Fatalf("status %d, want %d (body %s)", status, wantStatus, body)
	}
	var eb wcp.ErrorBody
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil {
		t.Fatalf("body %q is not a JSON error body: %v", body, err)
	}
	if eb.Error.Code != code || eb.Error.Message == "" {
		t.Fatalf("error %+v, want code %s with a message", eb.Error, code)
	}
}

func TestHTTPErrors(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	big := `{"name":"` + strings.Repeat("x", wcp.MaxHTTPBody) + `"}`
	tests := []struct {
		name         string
		c            *client.Client
		method, path string
		body         string
		status       int
		code         wcp.Code
	}{
		{"unknown path", w.owner, "GET", "/nope", "", 404, wcp.CodeNotFound},
		{"root", w.anon, "GET", "/", "", 404, wcp.CodeNotFound},
		{"unclean path", w.owner, "GET", "/chat/../users", "", 404, wcp.CodeNotFound},
		{"trailing slash", w.owner, "GET", "/chat/" + w.chatID + "/", "", 404, wcp.CodeNotFound},
		{"wrong method", w.owner, "PUT", "/chat/" + w.chatID, "", 405, wcp.CodeMethodNotAllowed},
		{"wrong method users", w.anon, "GET", "/users", "", 405, wcp.CodeMethodNotAllowed},
		{"wrong method healthz", w.anon, "POST", "/healthz", "", 405, wcp.CodeMethodNotAllowed},
		{"no token", w.anon, "POST", "/workspaces", `{"name":"x"}`, 401, wcp.CodeUnauthenticated},
		{"bad token", w.anon.WithToken("nope"), "GET", "/chat/" + w.chatID, "", 401, wcp.CodeUnauthenticated},
		{"too large", w.anon, "POST", "/users", big, 413, wcp.CodePayloadTooLarge},
		{"too large authed", w.owner, "POST", "/chat", big, 413, wcp.CodePayloadTooLarge},
		{"malformed json", w.anon, "POST", "/users", `{"name":`, 400, wcp.CodeBadRequest},
		{"trailing json", w.anon, "POST", "/users", `{"name":"a"}{}`, 400, wcp.CodeBadRequest},
		{"not an object", w.anon, "POST", "/users", `["a"]`, 400, wcp.CodeBadRequest},
		{"wrong type", w.anon, "POST", "/users", `{"name":5}`, 400, wcp.CodeBadRequest},
		{"missing name", w.anon, "POST", "/users", `{}`, 400, wcp.CodeBadRequest},
		{"empty name", w.anon, "POST", "/users", `{"name":""}`, 400, wcp.CodeBadRequest},
		{"long name", w.anon, "POST", "/users", `{"name":"` + strings.Repeat("é", 101) + `"}`, 400, wcp.CodeBadRequest},
		{"long title", w.owner, "POST", "/chat", `{"workspace_id":"` + w.wsID + `","title":"` + strings.Repeat("a", 201) + `"}`, 400, wcp.CodeBadRequest},
		{"ttl zero", w.member, "POST", "/chat/" + w.chatID + "/connection-string", `{"ttl_seconds":0}`, 400, wcp.CodeBadRequest},
		{"ttl big", w.member, "POST", "/chat/" + w.chatID + "/connection-string", `{"ttl_seconds":3601}`, 400, wcp.CodeBadRequest},
		{"ttl fraction", w.member, "POST", "/chat/" + w.chatID + "/connection-string", `{"ttl_seconds":1.5}`, 400, wcp.CodeBadRequest},
		{"ttl string", w.member, "POST", "/chat/" + w.chatID + "/connection-string", `{"ttl_seconds":"60"}`, 400, wcp.CodeBadRequest},
		{"after negative", w.member, "GET", "/chat/" + w.chatID + "/messages?after=-1", "", 400, wcp.CodeBadRequest},
		{"after text", w.member, "GET", "/chat/" + w.chatID + "/messages?after=x", "", 400, wcp.CodeBadRequest},
		{"limit zero", w.member, "GET", "/chat/" + w.chatID + "/messages?limit=0", "", 400, wcp.CodeBadRequest},
		{"limit big", w.member, "GET", "/chat/" + w.chatID + "/messages?limit=1001", "", 400, wcp.CodeBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := do(t, tt.c, tt.method, tt.path, tt.body)
			wantError(t, status, body, tt.status, tt.code)
		})
	}
}

func TestHTTPSuccessShapes(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)

	status, body := do(t, w.anon, "GET", "/healthz", "")
	if status != 200 || !bytes.Equal(bytes.TrimSpace(body), []byte(`{"status":"ok"}`)) {
		t.Fatalf("healthz: %d %s", status, body)
	}
	// A fresh workspace lists "members": [] rather than omitting it.
	ws, err := w.outsider.CreateWorkspace(ctx, "mine")
	if err != nil {
		t.Fatal(err)
	}
	status, body = do(t, w.outsider, "GET", "/workspaces/"+ws.ID, "")
	if status != 200 || !bytes.Contains(body, []byte(`"members":[]`)) {
		t.Fatalf("empty workspace: %d %s", status, body)
	}
	status, body = do(t, w.outsider, "GET", "/workspaces/"+ws.ID+"/chats", "")
	if status != 200 || !bytes.Contains(body, []byte(`"chats":[]`)) {
		t.Fatalf("empty chat list: %d %s", status, body)
	}
	status, body = do(t, w.member, "GET", "/chat/"+w.chatID+"/messages?after=7", "")
	if status != 200 || !bytes.Contains(body, []byte(`"messages":[]`)) || !bytes.Contains(body, []byte(`"next_after":7`)) {
		t.Fatalf("empty page: %d %s", status, body)
	}
	got, err := w.member.GetWorkspace(ctx, w.wsID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Members) != 1 || got.Members[0] != w.memberID || got.OwnerID != w.ownerID {
		t.Fatalf("workspace %+v", got)
	}
	cs, err := w.member.ConnectionString(ctx, w.chatID, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := wcp.FormatTime(srv.clock.Now().Add(wcp.DefaultTTL * 1e9))
	if cs.ExpiresAt != want || len(cs.ConnectionString) > wcp.MaxConnStringLen {
		t.Fatalf("connection string %+v, want expires_at %s", cs, want)
	}
	status, _ = do(t, w.member, "POST", "/chat/"+w.chatID+"/connection-string", "")
	if status != http.StatusCreated {
		t.Fatalf("empty body for connection-string: %d", status)
	}
	for _, id := range []string{got.ID, w.chatID, w.ownerID} {
		if !wcp.ValidID(id) || len(id) < 18 {
			t.Fatalf("ID %q is not a long protocol ID", id)
		}
	}
}

// TestOwnership walks the OWN rules: who may do what, and in which order the
// refusals come.
func TestOwnership(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	chat := "/chat/" + w.chatID
	ws := "/workspaces/" + w.wsID
	create := `{"workspace_id":"` + w.wsID + `","title":"t"}`
	tests := []struct {
		name         string
		c            *client.Client
		method, path string
		body         string
		status       int
	}{
		// OWN-1 order: token, body, workspace, owner.
		{"create no token", w.anon, "POST", "/chat", `{`, 401},
		{"create bad body", w.outsider, "POST", "/chat", `{"workspace_id":"w_missing"}`, 400},
		{"create missing ws", w.outsider, "POST", "/chat", `{"workspace_id":"w_missing","title":"t"}`, 404},
		{"create by outsider", w.outsider, "POST", "/chat", create, 403},
		// OWN-2: members read and get strings, nothing else.
		{"create by member", w.member, "POST", "/chat", create, 403},
		{"member reads chat", w.member, "GET", chat, "", 200},
		{"member lists chats", w.member, "GET", ws + "/chats", "", 200},
		{"member reads workspace", w.member, "GET", ws, "", 200},
		{"member gets string", w.member, "POST", chat + "/connection-string", `{}`, 201},
		{"member reads messages", w.member, "GET", chat + "/messages", "", 200},
		{"member deletes chat", w.member, "DELETE", chat, "", 403},
		{"member deletes ws", w.member, "DELETE", ws, "", 403},
		{"member adds member", w.member, "POST", ws + "/members", `{"user_id":"` + w.outsiderID + `"}`, 403},
		{"member removes member", w.member, "DELETE", ws + "/members/" + w.memberID, "", 403},
		// OWN-3: outsiders get 403 on what exists, 404 on what does not.
		{"outsider reads chat", w.outsider, "GET", chat, "", 403},
		{"outsider reads ws", w.outsider, "GET", ws, "", 403},
		{"outsider lists chats", w.outsider, "GET", ws + "/chats", "", 403},
		{"outsider gets string", w.outsider, "POST", chat + "/connection-string", `{}`, 403},
		{"outsider reads messages", w.outsider, "GET", chat + "/messages", "", 403},
		{"outsider deletes chat", w.outsider, "DELETE", chat, "", 403},
		{"outsider reads missing chat", w.outsider, "GET", "/chat/c_missing", "", 404},
		{"outsider reads missing ws", w.outsider, "GET", "/workspaces/w_missing", "", 404},
		// OWN-4.
		{"owner removes owner", w.owner, "DELETE", ws + "/members/" + w.ownerID, "", 400},
		{"owner removes non-member", w.owner, "DELETE", ws + "/members/" + w.outsiderID, "", 204},
		{"owner adds missing user", w.owner, "POST", ws + "/members", `{"user_id":"u_missing"}`, 404},
	}
	for _, tt := range tests {
		status, body := do(t, tt.c, tt.method, tt.path, tt.body)
		if status != tt.status {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, status, tt.status, body)
		}
	}
	// A refused create made nothing.
	chats, err := w.owner.ListChats(ctxT(t), w.wsID)
	if err != nil || len(chats) != 1 {
		t.Fatalf("chats after refused creates: %v, %v", chats, err)
	}
	// OWN-5: deleted answers 404 to everyone.
	if status, _ := do(t, w.owner, "DELETE", chat, ""); status != 204 {
		t.Fatalf("delete chat: %d", status)
	}
	for _, c := range []*client.Client{w.owner, w.member, w.outsider} {
		if status, _ := do(t, c, "GET", chat, ""); status != 404 {
			t.Errorf("deleted chat: %d, want 404", status)
		}
	}
	if status, _ := do(t, w.owner, "DELETE", ws, ""); status != 204 {
		t.Fatalf("delete ws: %d", status)
	}
	for _, c := range []*client.Client{w.owner, w.member, w.outsider} {
		if status, _ := do(t, c, "GET", ws, ""); status != 404 {
			t.Errorf("deleted ws: %d, want 404", status)
		}
	}
}
