package client_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
	"github.com/wcp-project/wcp/reference"
)

// world is one owner with a workspace and a chat on a fresh in-memory
// reference server.
type world struct {
	url   string
	owner *client.Client
	chat  wcp.Chat
}

func newWorld(t *testing.T) world {
	t.Helper()
	ctx := context.Background()
	srv, err := reference.Open(ctx, reference.Config{Addr: "127.0.0.1:0", DBPath: ":memory:"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	anon := client.New(srv.URL(), nil)
	u, err := anon.CreateUser(ctx, "owner")
	if err != nil {
		t.Fatal(err)
	}
	owner := anon.WithToken(u.Token)
	ws, err := owner.CreateWorkspace(ctx, "ws")
	if err != nil {
		t.Fatal(err)
	}
	chat, err := owner.CreateChat(ctx, ws.ID, "general")
	if err != nil {
		t.Fatal(err)
	}
	return world{url: srv.URL(), owner: owner, chat: chat}
}

func (w world) connect(t *testing.T, after *int64) *client.Session {
	t.Helper()
	ctx := context.Background()
	cs, err := w.owner.ConnectionString(ctx, w.chat.ID, 60)
	if err != nil {
		t.Fatal(err)
	}
	s, err := client.Connect(ctx, w.url, wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString, After: after}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestSessionSendAndReceive(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	a, b := w.connect(t, nil), w.connect(t, nil)
	if a.FirstEvent() != wcp.EventSession {
		t.Errorf("first event %q, want session", a.FirstEvent())
	}
	if a.Info().SessionID == b.Info().SessionID || a.Info().MessageKey == b.Info().MessageKey {
		t.Error("two sessions share an ID or a key")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 1; i <= 3; i++ {
		ack, err := a.Send(ctx, fmt.Sprintf("m%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if !ack.OK || ack.Seq != int64(i) || ack.ID == "" {
			t.Fatalf("ack %d = %+v", i, ack)
		}
	}
	for _, s := range []*client.Session{a, b} {
		got, err := s.WaitMessages(ctx, 3)
		if err != nil {
			t.Fatal(err)
		}
		for i, m := range got {
			if m.Seq != int64(i+1) || m.Body != fmt.Sprintf("m%d", i+1) || m.ChatID != w.chat.ID {
				t.Errorf("message %d = %+v", i, m)
			}
		}
	}
}

func TestSessionRefusalIsTyped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.connect(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m := s.Next("hello")
	m.MessageString = strings.Repeat("0", 64)
	ack, err := s.SendMessage(ctx, m)
	if !errors.Is(err, &wcp.Error{Code: wcp.CodeInvalidMessageString}) || ack.OK {
		t.Fatalf("forged message: ack %+v, err %v", ack, err)
	}
	// The session survives and the next valid message is seq 1.
	ack, err = s.Send(ctx, "valid")
	if err != nil || ack.Seq != 1 {
		t.Fatalf("after a refusal: ack %+v, err %v", ack, err)
	}
}

func TestConnectRefusalIsTyped(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx := context.Background()
	cs, err := w.owner.ConnectionString(ctx, w.chat.ID, 60)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Connect(ctx, w.url, wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString + "x"}, nil)
	if wcp.ErrorCode(err) != wcp.CodeInvalidConnectionString {
		t.Fatalf("tampered string: err %v, want invalid_connection_string", err)
	}
}

func TestSessionReplayAfter(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := w.connect(t, nil)
	for i := 0; i < 5; i++ {
		if _, err := s.Send(ctx, "x"); err != nil {
			t.Fatal(err)
		}
	}
	after := int64(2)
	r := w.connect(t, &after)
	got, err := r.WaitMessages(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range got {
		if m.Seq != int64(i+3) {
			t.Fatalf("replay %d has seq %d, want %d", i, m.Seq, i+3)
		}
	}
}

func TestSendAsyncConcurrent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.connect(t, nil)
	const n = 50
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Send(context.Background(), "concurrent")
			// Concurrent sends may reach the server out of nonce order;
			// replayed_message is the server's correct answer to those.
			if err != nil && wcp.ErrorCode(err) != wcp.CodeReplayedMessage {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestCloseIsIdempotent(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	s := w.connect(t, nil)
	s.Close()
	s.Close()
	if !s.Closed() {
		t.Fatal("Closed() false after Close")
	}
	if _, err := s.Send(context.Background(), "late"); !errors.Is(err, client.ErrClosed) {
		t.Fatalf("send after close: %v, want ErrClosed", err)
	}
}

// TestConnectManyTimes connects 300 times, four at once. It guards the
// workaround in openEngine: without it, the Socket.IO client library loses a
// connect to its open/CONNECT races now and then. The races need a busy
// scheduler, so this detects rather than proves: with the workaround removed
// and three CPU hogs beside `go test -race -count=40`, it failed with
// "1 of 300 connects failed" again and again; with it, ~12,000 connects
// under the same load all succeeded.
func TestConnectManyTimes(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test")
	}
	t.Parallel()
	w := newWorld(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cs, err := w.owner.ConnectionString(ctx, w.chat.ID, 300)
	if err != nil {
		t.Fatal(err)
	}
	const workers, each = 4, 75
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				s, err := client.Connect(ctx, w.url, wcp.Auth{ChatID: w.chat.ID, ConnectionString: cs.ConnectionString}, &client.Options{ConnectTimeout: 3 * time.Second})
				if err != nil {
					errs <- err
					continue
				}
				s.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		if n++; n <= 3 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d connects failed", n, workers*each)
	}
}
