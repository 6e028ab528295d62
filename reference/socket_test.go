package reference_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
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

// dial connects with auth, closing the session when the test ends. Under
// -race with many servers in parallel, the Go Socket.IO client now and then
// loses its handshake before the server ever sees a CONNECT (the server logs
// no connect check for it); such a dial, and only such, is tried once more.
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
	if err != nil && wcp.ErrorCode(err) == "" && (strings.Contains(err.Error(), "no answer") || strings.Contains(err.Error(), "did not open")) {
		t.Logf("connect got no answer, retrying once: %v", err)
		ss, err = client.ConnectAuth(ctxT(t), srv.URL(), auth, nil)
	}
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

func TestMessages(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)
	a := connect(t, srv, w.member, w.chatID, nil)
	b := connect(t, srv, w.owner, w.chatID, nil)

	ack, err := a.Send(ctx, "héllo")
	if err != nil || !ack.OK || ack.Seq != 1 || !wcp.ValidID(ack.ID) {
		t.Fatalf("ack %+v, %v", ack, err)
	}
	for _, s := range []*client.Session{a, b} {
		got, err := s.WaitMessages(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		m := got[0]
		if m.ID != ack.ID || m.Seq != 1 || m.Body != "héllo" || m.UserID != w.memberID || m.ChatID != w.chatID || m.SentAt != wcp.FormatTime(srv.clock.Now()) {
			t.Fatalf("delivered %+v", m)
		}
	}

	info := a.Info()
	sign := func(chat string, nonce int64, body string) string { return a.Sign(chat, nonce, body) }
	msg := func(chat string, nonce int64, body, ms string) map[string]any {
		return map[string]any{"chat_id": chat, "nonce": nonce, "body": body, "message_string": ms}
	}
	long := strings.Repeat("x", wcp.MaxBodyBytes+1)
	refusals := []struct {
		name    string
		payload any
		code    wcp.Code
	}{
		{"not an object", "hello", wcp.CodeBadRequest},
		{"array", []any{1, 2}, wcp.CodeBadRequest},
		{"no chat", map[string]any{"nonce": 5, "body": "b", "message_string": sign(info.ChatID, 5, "b")}, wcp.CodeBadRequest},
		{"nonce zero", msg(info.ChatID, 0, "b", sign(info.ChatID, 0, "b")), wcp.CodeBadRequest},
		{"nonce fraction", map[string]any{"chat_id": info.ChatID, "nonce": 5.5, "body": "b", "message_string": "x"}, wcp.CodeBadRequest},
		{"nonce too big", map[string]any{"chat_id": info.ChatID, "nonce": 9007199254740992.0, "body": "b", "message_string": "x"}, wcp.CodeBadRequest},
		{"nonce string", map[string]any{"chat_id": info.ChatID, "nonce": "5", "body": "b", "message_string": "x"}, wcp.CodeBadRequest},
		{"empty body", msg(info.ChatID, 5, "", sign(info.ChatID, 5, "")), wcp.CodeBadRequest},
		{"body too long", msg(info.ChatID, 5, long, sign(info.ChatID, 5, long)), wcp.CodePayloadTooLarge},
		{"too long and wrong chat", msg("c_other", 5, long, "x"), wcp.CodePayloadTooLarge},
		{"wrong chat", msg("c_other", 5, "b", sign("c_other", 5, "b")), wcp.CodeWrongChat},
		{"bad string", msg(info.ChatID, 5, "b", sign(info.ChatID, 5, "c")), wcp.CodeInvalidMessageString},
		{"upper hex", msg(info.ChatID, 5, "b", strings.ToUpper(sign(info.ChatID, 5, "b"))), wcp.CodeInvalidMessageString},
		{"replay and bad string", msg(info.ChatID, 1, "b", sign(info.ChatID, 2, "b")), wcp.CodeInvalidMessageString},
		{"replayed", msg(info.ChatID, 1, "b", sign(info.ChatID, 1, "b")), wcp.CodeReplayedMessage},
	}
	for _, r := range refusals {
		raw, err := a.Emit(ctx, wcp.EventMessage, r.payload)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		if len(raw) != 1 {
			t.Fatalf("%s: ack args %v", r.name, raw)
		}
		ack, _ := raw[0].(map[string]any)
		e, _ := ack["error"].(map[string]any)
		if ack["ok"] != false || e["code"] != string(r.code) || e["message"] == "" {
			t.Errorf("%s: ack %v, want %s", r.name, raw[0], r.code)
		}
	}
	// No ack asked: refused silently, nothing stored.
	if err := a.EmitNoAck(wcp.EventMessage, msg(info.ChatID, 9, "b", "bad")); err != nil {
		t.Fatal(err)
	}
	// The session is still open, its next valid message accepted with seq 2,
	// nonces may skip.
	m := msg(info.ChatID, 100, "again", sign(info.ChatID, 100, "again"))
	raw, err := a.Emit(ctx, wcp.EventMessage, m)
	if err != nil {
		t.Fatal(err)
	}
	if ack, _ := raw[0].(map[string]any); ack["ok"] != true || ack["seq"] != 2.0 {
		t.Fatalf("after refusals: %v", raw)
	}
	// A nonce equal to an accepted one is a replay even with a good string.
	raw, _ = a.Emit(ctx, wcp.EventMessage, m)
	if ack, _ := raw[0].(map[string]any); ack["ok"] != false {
		t.Fatalf("replay accepted: %v", raw)
	}
	got, err := b.WaitMessages(ctx, 2)
	if err != nil || len(got) != 2 || got[1].Body != "again" {
		t.Fatalf("b got %+v, %v", got, err)
	}
	page, err := w.owner.Messages(ctx, w.chatID, 0, 100)
	if err != nil || len(page.Messages) != 2 || page.NextAfter != 2 {
		t.Fatalf("stored %+v, %v", page, err)
	}
	// MSG-4: the key of one session means nothing in another.
	c := connect(t, srv, w.member, w.chatID, nil)
	old := msg(info.ChatID, 200, "x", sign(info.ChatID, 200, "x"))
	raw, _ = c.Emit(ctx, wcp.EventMessage, old)
	if ack, _ := raw[0].(map[string]any); ack["ok"] != false {
		t.Fatalf("old key accepted in a new session: %v", raw)
	}
}

// TestConcurrentSenders: seqs 1..N without gaps, the same order everywhere,
// each message once.
func TestConcurrentSenders(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)
	const senders, each = 6, 30
	watch := connect(t, srv, w.owner, w.chatID, nil)
	var wg sync.WaitGroup
	var sessions []*client.Session
	for range senders {
		sessions = append(sessions, connect(t, srv, w.member, w.chatID, nil))
	}
	for i, s := range sessions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if ack, err := s.Send(ctx, fmt.Sprintf("%d-%d", i, j)); err != nil || !ack.OK {
					t.Errorf("send: %+v %v", ack, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	want, err := watch.WaitMessages(ctx, senders*each)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range want {
		if m.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, m.Seq)
		}
	}
	for _, s := range sessions {
		got, err := s.WaitMessages(ctx, senders*each)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("got %d messages, want %d", len(got), len(want))
		}
		for i := range got {
			if got[i].ID != want[i].ID {
				t.Fatalf("order differs at %d", i)
			}
		}
	}
}

// TestReplaySeam connects with `after` while others send: the session must
// see every message after `after` exactly once, in order (CON-2).
func TestReplaySeam(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)
	sender := connect(t, srv, w.owner, w.chatID, nil)
	for i := range 50 {
		if _, err := sender.Send(ctx, fmt.Sprint("pre", i)); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var sent sync.WaitGroup
	sent.Add(1)
	var total int64 = 50
	var mu sync.Mutex
	go func() {
		defer sent.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			ack, err := sender.Send(ctx, fmt.Sprint("live", i))
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			total = ack.Seq
			mu.Unlock()
		}
	}()
	var readers []*client.Session
	afters := []int64{0, 10, 49}
	for _, a := range afters {
		readers = append(readers, connect(t, srv, w.member, w.chatID, &a))
	}
	time.Sleep(100 * time.Millisecond)
	close(stop)
	sent.Wait()
	for i, r := range readers {
		got, err := r.WaitMessages(ctx, int(total-afters[i]))
		if err != nil {
			t.Fatal(err)
		}
		for j, m := range got {
			if m.Seq != afters[i]+int64(j)+1 {
				var seqs []int64
				for _, m := range got {
					seqs = append(seqs, m.Seq)
				}
				t.Fatalf("reader after=%d: message %d has seq %d: %v", afters[i], j, m.Seq, seqs)
			}
		}
		time.Sleep(50 * time.Millisecond)
		if n := len(r.Received()); int64(n) != total-afters[i] {
			t.Fatalf("reader after=%d got %d messages, want %d", afters[i], n, total-afters[i])
		}
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	srv := start(t)
	w := newWorld(t, srv)
	ctx := ctxT(t)
	other, _ := w.owner.CreateChat(ctx, w.wsID, "other")
	m1 := connect(t, srv, w.member, w.chatID, nil)
	m2 := connect(t, srv, w.member, other.ID, nil)
	o1 := connect(t, srv, w.owner, w.chatID, nil)
	o2 := connect(t, srv, w.owner, other.ID, nil)

	waitRevoked := func(s *client.Session, code wcp.Code) {
		t.Helper()
		select {
		case <-s.Done():
		case <-time.After(wcp.RevokeWithin):
			t.Fatalf("session not ended within %v", wcp.RevokeWithin)
		}
		if r := s.RevokedEvents(); len(r) != 1 || r[0].Code != code {
			t.Fatalf("revoked events %+v, want %s", r, code)
		}
	}
	if err := w.owner.RemoveMember(ctx, w.wsID, w.memberID); err != nil {
		t.Fatal(err)
	}
	waitRevoked(m1, wcp.CodeForbidden)
	waitRevoked(m2, wcp.CodeForbidden)
	if o1.Closed() || o2.Closed() {
		t.Fatal("owner sessions ended")
	}
	if err := w.owner.DeleteChat(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	waitRevoked(o2, wcp.CodeChatNotFound)
	if o1.Closed() {
		t.Fatal("session of another chat ended")
	}
	if err := w.owner.DeleteWorkspace(ctx, w.wsID); err != nil {
		t.Fatal(err)
	}
	waitRevoked(o1, wcp.CodeChatNotFound)
}

// TestRestartKeepsMessages: acknowledged messages and connection strings
// survive a restart on the same database file (MSG-3).
func TestRestartKeepsMessages(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "wcp.db")
	srv := start(t, withDB(path))
	w := newWorld(t, srv)
	ctx := ctxT(t)
	s := connect(t, srv, w.member, w.chatID, nil)
	for i := range 5 {
		if _, err := s.Send(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	cs, _ := w.member.ConnectionString(ctx, w.chatID, 600)
	s.Close()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	srv2 := start(t, withDB(path))
	after := int64(2)
	s2, err := dial(t, srv2, wcp.Auth{ChatID: w.chatID, ConnectionString: cs.ConnectionString, After: &after})
	if err != nil {
		t.Fatalf("connection string after restart: %v", err)
	}
	got, err := s2.WaitMessages(ctx, 3)
	if err != nil || got[0].Seq != 3 {
		t.Fatalf("replay after restart: %+v %v", got, err)
	}
	ack, err := s2.Send(ctx, "next")
	if err != nil || ack.Seq != 6 {
		t.Fatalf("seq after restart: %+v %v", ack, err)
	}
}

var _ = errors.New
var _ context.Context
