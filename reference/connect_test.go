package reference_test

import (
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// connect opens a session for c on chatID, closed when the test ends.
func connect(t testing.TB, srv *testServer, c *client.Client, chatID string, after *int64) *client.Session {
	t.Helper()
	ss, err := tryConnect(t, srv, c, chatID, after)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	return ss
}

func tryConnect(t testing.TB, srv *testServer, c *client.Client, chatID string, after *int64) (*client.Session, error) {
	t.Helper()
	ctx := ctxT(t)
	cs, err := c.ConnectionString(ctx, chatID, 0)
	if err != nil {
		t.Fatalf("connection string: %v", err)
	}
	return dial(t, srv, wcp.Auth{ChatID: chatID, ConnectionString: cs.ConnectionString, After: after})
}

// dial connects with auth, closing the session when the test ends.
func dial(t testing.TB, srv *testServer, auth wcp.Auth) (*client.Session, error) {
	t.Helper()
	m := map[string]any{"chat_id": auth.ChatID, "connection_string": auth.ConnectionString}
	if auth.After != nil {
		m["after"] = *auth.After
	}
	return dialAuth(t, srv, m)
}

// dialAuth is dial with a raw auth object.
func dialAuth(t testing.TB, srv *testServer, auth map[string]any) (*client.Session, error) {
	t.Helper()
	ss, err := client.ConnectAuth(ctxT(t), srv.URL(), auth, nil)
	if err != nil {
		return nil, err
	}
	t.Cleanup(ss.Close)
	return ss, nil
}

func TestConnectSession(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	a := connect(t, srv, w.member, w.chatID, nil)
	b := connect(t, srv, w.member, w.chatID, nil)
	if a.FirstEvent() != wcp.EventSession {
		t.Fatalf("first event %q", a.FirstEvent())
	}
	ia, ib := a.Info(), b.Info()
	if ia.ChatID != w.chatID || ia.UserID != w.memberID || !wcp.ValidID(ia.SessionID) {
		t.Fatalf("session %+v", ia)
	}
	if _, err := wcp.DecodeKey(ia.MessageKey); err != nil {
		t.Fatal(err)
	}
	if ia.MessageKey == ib.MessageKey || ia.SessionID == ib.SessionID {
		t.Fatal("two sessions share a key or an ID")
	}
}

func TestConnectRefusals(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)
	other, err := w.owner.CreateChat(ctx, w.wsID, "other")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := w.member.ConnectionString(ctx, w.chatID, 60)
	if err != nil {
		t.Fatal(err)
	}
	good := cs.ConnectionString
	tampered := []byte(good)
	tampered[len(tampered)/2] ^= 1
	tests := []struct {
		name string
		auth map[string]any
		code wcp.Code
	}{
		{"no chat_id", map[string]any{"connection_string": good}, wcp.CodeBadRequest},
		{"chat_id number", map[string]any{"chat_id": 5, "connection_string": good}, wcp.CodeBadRequest},
		{"no string", map[string]any{"chat_id": w.chatID}, wcp.CodeBadRequest},
		{"after negative", map[string]any{"chat_id": w.chatID, "connection_string": good, "after": -1}, wcp.CodeBadRequest},
		{"after fraction", map[string]any{"chat_id": w.chatID, "connection_string": good, "after": 1.5}, wcp.CodeBadRequest},
		{"after string", map[string]any{"chat_id": w.chatID, "connection_string": good, "after": "3"}, wcp.CodeBadRequest},
		{"after huge", map[string]any{"chat_id": w.chatID, "connection_string": good, "after": 1e300}, wcp.CodeBadRequest},
		{"bad before everything", map[string]any{"chat_id": other.ID, "connection_string": "garbage", "after": -1}, wcp.CodeBadRequest},
		{"garbage", map[string]any{"chat_id": w.chatID, "connection_string": "garbage"}, wcp.CodeInvalidConnectionString},
		{"tampered", map[string]any{"chat_id": w.chatID, "connection_string": string(tampered)}, wcp.CodeInvalidConnectionString},
		{"tampered other chat", map[string]any{"chat_id": other.ID, "connection_string": string(tampered)}, wcp.CodeInvalidConnectionString},
		{"other chat", map[string]any{"chat_id": other.ID, "connection_string": good}, wcp.CodeChatMismatch},
	}
	for _, tt := range tests {
		_, err := dialAuth(t, srv, tt.auth)
		if got := wcp.ErrorCode(err); got != tt.code {
			t.Errorf("%s: got %v, want %s", tt.name, err, tt.code)
		}
	}

	// Expiry is checked after authenticity and binding, at or after expires_at.
	srv.clock.Add(60*time.Second - time.Millisecond)
	if _, err := dialAuth(t, srv, map[string]any{"chat_id": w.chatID, "connection_string": good}); err != nil {
		t.Fatalf("1 ms before expiry: %v", err)
	}
	srv.clock.Add(time.Millisecond)
	for _, tt := range []struct {
		chat, cs string
		code     wcp.Code
	}{
		{w.chatID, good, wcp.CodeConnectionStringExpired},
		{w.chatID, string(tampered), wcp.CodeInvalidConnectionString},
		{other.ID, good, wcp.CodeChatMismatch},
	} {
		_, err := dialAuth(t, srv, map[string]any{"chat_id": tt.chat, "connection_string": tt.cs})
		if got := wcp.ErrorCode(err); got != tt.code {
			t.Errorf("expired string: got %v, want %s", err, tt.code)
		}
	}

	// Access that ended after the string was issued.
	cs2, _ := w.member.ConnectionString(ctx, other.ID, 60)
	cs3, _ := w.member.ConnectionString(ctx, w.chatID, 60)
	if err := w.owner.DeleteChat(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	_, err = dialAuth(t, srv, map[string]any{"chat_id": other.ID, "connection_string": cs2.ConnectionString})
	if wcp.ErrorCode(err) != wcp.CodeChatNotFound {
		t.Errorf("deleted chat: %v", err)
	}
	if err := w.owner.RemoveMember(ctx, w.wsID, w.memberID); err != nil {
		t.Fatal(err)
	}
	_, err = dialAuth(t, srv, map[string]any{"chat_id": w.chatID, "connection_string": cs3.ConnectionString})
	if wcp.ErrorCode(err) != wcp.CodeForbidden {
		t.Errorf("removed member: %v", err)
	}
}
