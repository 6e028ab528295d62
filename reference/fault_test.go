package reference_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/internal/fault"
)

// faultChecks shows, for every fault in the catalogue, that a server started
// with it really breaks its rule. Each check passes only against the faulty
// server.
var faultChecks = map[fault.Fault]func(t *testing.T, srv *testServer, w *world){
	fault.OwnerCheckSkipped: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.member, "POST", "/chat", `{"workspace_id":"`+w.wsID+`","title":"t"}`); s != 201 {
			t.Errorf("status %d", s)
		}
	},
	fault.CreateBeforeChecks: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.member, "POST", "/chat", `{"workspace_id":"`+w.wsID+`","title":"t"}`); s != 403 {
			t.Errorf("status %d", s)
		}
		if chats, _ := w.owner.ListChats(ctxT(t), w.wsID); len(chats) != 2 {
			t.Errorf("chats %v", chats)
		}
	},
	fault.MemberMayDeleteChat: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.member, "DELETE", "/chat/"+w.chatID, ""); s != 204 {
			t.Errorf("status %d", s)
		}
	},
	fault.OutsiderMayRead: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.outsider, "GET", "/chat/"+w.chatID, ""); s != 200 {
			t.Errorf("status %d", s)
		}
	},
	fault.OwnerRemovable: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.owner, "DELETE", "/workspaces/"+w.wsID+"/members/"+w.ownerID, ""); s != 204 {
			t.Errorf("status %d", s)
		}
	},
	fault.DeletedChatReadable: func(t *testing.T, srv *testServer, w *world) {
		do(t, w.owner, "DELETE", "/chat/"+w.chatID, "")
		if s, _ := do(t, w.owner, "GET", "/chat/"+w.chatID, ""); s != 200 {
			t.Errorf("status %d", s)
		}
	},
	fault.ConnStringUnchecked: func(t *testing.T, srv *testServer, w *world) {
		cs, _ := w.member.ConnectionString(ctxT(t), w.chatID, 60)
		b := []byte(cs.ConnectionString)
		i := len(b) - 10 // inside the MAC
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		if _, err := dial(t, srv, wcp.Auth{ChatID: w.chatID, ConnectionString: string(b)}); err != nil {
			t.Errorf("tampered string refused: %v", err)
		}
	},
	fault.ExpiredAccepted: func(t *testing.T, srv *testServer, w *world) {
		cs, _ := w.member.ConnectionString(ctxT(t), w.chatID, 1)
		srv.clock.Add(time.Hour)
		if _, err := dial(t, srv, wcp.Auth{ChatID: w.chatID, ConnectionString: cs.ConnectionString}); err != nil {
			t.Errorf("expired string refused: %v", err)
		}
	},
	fault.TTLUnchecked: func(t *testing.T, srv *testServer, w *world) {
		if s, _ := do(t, w.member, "POST", "/chat/"+w.chatID+"/connection-string", `{"ttl_seconds":99999}`); s != 201 {
			t.Errorf("status %d", s)
		}
	},
	fault.ExpiresAtWrong: func(t *testing.T, srv *testServer, w *world) {
		cs, _ := w.member.ConnectionString(ctxT(t), w.chatID, 60)
		if want := wcp.FormatTime(srv.clock.Now().Add(120 * time.Second)); cs.ExpiresAt != want {
			t.Errorf("expires_at %s, want %s", cs.ExpiresAt, want)
		}
	},
	fault.StaticMessageKey: func(t *testing.T, srv *testServer, w *world) {
		a := connect(t, srv, w.member, w.chatID, nil)
		b := connect(t, srv, w.member, w.chatID, nil)
		if a.Info().MessageKey != b.Info().MessageKey {
			t.Error("keys differ")
		}
	},
	fault.ReplayGap: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.owner, w.chatID, nil)
		for i := range 3 {
			s.Send(ctxT(t), fmt.Sprint(i))
		}
		after := int64(0)
		r := connect(t, srv, w.member, w.chatID, &after)
		got, _ := r.WaitMessages(ctxT(t), 2)
		if len(got) != 2 || got[0].Seq != 2 {
			t.Errorf("replayed %+v", got)
		}
	},
	fault.SingleSessionPerUser: func(t *testing.T, srv *testServer, w *world) {
		a := connect(t, srv, w.member, w.chatID, nil)
		connect(t, srv, w.member, w.chatID, nil)
		select {
		case <-a.Done():
		case <-time.After(2 * time.Second):
			t.Error("older session still open")
		}
	},
	fault.NoRevoke: func(t *testing.T, srv *testServer, w *world) {
		a := connect(t, srv, w.member, w.chatID, nil)
		w.owner.RemoveMember(ctxT(t), w.wsID, w.memberID)
		select {
		case <-a.Done():
			t.Error("session ended")
		case <-time.After(1500 * time.Millisecond):
		}
	},
	fault.ChatBindingSkipped: func(t *testing.T, srv *testServer, w *world) {
		other, _ := w.owner.CreateChat(ctxT(t), w.wsID, "other")
		cs, _ := w.member.ConnectionString(ctxT(t), w.chatID, 60)
		if _, err := dial(t, srv, wcp.Auth{ChatID: other.ID, ConnectionString: cs.ConnectionString}); err != nil {
			t.Errorf("refused: %v", err)
		}
	},
	fault.ExpiryBeforeSig: func(t *testing.T, srv *testServer, w *world) {
		cs, _ := w.member.ConnectionString(ctxT(t), w.chatID, 1)
		b := []byte(cs.ConnectionString)
		if i := len(b) - 10; b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		srv.clock.Add(time.Hour)
		_, err := dial(t, srv, wcp.Auth{ChatID: w.chatID, ConnectionString: string(b)})
		if wcp.ErrorCode(err) != wcp.CodeConnectionStringExpired {
			t.Errorf("got %v", err)
		}
	},
	fault.SeqGap: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		s.Send(ctxT(t), "a")
		if ack, _ := s.Send(ctxT(t), "b"); ack.Seq != 3 {
			t.Errorf("second seq %d", ack.Seq)
		}
	},
	fault.NoSelfDelivery: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		o := connect(t, srv, w.owner, w.chatID, nil)
		s.Send(ctxT(t), "a")
		o.WaitMessages(ctxT(t), 1)
		time.Sleep(100 * time.Millisecond)
		if n := len(s.Received()); n != 0 {
			t.Errorf("sender got %d", n)
		}
	},
	fault.RefusedDelivered: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		o := connect(t, srv, w.owner, w.chatID, nil)
		m := s.Next("a")
		m.MessageString = strings.Repeat("0", 64)
		if ack, _ := s.SendMessage(ctxT(t), m); ack.OK {
			t.Error("accepted")
		}
		if got, err := o.WaitMessages(ctxT(t), 1); err != nil || got[0].Body != "a" {
			t.Errorf("not delivered: %v", err)
		}
	},
	fault.NotDurable: func(t *testing.T, srv *testServer, w *world) {
		// srv runs on a file database here (see TestFaults).
		s := connect(t, srv, w.member, w.chatID, nil)
		s.Send(ctxT(t), "a")
		srv.Close()
		srv2 := start(t, withDB(srv.dbPath))
		page, err := client.New(srv2.URL(), nil).WithToken(w.member.Token()).Messages(ctxT(t), w.chatID, 0, 10)
		if err != nil || len(page.Messages) != 0 {
			t.Errorf("after restart: %+v %v", page, err)
		}
	},
	fault.BodyNotSigned: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		m := s.Next("signed")
		m.Body = "swapped"
		if ack, err := s.SendMessage(ctxT(t), m); !ack.OK {
			t.Errorf("refused: %v", err)
		}
	},
	fault.NonceUnchecked: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		m := s.Next("a")
		s.SendMessage(ctxT(t), m)
		if ack, err := s.SendMessage(ctxT(t), m); !ack.OK {
			t.Errorf("replay refused: %v", err)
		}
	},
	fault.CheckOrderSwapped: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		m := s.Next("a")
		s.SendMessage(ctxT(t), m)
		m.MessageString = strings.Repeat("0", 64)
		if _, err := s.SendMessage(ctxT(t), m); wcp.ErrorCode(err) != wcp.CodeReplayedMessage {
			t.Errorf("got %v", err)
		}
	},
	fault.StallOnBadMessage: func(t *testing.T, srv *testServer, w *world) {
		s := connect(t, srv, w.member, w.chatID, nil)
		o := connect(t, srv, w.owner, w.chatID, nil)
		s.EmitNoAck(wcp.EventMessage, "not an object")
		time.Sleep(100 * time.Millisecond)
		o.Send(ctxT(t), "x")
		if _, err := s.WaitMessages(ctxWithin(t, time.Second), 1); err == nil {
			t.Error("chat not stalled")
		}
	},
	fault.NoBodyLimit: func(t *testing.T, srv *testServer, w *world) {
		s, _ := do(t, w.anon, "POST", "/users", `{"name":"`+strings.Repeat("x", wcp.MaxHTTPBody)+`"}`)
		if s != 400 {
			t.Errorf("status %d", s)
		}
	},
	fault.PlainTextErrors: func(t *testing.T, srv *testServer, w *world) {
		s, b := do(t, w.anon, "GET", "/nope", "")
		if s != 404 || json.Valid(b) {
			t.Errorf("status %d body %s", s, b)
		}
	},
}

func TestFaults(t *testing.T) {
	t.Parallel()
	for _, info := range fault.All() {
		check, ok := faultChecks[info.Fault]
		if !ok {
			t.Errorf("no check for fault %s", info.Fault)
			continue
		}
		t.Run(string(info.Fault), func(t *testing.T) {
			t.Parallel()
			opts := []option{withFault(info.Fault)}
			if info.Fault == fault.NotDurable {
				opts = append(opts, withDB(filepath.Join(t.TempDir(), "wcp.db")))
			}
			srv := start(t, opts...)
			check(t, srv, newWorld(t, srv))
		})
	}
}

// ctxWithin is a context that ends after d (and with the test).
func ctxWithin(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(ctxT(t), d)
	t.Cleanup(cancel)
	return ctx
}
