package reference_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

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
