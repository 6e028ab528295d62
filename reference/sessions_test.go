package reference_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

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
