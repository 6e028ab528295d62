package reference

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/client"
)

// TestReplayPaged: two chats of 1,000 messages. In one, of 16 KiB of '<'
// each (about 96 MiB encoded), four sessions ask for the whole history
// (after: 0) and never read: they are ended as slow receivers, and the heap
// holds about a page and a buffer per session meanwhile, not the histories
// (unpaged, each replay was built in memory at once). In the other, of
// small messages so that the reading client keeps up under the race
// detector too, one session reads it all with a buffer a few messages
// long, while others send: it gets every message once, in order, the live
// ones after the stored ones (CON-2). A session in a third chat keeps
// getting its acks.
func TestReplayPaged(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const stored, live = 1000, 50
	s := openLimited(t, Limits{SessionBuffer: 8 << 10, ReplayPage: 50, SlowAfter: 2 * time.Second, WriteTimeout: time.Minute})
	big, small := newChatFor(t, ctx, s), newChatFor(t, ctx, s)
	big.fill(t, ctx, stored, ltBody)
	small.fill(t, ctx, stored, "stored message, about a hundred bytes on the wire")
	h := startHonest(t, ctx, s)
	peak := heapPeak()

	zero := int64(0)
	for range 4 {
		big.rawSession(t, ctx, &zero)
	}

	var mu sync.Mutex
	var seqs []int64
	all := make(chan struct{})
	reader, err := client.Connect(ctx, s.URL(), small.auth(t, ctx, &zero), &client.Options{OnMessage: func(m wcp.Message, _ time.Time) {
		mu.Lock()
		defer mu.Unlock()
		seqs = append(seqs, m.Seq)
		if len(seqs) == stored+live {
			close(all)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	sender, err := client.Connect(ctx, s.URL(), small.auth(t, ctx, nil), &client.Options{OnMessage: func(wcp.Message, time.Time) {}})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	for range live {
		if ack, err := sender.Send(ctx, "live"); err != nil || !ack.OK {
			t.Fatalf("live send: %+v %v", ack, err)
		}
	}

	select {
	case <-all:
	case <-ctx.Done():
		mu.Lock()
		t.Fatalf("the reader got %d of %d messages", len(seqs), stored+live)
	}
	mu.Lock()
	for i, seq := range seqs {
		if seq != int64(i+1) {
			t.Fatalf("message %d has seq %d: want every seq once, in order (CON-2)", i, seq)
		}
	}
	mu.Unlock()

	if !waitFor(10*time.Second, func() bool { return s.hits(limitSession) >= 4 }) {
		t.Errorf("wcp_limit_refusals_total{limit=%q} = %v, want the 4 sessions that never read ended", limitSession, s.hits(limitSession))
	}
	if reader.Closed() {
		t.Error("the reading session was ended")
	}
	grew := peak()
	t.Logf("heap grew at most %d MiB", grew>>20)
	// Per session that never reads: a page (50 x 16 KiB), what the buffer
	// lets through and batchConn's 256 KiB; garbage comes on top.
	if grew > 32<<20 {
		t.Errorf("heap grew by %d MiB during the replays, want well under the 96 MiB of one history", grew>>20)
	}
	h.check(t, 2*time.Second)
}

// TestReplayBufferOverflow: live messages buffered for a session that is
// catching up are dropped past SessionBuffer, and the catch-up is sent back
// to the database from the seq before the first of them.
func TestReplayBufferOverflow(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s := openLimited(t, Limits{SessionBuffer: 4 << 10, ReplayPage: 10})
	c := newChatFor(t, ctx, s)
	c.fill(t, ctx, 200, "stored")
	ss := &session{id: "s_test", chatID: c.chat.ID}
	s.hubs.join(ss)
	// 100 live messages of 1 KiB while it has not started: over the 4 KiB
	// buffer, so all but the last few are dropped.
	for seq := int64(201); seq <= 300; seq++ {
		m := wcp.Message{ID: newID("m_"), ChatID: c.chat.ID, Seq: seq, UserID: "u", Body: string(make([]byte, 1024)), SentAt: wcp.FormatTime(time.Now())}
		if _, err := s.store.AppendMessages(ctx, []wcp.Message{m}); err != nil {
			t.Fatal(err)
		}
		s.hubs.publish(m, nil)
	}
	if !ss.overflow {
		t.Fatal("the buffer did not overflow")
	}
	last := int64(150)
	if _, from, state := s.hubs.takeBuffered(ss, last); state != overflowed || from != 200 {
		t.Fatalf("take after overflow: state %v from %d, want overflowed from 200", state, from)
	}
	if _, _, state := s.hubs.takeBuffered(ss, 300); state != caughtUp || ss.replaying || ss.replayed != 300 {
		t.Fatalf("take after the re-read: state %v, replaying %v, replayed %d", state, ss.replaying, ss.replayed)
	}
	s.hubs.leave(ss)
}
